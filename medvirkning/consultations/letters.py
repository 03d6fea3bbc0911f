"""Letters to the union representatives of a consultation, in their own language form;
each carries the log's head at the time, so a kept letter can later prove the log whole."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.models import Role, RoleGrant
from medvirkning.consultations.models import Consultation
from medvirkning.mail.outbox import compose, enqueue
from medvirkning.people.models import Person
from medvirkning.settings import Settings

SUBJECTS = {
    "bokmal": {
        "documents": "Dokumenter til drøfting: {matter}",
        "protocol": "Protokoll til bekreftelse: {matter}",
        "locked": "Protokollen er bekreftet av alle parter: {matter}",
    },
    "nynorsk": {
        "documents": "Dokument til drøfting: {matter}",
        "protocol": "Protokoll til stadfesting: {matter}",
        "locked": "Protokollen er stadfesta av alle partar: {matter}",
    },
}


async def representatives(db: AsyncSession, consultation: Consultation) -> list[Person]:
    """The active union representatives of the taking-part unions at the consultation's level."""
    level = (
        RoleGrant.municipality_id.is_(None)
        if consultation.municipality_id is None
        else RoleGrant.municipality_id == consultation.municipality_id
    )
    rows = await db.scalars(
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(
            RoleGrant.role == Role.UNION_REP,
            RoleGrant.active.is_(True),
            RoleGrant.union_id.in_([u.union_id for u in consultation.unions]),
            level,
            Person.active.is_(True),
        )
        .order_by(Person.id)
    )
    return list(rows.unique())


async def send(
    db: AsyncSession, settings: Settings, consultation: Consultation, event: str, head: str
) -> int:
    """One letter to each representative about `event`; how many were written."""
    people = await representatives(db, consultation)
    url = f"{settings.public_base_url}/droftinger/{consultation.id}"
    letters = [
        compose(
            settings,
            person.email,
            SUBJECTS[person.language_form.value][event].format(matter=consultation.matter),
            f"consultation_{person.language_form.value}",
            {
                "person": person,
                "consultation": consultation,
                "event": event,
                "head": head,
                "url": url,
                "protocol": consultation.protocol,
            },
        )
        for person in people
    ]
    if letters:
        await enqueue(db, settings, letters, kind=f"consultation_{event}")
    return len(letters)
