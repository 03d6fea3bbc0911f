"""Reading input for "you said, we did": a municipality's or a group's input and its
follow-up, for those who may read it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import Principal
from medvirkning.auth.models import Role
from medvirkning.errors import NotFound
from medvirkning.inputs.models import Input, Theme
from medvirkning.people.models import Group, Membership, Person
from medvirkning.region.models import Municipality


def _own_groups(user: Principal, today: date) -> ColumnElement[bool]:
    return Group.id.in_(
        select(Membership.group_id).where(
            Membership.person_id == user.person_id,
            Membership.starts_on <= today,
            or_(Membership.ends_on.is_(None), Membership.ends_on >= today),
        )
    )


def _own_municipality(user: Principal) -> ColumnElement[bool]:
    return Municipality.id.in_(select(Person.municipality_id).where(Person.id == user.person_id))


def readable_groups(user: Principal, today: date) -> ColumnElement[bool]:
    """Every group for the project and the steering group; a member's own groups."""
    return true() if user.has(Role.ADMIN, Role.STEERING) else _own_groups(user, today)


def readable_municipalities(user: Principal) -> ColumnElement[bool]:
    """Every municipality for the project and the steering group; else one's own."""
    return true() if user.has(Role.ADMIN, Role.STEERING) else _own_municipality(user)


async def answer_scopes(
    db: AsyncSession, user: Principal, today: date
) -> tuple[list[Municipality], list[Group]]:
    """The municipalities and groups whose "you said, we did" page the user may read."""
    municipalities = await db.scalars(
        select(Municipality)
        .where(Municipality.active.is_(True), readable_municipalities(user))
        .order_by(Municipality.name)
    )
    groups = await db.scalars(
        select(Group)
        .where(Group.active.is_(True), readable_groups(user, today))
        .order_by(Group.name)
    )
    return list(municipalities), list(groups)


async def municipality_for(db: AsyncSession, user: Principal, municipality_id: int) -> Municipality:
    found = await db.scalar(
        select(Municipality).where(
            Municipality.id == municipality_id, readable_municipalities(user)
        )
    )
    if found is None:
        raise NotFound("Fant ingen kommune du kan se innspillene til.")
    return found


async def group_for(db: AsyncSession, user: Principal, group_id: int, today: date) -> Group:
    found = await db.scalar(select(Group).where(Group.id == group_id, readable_groups(user, today)))
    if found is None:
        raise NotFound("Fant ingen gruppe du kan se innspillene til.")
    return found


async def answered_inputs(db: AsyncSession, *where: ColumnElement[bool]) -> list[Input]:
    """Active input matching `where`, by theme and then newest first."""
    rows = await db.scalars(
        select(Input)
        .join(Theme, Theme.id == Input.theme_id)
        .where(Input.active.is_(True), *where)
        .order_by(Theme.name, Input.received_on.desc(), Input.id.desc())
    )
    return list(rows.unique())
