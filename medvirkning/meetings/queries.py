"""Reading meetings and invitations. Every read goes through `readable_by`, so a person
who is not an admin sees only the meetings they are invited to."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from medvirkning.auth.access import Principal
from medvirkning.auth.models import Role
from medvirkning.db import utcnow
from medvirkning.errors import Forbidden, NotFound
from medvirkning.meetings.models import Invitation, Meeting, meeting_group


def meeting_loads() -> tuple[Any, ...]:
    """What a meeting page, its letters and its calendar data read: chosen here, per query."""
    return (
        selectinload(Meeting.groups),
        joinedload(Meeting.phase),
        joinedload(Meeting.milestone),
        selectinload(Meeting.invitations).joinedload(Invitation.person),
        selectinload(Meeting.documents),
        selectinload(Meeting.points),
    )


def with_meeting() -> Any:
    """An invitation with its person and its whole meeting."""
    return joinedload(Invitation.meeting).options(*meeting_loads())


def readable_by(user: Principal) -> ColumnElement[bool]:
    """The meetings this user may read: all for an admin, else those they are invited to."""
    if user.has(Role.ADMIN):
        return true()
    return exists().where(
        Invitation.meeting_id == Meeting.id,
        Invitation.person_id == user.person_id,
        Invitation.removed_at.is_(None),
    )


def _meetings(user: Principal) -> Select[Meeting]:
    return select(Meeting).where(readable_by(user)).options(*meeting_loads())


async def get_meeting(db: AsyncSession, user: Principal, meeting_id: int) -> Meeting:
    meeting = await db.scalar(_meetings(user).where(Meeting.id == meeting_id))
    if meeting is None:
        raise NotFound(f"Fant ikke møtet med id {meeting_id}.")
    return meeting


async def load_meeting(db: AsyncSession, meeting_id: int) -> Meeting:
    """A meeting for the service itself (a change already allowed by the route's rule)."""
    meeting = await db.scalar(
        select(Meeting).where(Meeting.id == meeting_id).options(*meeting_loads())
    )
    if meeting is None:
        raise NotFound(f"Fant ikke møtet med id {meeting_id}.")
    return meeting


async def list_meetings(db: AsyncSession, user: Principal, past: bool, limit: int) -> list[Meeting]:
    """Meetings to come, soonest first; or those held, latest first."""
    now = utcnow()
    stmt = _meetings(user)
    if past:
        stmt = stmt.where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc())
    else:
        stmt = stmt.where(Meeting.ends_at >= now).order_by(Meeting.starts_at)
    return list((await db.scalars(stmt.limit(limit))).unique())


async def series_of(db: AsyncSession, meeting: Meeting) -> list[Meeting]:
    """The other occurrences of the meeting's series, in order."""
    rows = await db.scalars(
        select(Meeting)
        .where(Meeting.series_uid == meeting.series_uid, Meeting.id != meeting.id)
        .order_by(Meeting.recurrence_id)
        .options(*meeting_loads())
    )
    return list(rows.unique())


async def get_invitation(db: AsyncSession, invitation_id: int) -> Invitation | None:
    return await db.scalar(
        select(Invitation).where(Invitation.id == invitation_id).options(with_meeting())
    )


async def own_invitation(db: AsyncSession, user: Principal, invitation_id: int) -> Invitation:
    """The user's own invitation: nobody answers for another."""
    invitation = await get_invitation(db, invitation_id)
    if invitation is None:
        raise NotFound("Fant ikke invitasjonen.")
    if invitation.person_id != user.person_id:
        raise Forbidden("Du kan bare svare på dine egne invitasjoner.")
    return invitation


async def my_invitations(db: AsyncSession, user: Principal) -> list[Invitation]:
    """The user's invitations to meetings to come and of the last 30 days."""
    rows = await db.scalars(
        select(Invitation)
        .join(Meeting)
        .options(with_meeting())
        .where(
            Invitation.person_id == user.person_id,
            Invitation.removed_at.is_(None),
            Meeting.ends_at >= utcnow() - timedelta(days=30),
        )
        .order_by(Meeting.starts_at)
    )
    return list(rows.unique())


async def feed_meetings(db: AsyncSession, kind: str, owner_id: int) -> list[Meeting]:
    """A calendar feed's meetings: a person's invitations or a group's, from 90 days back."""
    since: datetime = utcnow() - timedelta(days=90)
    stmt = (
        select(Meeting)
        .where(Meeting.ends_at >= since)
        .order_by(Meeting.starts_at)
        .options(selectinload(Meeting.documents))
    )
    if kind == "person":
        stmt = stmt.join(Invitation).where(
            Invitation.person_id == owner_id, Invitation.removed_at.is_(None)
        )
    else:
        stmt = stmt.join(meeting_group).where(meeting_group.c.group_id == owner_id)
    return list((await db.scalars(stmt)).unique())
