"""Changes to people and groups beyond one register record: members in bulk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.errors import FieldError, InvalidInput, NotFound
from medvirkning.formats import OSLO
from medvirkning.people.models import Group, Membership, Person
from medvirkning.people.queries import people_by_email, people_by_id
from medvirkning.people.schemas import MembersCreate


@dataclass(frozen=True)
class MembersResult:
    group: Group
    added: list[Membership]
    already_members: list[Person]


async def add_members(db: AsyncSession, group_id: int, data: MembersCreate) -> MembersResult:
    """Make the people members of the group from a date (today in Oslo by default).

    Every unknown person or address is reported at once and nothing is written; someone
    already a member then (or from a later date, open-ended) is reported, not added again."""
    group = await db.get(Group, group_id)
    if group is None or not group.active:
        raise NotFound(f"Fant ingen gruppe med id {group_id}.")
    picked, errors = await people_by_id(db, data.person_ids, "person_ids")
    pasted, email_errors = await people_by_email(db, data.emails, "emails")
    errors += email_errors
    if not data.person_ids and not data.emails:
        message = "Velg minst én person, eller lim inn e-postadresser."
        errors.append(FieldError("person_ids", message))
    if errors:
        raise InvalidInput(errors=errors)
    people = list({p.id: p for p in picked + pasted}.values())
    starts_on = data.starts_on or datetime.now(OSLO).date()
    # The register's overlap rule: an open-ended membership from `starts_on` meets any
    # membership that has not ended by then.
    overlapping = set(
        await db.scalars(
            select(Membership.person_id).where(
                Membership.group_id == group_id,
                Membership.person_id.in_([p.id for p in people]),
                Membership.ends_on.is_(None) | (Membership.ends_on >= starts_on),
            )
        )
    )
    new = [
        Membership(group_id=group_id, person_id=p.id, role=data.role, starts_on=starts_on)
        for p in people
        if p.id not in overlapping
    ]
    db.add_all(new)
    await db.flush()
    added = (
        list(
            await db.scalars(
                select(Membership)
                .where(Membership.id.in_([m.id for m in new]))
                .order_by(Membership.id)
                .execution_options(populate_existing=True)
            )
        )
        if new
        else []
    )
    return MembersResult(group, added, [p for p in people if p.id in overlapping])
