"""After the meeting: attendance, minutes, and the points raised (kept so each can become a
registered input)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.errors import Conflict, NotFound
from medvirkning.meetings import queries
from medvirkning.meetings.letters import current
from medvirkning.meetings.models import Answer, Meeting, MeetingPoint
from medvirkning.meetings.schemas import AttendanceUpdate, MinutesUpdate, PointCreate


class PointTakenIn(Conflict):
    code = "point_taken_in"
    message = "Punktet er registrert som innspill og kan ikke slettes."


async def record_attendance(db: AsyncSession, meeting_id: int, data: AttendanceUpdate) -> Meeting:
    meeting = await queries.load_meeting(db, meeting_id)
    attended = set(data.attended_person_ids)
    for invitation in current(meeting):
        invitation.attended = invitation.person_id in attended
    await db.flush()
    return meeting


async def set_minutes(db: AsyncSession, meeting_id: int, data: MinutesUpdate) -> Meeting:
    meeting = await queries.load_meeting(db, meeting_id)
    meeting.minutes = data.minutes
    await db.flush()
    return meeting


async def add_point(db: AsyncSession, meeting_id: int, data: PointCreate) -> Meeting:
    """A point raised in the meeting, kept so it can become a registered input."""
    meeting = await queries.load_meeting(db, meeting_id)
    meeting.points.append(MeetingPoint(text=data.text.strip(), raised_by=data.raised_by.strip()))
    await db.flush()
    return meeting


async def delete_point(db: AsyncSession, meeting_id: int, point_id: int) -> Meeting:
    meeting = await queries.load_meeting(db, meeting_id)
    point = next((p for p in meeting.points if p.id == point_id), None)
    if point is None:
        raise NotFound("Fant ikke punktet.")
    if point.input_id is not None:
        raise PointTakenIn()
    meeting.points.remove(point)
    await db.delete(point)
    await db.flush()
    return meeting


def expected_attendance(meeting: Meeting) -> set[int]:
    """Before anyone has corrected it: those who said they would come."""
    if any(i.attended is not None for i in meeting.invitations):
        return {i.person_id for i in current(meeting) if i.attended}
    return {i.person_id for i in current(meeting) if i.answer == Answer.ACCEPTED}
