"""Input use cases beyond the register's own: a meeting point becomes an input in one step."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.errors import Conflict, NotFound
from medvirkning.formats import OSLO
from medvirkning.inputs.models import Input, SourceKind, StakeholderKind, Theme
from medvirkning.meetings.models import MeetingPoint
from medvirkning.meetings.queries import load_meeting
from medvirkning.plan.models import Phase

# The theme a point gets until someone sorts it (the seeded "other").
UNSORTED_THEME = "Annet"


class PointAlreadyInput(Conflict):
    code = "point_already_input"
    message = "Punktet er allerede registrert som innspill."


async def _unsorted_theme(db: AsyncSession) -> int:
    themes = select(Theme.id).where(Theme.active.is_(True))
    theme_id = await db.scalar(themes.where(Theme.name == UNSORTED_THEME))
    theme_id = theme_id or await db.scalar(themes.order_by(Theme.name).limit(1))
    if theme_id is None:
        raise Conflict("Det finnes ingen temaer. Legg inn et tema først.")
    return theme_id


async def point_to_input(db: AsyncSession, meeting_id: int, point_id: int) -> Input:
    """The point as an input from the meeting's group, municipality and phase, to be sorted
    and followed up in the input register."""
    meeting = await load_meeting(db, meeting_id)
    point: MeetingPoint | None = next((p for p in meeting.points if p.id == point_id), None)
    if point is None:
        raise NotFound("Fant ikke punktet.")
    if point.input_id is not None:
        raise PointAlreadyInput()
    day = meeting.starts_at.astimezone(OSLO).date()
    phase_id = meeting.phase_id or await db.scalar(
        select(Phase.id).where(Phase.starts_on <= day, Phase.ends_on >= day).limit(1)
    )
    municipalities = {g.municipality_id for g in meeting.groups}
    row = Input(
        text=point.text,
        stakeholder_kind=StakeholderKind.GROUP,
        municipality_id=municipalities.pop() if len(municipalities) == 1 else None,
        group_id=meeting.groups[0].id if len(meeting.groups) == 1 else None,
        theme_id=await _unsorted_theme(db),
        phase_id=phase_id,
        source_kind=SourceKind.MEETING_POINT,
        meeting_point_id=point.id,
        source_note=f"{meeting.title} ({day.strftime('%d.%m.%Y')})"[:300],
        received_on=day,
    )
    db.add(row)
    await db.flush()
    point.input_id = row.id
    await db.flush()
    return row
