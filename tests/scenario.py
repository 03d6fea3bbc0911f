"""Test data in bulk: rows inserted through the models, thousands in a statement.

Like polar's `save_fixture`, these write straight to the database (no HTTP, no audit
hook), for tests and benchmarks that need a scenario rather than a journey.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.meetings.models import Answer, Invitation, Meeting, meeting_group
from medvirkning.people.models import Group, GroupKind, Membership, MembershipRole, Person
from medvirkning.region.models import Municipality


async def municipality_ids(db: AsyncSession) -> dict[str, int]:
    """The seeded municipalities, by name."""
    return {m.name: m.id for m in await db.scalars(select(Municipality))}


async def add_people(
    db: AsyncSession,
    count: int,
    municipality_id: int,
    prefix: str = "person",
    each: Callable[[int], dict[str, Any]] | None = None,
) -> list[int]:
    """`count` people of one municipality, with unique addresses; their ids in order.
    `each(n)` gives more columns for the nth (a title, a language form)."""
    tag = uuid.uuid4().hex[:6]
    rows = [
        {
            "name": f"{prefix.capitalize()} {n}",
            "email": f"{prefix}.{n}.{tag}@kommune.no",
            "municipality_id": municipality_id,
        }
        | (each(n) if each else {})
        for n in range(count)
    ]
    return list(
        await db.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True), rows)
    )


async def add_group(
    db: AsyncSession,
    name: str,
    members: Sequence[int] = (),
    kind: GroupKind = GroupKind.REFERENCE_GROUP,
    municipality_id: int | None = None,
    starts_on: date | None = None,
) -> int:
    group_id = await db.scalar(
        insert(Group)
        .values(name=name, kind=kind, municipality_id=municipality_id)
        .returning(Group.id)
    )
    assert group_id is not None
    if members:
        start = starts_on or date.today() - timedelta(days=30)
        await db.execute(
            insert(Membership),
            [
                {
                    "group_id": group_id,
                    "person_id": p,
                    "role": MembershipRole.MEMBER,
                    "starts_on": start,
                }
                for p in members
            ],
        )
    return group_id


async def add_meeting(
    db: AsyncSession,
    title: str,
    starts_at: datetime,
    invitees: Sequence[int],
    group_ids: Sequence[int] = (),
    answer: Answer = Answer.NO_ANSWER,
) -> tuple[int, list[int]]:
    """A meeting of an hour with its invitations (no mail sent); its id and the
    invitation ids in the order of `invitees`."""
    meeting_id = await db.scalar(
        insert(Meeting)
        .values(
            uid=f"{uuid.uuid4()}@test",
            title=title,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
        )
        .returning(Meeting.id)
    )
    assert meeting_id is not None
    if group_ids:
        rows = [{"meeting_id": meeting_id, "group_id": g} for g in group_ids]
        await db.execute(insert(meeting_group), rows)
    invitation_ids: list[int] = []
    if invitees:
        rows = [{"meeting_id": meeting_id, "person_id": p, "answer": answer} for p in invitees]
        invitation_ids = list(
            await db.scalars(
                insert(Invitation).returning(Invitation.id, sort_by_parameter_order=True), rows
            )
        )
    return meeting_id, invitation_ids
