"""Meetings in the JSON API, the answer links in the e-mails, and the calendar feeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import msgspec
from litestar import Response, Router, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from medvirkning.auth.access import ADMIN, EVERYONE, OPEN
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings, User
from medvirkning.errors import Forbidden, NotFound
from medvirkning.meetings import letters, queries, record, services
from medvirkning.meetings.calendar import calendar_bytes
from medvirkning.meetings.feeds import feed_token, feed_url, renew_feed
from medvirkning.meetings.models import Invitation, Meeting
from medvirkning.meetings.schemas import (
    AnswerUpdate,
    AttendanceUpdate,
    DocumentRead,
    FeedRead,
    InvitationRead,
    InviteesCreate,
    MeetingCreate,
    MeetingRead,
    MeetingUpdate,
    MinutesUpdate,
    MyMeetingRead,
    PointCreate,
    PointRead,
)
from medvirkning.meetings.services import NewInvitation
from medvirkning.people.models import Group, Person
from medvirkning.register import StaleEdit
from medvirkning.schema import Ref
from medvirkning.signing import is_signed

FEEDS = ("person", "group")

TAGS = ["Møter"]


def meeting_read(
    meeting: Meeting, invitations: Sequence[Invitation | NewInvitation] | None = None
) -> MeetingRead:
    """The meeting as the API gives it; a new one's `invitations` come beside its record."""
    return MeetingRead(
        id=meeting.id,
        version=meeting.version,
        uid=meeting.uid,
        sequence=meeting.sequence,
        series_uid=meeting.series_uid,
        recurrence_id=meeting.recurrence_id,
        title=meeting.title,
        agenda=meeting.agenda,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        place=meeting.place,
        video_link=meeting.video_link,
        groups=[Ref(g.id, g.name) for g in meeting.groups],
        phase=Ref(meeting.phase.id, meeting.phase.name) if meeting.phase else None,
        milestone=Ref(meeting.milestone.id, meeting.milestone.name) if meeting.milestone else None,
        cancelled=meeting.cancelled_at is not None,
        minutes=meeting.minutes,
        documents=[DocumentRead(d.title, d.url, d.sent_at) for d in meeting.documents],
        invitations=[
            InvitationRead(
                i.id,
                Ref(i.person.id, i.person.name),
                i.person.email,
                i.answer,
                i.answered_at,
                i.attended,
                i.removed_at is not None,
            )
            for i in (meeting.invitations if invitations is None else invitations)
        ],
        points=[PointRead(p.id, p.text, p.raised_by, p.input_id) for p in meeting.points],
    )


@get("/api/meetings", opt=ADMIN, tags=TAGS, summary="Møter, de kommende først")
async def list_meetings(db: Db, user: User, past: FromQuery[bool] = False) -> list[MeetingRead]:
    return [meeting_read(m) for m in await queries.list_meetings(db, user, past, limit=500)]


@post("/api/meetings", opt=ADMIN, tags=TAGS, summary="Kall inn til et møte")
async def create_meeting(
    db: Db, settings: AppSettings, user: User, data: JSONBody[MeetingCreate]
) -> MeetingRead:
    return meeting_read(*await services.create_meeting(db, settings, data, user.person_id))


@get("/api/meetings/{meeting_id:int}", opt=ADMIN, tags=TAGS, summary="Et møte med svarene")
async def read_meeting(db: Db, user: User, meeting_id: FromPath[int]) -> MeetingRead:
    return meeting_read(await queries.get_meeting(db, user, meeting_id))


@patch(
    "/api/meetings/{meeting_id:int}",
    opt=ADMIN,
    tags=TAGS,
    summary="Endre et møte (sender oppdatering)",
)
async def update_meeting(
    db: Db, settings: AppSettings, meeting_id: FromPath[int], data: JSONBody[MeetingUpdate]
) -> MeetingRead:
    try:
        return meeting_read(await services.update_meeting(db, settings, meeting_id, data))
    except StaleEdit as stale:  # the answer shows the meeting as the other person saved it
        stale.current = meeting_read(await queries.load_meeting(db, meeting_id))
        raise


@post(
    "/api/meetings/{meeting_id:int}/cancel", opt=ADMIN, tags=TAGS, status_code=200, summary="Avlys"
)
async def cancel_meeting(db: Db, settings: AppSettings, meeting_id: FromPath[int]) -> MeetingRead:
    return meeting_read(await services.cancel_meeting(db, settings, meeting_id))


@post(
    "/api/meetings/{meeting_id:int}/invitees",
    opt=ADMIN,
    tags=TAGS,
    status_code=200,
    summary="Inviter flere",
)
async def add_invitees(
    db: Db, settings: AppSettings, meeting_id: FromPath[int], data: JSONBody[InviteesCreate]
) -> MeetingRead:
    return meeting_read(await services.add_invitees(db, settings, meeting_id, data))


@post(
    "/api/meetings/{meeting_id:int}/invitees/{person_id:int}/remove",
    opt=ADMIN,
    tags=TAGS,
    status_code=200,
    summary="Ta en invitert av møtet (sender avlysning til vedkommende)",
)
async def remove_invitee(
    db: Db, settings: AppSettings, meeting_id: FromPath[int], person_id: FromPath[int]
) -> MeetingRead:
    return meeting_read(await services.remove_invitee(db, settings, meeting_id, person_id))


@put("/api/meetings/{meeting_id:int}/attendance", opt=ADMIN, tags=TAGS, summary="Oppmøte")
async def attendance(
    db: Db, meeting_id: FromPath[int], data: JSONBody[AttendanceUpdate]
) -> MeetingRead:
    return meeting_read(await record.record_attendance(db, meeting_id, data))


@put("/api/meetings/{meeting_id:int}/minutes", opt=ADMIN, tags=TAGS, summary="Referat")
async def minutes(db: Db, meeting_id: FromPath[int], data: JSONBody[MinutesUpdate]) -> MeetingRead:
    return meeting_read(await record.set_minutes(db, meeting_id, data))


@post("/api/meetings/{meeting_id:int}/points", opt=ADMIN, tags=TAGS, summary="Et punkt fra møtet")
async def add_point(db: Db, meeting_id: FromPath[int], data: JSONBody[PointCreate]) -> MeetingRead:
    return meeting_read(await record.add_point(db, meeting_id, data))


@delete(
    "/api/meetings/{meeting_id:int}/points/{point_id:int}",
    opt=ADMIN,
    tags=TAGS,
    status_code=200,
    summary="Slett et punkt som ikke er blitt innspill",
)
async def delete_point(db: Db, meeting_id: FromPath[int], point_id: FromPath[int]) -> MeetingRead:
    return meeting_read(await record.delete_point(db, meeting_id, point_id))


# --- a member's own meetings ------------------------------------------------------------


def mine_read(invitation: Invitation) -> MyMeetingRead:
    """A member sees the meeting and their own invitation, not who else was invited."""
    meeting = meeting_read(invitation.meeting)
    own = [i for i in meeting.invitations if i.id == invitation.id]
    return MyMeetingRead(
        invitation.id, invitation.answer, msgspec.structs.replace(meeting, invitations=own)
    )


@get("/api/my/meetings", opt=EVERYONE, tags=TAGS, summary="Mine møter")
async def my_meetings(db: Db, user: User) -> list[MyMeetingRead]:
    return [mine_read(i) for i in await queries.my_invitations(db, user)]


@post(
    "/api/my/invitations/{invitation_id:int}/answer",
    opt=EVERYONE,
    tags=TAGS,
    status_code=200,
    summary="Svar på en invitasjon",
)
async def answer_api(
    db: Db, user: User, invitation_id: FromPath[int], data: JSONBody[AnswerUpdate]
) -> MyMeetingRead:
    invitation = await queries.own_invitation(db, user, invitation_id)
    await services.record_answer(db, invitation, data)
    return mine_read(invitation)


# --- calendar feeds ----------------------------------------------------------------------


@get("/kalender/{kind:str}/{owner_id:int}/{token:str}", opt=OPEN, include_in_schema=False)
async def calendar_feed(
    db: Db,
    settings: AppSettings,
    kind: FromPath[str],
    owner_id: FromPath[int],
    token: FromPath[str],
) -> Response[bytes]:
    token = token.removesuffix(".ics")
    owner = await db.get(Person if kind == "person" else Group, owner_id) if kind in FEEDS else None
    valid = owner is not None and getattr(owner, "active", False)
    if not valid or not is_signed(await feed_token(db, settings, kind, owner_id), token):
        raise NotFound("Fant ingen kalender her.")
    meetings = await queries.feed_meetings(db, kind, owner_id)
    # A feed URL can be passed around: it names no attendees. Each occurrence of a series is
    # its own event there, so a feed never holds exceptions to a rule it does not carry.
    events = [
        replace(letters.calendar_event(settings, m, []), uid=m.uid, recurrence_id=None)
        for m in meetings
    ]
    name = f"Medvirkning – {owner.name}" if isinstance(owner, Group) else "Medvirkning – mine møter"
    body = calendar_bytes("PUBLISH", events, name=name)
    return Response(body, media_type="text/calendar")


@post(
    "/api/my/calendar-feed",
    opt=EVERYONE,
    tags=TAGS,
    status_code=200,
    summary="Min kalenderadresse (ny hemmelighet hvis renew=true)",
)
async def my_feed(
    db: Db, settings: AppSettings, user: User, renew: FromQuery[bool] = False
) -> FeedRead:
    if user.person_id is None:
        raise Forbidden("En API-nøkkel har ingen egen kalender.")
    if renew:
        await renew_feed(db, "person", user.person_id)
    return FeedRead(await feed_url(db, settings, "person", user.person_id))


@post(
    "/api/groups/{group_id:int}/calendar-feed",
    opt=ADMIN,
    tags=TAGS,
    status_code=200,
    summary="Gruppens kalenderadresse (ny hemmelighet hvis renew=true)",
)
async def group_feed(
    db: Db, settings: AppSettings, group_id: FromPath[int], renew: FromQuery[bool] = False
) -> FeedRead:
    if renew:
        await renew_feed(db, "group", group_id)
    return FeedRead(await feed_url(db, settings, "group", group_id))


meetings_router = Router(
    path="/",
    route_handlers=[
        list_meetings,
        create_meeting,
        read_meeting,
        update_meeting,
        cancel_meeting,
        add_invitees,
        remove_invitee,
        attendance,
        minutes,
        add_point,
        delete_point,
        my_meetings,
        answer_api,
        calendar_feed,
        my_feed,
        group_feed,
    ],
)
