from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from medvirkning.choices import Choice, choice_column
from medvirkning.db import Base, utcnow


class OutboxStatus(Choice):
    PENDING = "pending", "venter"
    SENDING = "sending", "sendes"
    SENT = "sent", "sendt"
    FAILED = "failed", "feilet"


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __audit__ = False
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    # The whole message as sent, so a resend is byte for byte the same message.
    mime: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Sign-in links are secrets: their text is removed once the server has them.
    purge_after_send: Mapped[bool] = mapped_column(default=False)
    status: Mapped[OutboxStatus] = mapped_column(
        choice_column(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
