"""Reading consultations. Every read goes through `readable_by`: admins and the steering
group see all; a union representative sees the consultations their union took part in at
their level (their municipality, or the region), and nothing else.

`status_by_municipality` is what the anchoring record reads: each consultation's protocol
status per union and whether it was held at short notice."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import msgspec
from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import Principal
from medvirkning.auth.models import Role
from medvirkning.consultations import notice
from medvirkning.consultations.models import (
    Answer,
    Consultation,
    ConsultationUnion,
    ProtocolStatus,
)
from medvirkning.db import utcnow
from medvirkning.errors import NotFound
from medvirkning.settings import Settings


def readable_by(user: Principal) -> ColumnElement[bool]:
    if user.has(Role.ADMIN, Role.STEERING):
        return true()
    if not user.has(Role.UNION_REP) or not user.union_scopes:
        return false()
    return or_(
        *(
            and_(
                exists().where(
                    ConsultationUnion.consultation_id == Consultation.id,
                    ConsultationUnion.union_id == scope.union_id,
                ),
                Consultation.municipality_id.is_(None)
                if scope.municipality_id is None
                else Consultation.municipality_id == scope.municipality_id,
            )
            for scope in user.union_scopes
            if scope.union_id is not None
        ),
        false(),
    )


async def list_consultations(db: AsyncSession, user: Principal) -> list[Consultation]:
    rows = await db.scalars(
        select(Consultation).where(readable_by(user)).order_by(Consultation.id.desc())
    )
    return list(rows.unique())


async def get_consultation(db: AsyncSession, user: Principal, consultation_id: int) -> Consultation:
    """One the user may read; others are as if they did not exist."""
    found = await db.scalar(
        select(Consultation).where(Consultation.id == consultation_id, readable_by(user))
    )
    if found is None:
        raise NotFound(f"Fant ikke drøftingen med id {consultation_id}.")
    return found


async def load_consultation(db: AsyncSession, consultation_id: int) -> Consultation:
    """One for the service itself (a change the route's rule already allows)."""
    found = await db.get(Consultation, consultation_id, populate_existing=True)
    if found is None:
        raise NotFound(f"Fant ikke drøftingen med id {consultation_id}.")
    return found


def parties_of(user: Principal, consultation: Consultation) -> list[int]:
    """The unions taking part that this user represents at the consultation's level."""
    taking_part = {u.union_id for u in consultation.unions}
    return [
        scope.union_id
        for scope in user.union_scopes
        if scope.union_id in taking_part and scope.municipality_id == consultation.municipality_id
    ]


def awaiting(user: Principal, consultation: Consultation) -> list[int]:
    """The user's unions that have yet to confirm the protocol sent to them."""
    protocol = consultation.protocol
    if protocol is None or protocol.status != ProtocolStatus.SENT:
        return []
    return [
        union_id
        for union_id in parties_of(user, consultation)
        if (answer := protocol.answer_of(union_id)) is None or answer.answer != Answer.CONFIRMED
    ]


def documents_sent_at(consultation: Consultation) -> datetime | None:
    """When the union representatives had every document sent: the last one's time."""
    times = [d.sent_at for d in consultation.documents if d.sent_at is not None]
    return max(times) if times else None


def notice_days(consultation: Consultation) -> int | None:
    """Working days of notice, when both the documents went and the meeting is set."""
    sent = documents_sent_at(consultation)
    if sent is None or consultation.meeting is None:
        return None
    return notice.working_days(sent, consultation.meeting.starts_at)


def short_notice(consultation: Consultation, settings: Settings) -> bool:
    """Fewer working days than the setting asks; a meeting held with no documents sent too."""
    meeting = consultation.meeting
    if meeting is None:
        return False
    sent = documents_sent_at(consultation)
    if sent is None:
        return meeting.starts_at <= utcnow()
    return notice.short_notice(sent, meeting.starts_at, settings.consultation_notice_days)


class UnionStatus(msgspec.Struct, frozen=True):
    union_id: int
    union: str
    answer: Answer | None  # on the newest protocol version; None: not answered


class ConsultationStatus(msgspec.Struct, frozen=True):
    consultation_id: int
    matter: str
    municipality_id: int | None  # None: the region (KDU)
    phase_id: int | None
    meeting_starts_at: datetime | None
    protocol: ProtocolStatus | None  # None: no protocol written yet
    protocol_version: int | None
    employer_confirmed: bool
    unions: list[UnionStatus]
    notice_working_days: int | None
    short_notice: bool


def status_of(consultation: Consultation, settings: Settings) -> ConsultationStatus:
    protocol = consultation.protocol
    employer = protocol.answer_of(None) if protocol else None
    return ConsultationStatus(
        consultation_id=consultation.id,
        matter=consultation.matter,
        municipality_id=consultation.municipality_id,
        phase_id=consultation.phase_id,
        meeting_starts_at=consultation.meeting.starts_at if consultation.meeting else None,
        protocol=protocol.status if protocol else None,
        protocol_version=protocol.number if protocol else None,
        employer_confirmed=employer is not None and employer.answer == Answer.CONFIRMED,
        unions=[
            UnionStatus(
                u.union_id,
                u.union.name,
                a.answer if protocol and (a := protocol.answer_of(u.union_id)) else None,
            )
            for u in consultation.unions
        ],
        notice_working_days=notice_days(consultation),
        short_notice=short_notice(consultation, settings),
    )


async def status_by_municipality(
    db: AsyncSession, settings: Settings
) -> dict[int | None, list[ConsultationStatus]]:
    """Every consultation's protocol status and notice, by municipality (None: the region)."""
    found: dict[int | None, list[ConsultationStatus]] = defaultdict(list)
    for consultation in await db.scalars(select(Consultation).order_by(Consultation.id)):
        found[consultation.municipality_id].append(status_of(consultation, settings))
    return dict(found)
