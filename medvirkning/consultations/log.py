"""The consultation log in the database: each event appended as a `chain.Entry` row, read
back and verified; the hashing and checking are `chain.py`'s."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.consultations import chain
from medvirkning.consultations.models import Consultation, ConsultationLogEntry
from medvirkning.db import utcnow


def _payload(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    # A payload edited into something else still fails its hash instead of breaking the read.
    return value if isinstance(value, dict) else {"uleselig": text}


def _entry(row: ConsultationLogEntry) -> chain.Entry:
    return chain.Entry(
        sequence=row.sequence,
        consultation_id=row.consultation_id,
        at=row.at,
        actor=row.actor,
        kind=row.kind,
        payload=_payload(row.payload),
        previous_hash=row.previous_hash,
        hash=row.hash,
    )


async def entries(db: AsyncSession, consultation_id: int) -> list[chain.Entry]:
    rows = await db.scalars(
        select(ConsultationLogEntry)
        .where(ConsultationLogEntry.consultation_id == consultation_id)
        .order_by(ConsultationLogEntry.sequence)
    )
    return [_entry(row) for row in rows]


async def newest(db: AsyncSession, consultation_id: int) -> chain.Entry | None:
    row = await db.scalar(
        select(ConsultationLogEntry)
        .where(ConsultationLogEntry.consultation_id == consultation_id)
        .order_by(ConsultationLogEntry.sequence.desc())
        .limit(1)
    )
    return None if row is None else _entry(row)


async def head(db: AsyncSession, consultation_id: int) -> str | None:
    entry = await newest(db, consultation_id)
    return None if entry is None else chain.head_of(entry)


async def append(
    db: AsyncSession, consultation: Consultation, actor: str, kind: str, payload: dict[str, Any]
) -> chain.Entry:
    """Add the event after the newest entry; the consultation's row is held so two events at
    once queue instead of both following the same entry."""
    await db.execute(
        select(Consultation.id).where(Consultation.id == consultation.id).with_for_update()
    )
    entry = chain.append(
        await newest(db, consultation.id),
        consultation_id=consultation.id,
        at=utcnow(),
        actor=actor,
        kind=kind,
        payload=payload,
    )
    db.add(
        ConsultationLogEntry(
            consultation_id=entry.consultation_id,
            sequence=entry.sequence,
            at=entry.at,
            actor=entry.actor,
            kind=entry.kind,
            payload=chain.canonical(entry.payload).decode(),
            previous_hash=entry.previous_hash,
            hash=entry.hash,
        )
    )
    await db.flush()
    return entry


async def verify(db: AsyncSession, consultation_id: int, head: str | None = None) -> chain.Verdict:
    return chain.verify(await entries(db, consultation_id), head)
