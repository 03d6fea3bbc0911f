"""The outbox at the API's edge."""

from __future__ import annotations

from datetime import datetime

import msgspec

from medvirkning.mail.models import OutboxStatus


class OutboxMessageRead(msgspec.Struct, frozen=True):
    id: int
    message_id: str
    kind: str
    recipient: str
    subject: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None
