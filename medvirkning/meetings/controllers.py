"""Meetings in the JSON API, the answer links in the e-mails, and the calendar feeds."""

from __future__ import annotations

import hmac
from dataclasses import replace
from datetime import timedelta
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, patch, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Template
from sqlalchemy import select

from medvirkning.auth.access import ADMIN, EVERYONE, OPEN, Principal
from medvirkning.db import Db, utcnow
from medvirkning.errors import Forbidden, InvalidInput, NotFound
from medvirkning.meetings import services
from medvirkning.meetings.calendar import calendar_bytes
from medvirkning.meetings.feeds import feed_owner_meetings, feed_token, renew_feed
from medvirkning.meetings.models import Answer, Invitation, Meeting, MeetingPoint
from medvirkning.meetings.schemas import (
    AnswerIn,
    AttendanceIn,
    DocumentRead,
    InvitationRead,
    InviteesIn,
    MeetingCreate,
    MeetingRead,
    MeetingUpdate,
    MinutesIn,
    PointIn,
    PointRead,
)
from medvirkning.people.models import Group, Person
from medvirkning.schema import Ref

FEEDS = ("person", "group")

TAGS = ["Møter"]


def meeting_read(meeting: Meeting) -> MeetingRead:
    return MeetingRead(
        id=meeting.id,
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
            for i in meeting.invitations
        ],
        points=[PointRead(p.id, p.text, p.raised_by, p.input_id) for p in meeting.points],
    )


async def _fresh(db: Db, meeting: Meeting) -> MeetingRead:
    await db.flush()
    await db.refresh(meeting, ["invitations", "documents", "points", "groups"])
    return meeting_read(meeting)


@get("/api/meetings", opt=ADMIN, tags=TAGS, summary="Møter, de kommende først")
async def list_meetings(db: Db, past: FromQuery[bool] = False) -> list[MeetingRead]:
    now = utcnow()
    stmt = select(Meeting).order_by(Meeting.starts_at.desc() if past else Meeting.starts_at)
    stmt = stmt.where(Meeting.ends_at < now) if past else stmt.where(Meeting.ends_at >= now)
    return [meeting_read(m) for m in await db.scalars(stmt.limit(500))]


@post("/api/meetings", opt=ADMIN, tags=TAGS, summary="Kall inn til et møte")
async def create_meeting(
    request: Request[Principal, Any, Any], db: Db, state: State, data: JSONBody[MeetingCreate]
) -> MeetingRead:
    meeting = await services.create_meeting(db, state.settings, data, request.user.person_id)
    return meeting_read(meeting)  # loaded as it was made: no need to read it back


@get("/api/meetings/{meeting_id:int}", opt=ADMIN, tags=TAGS, summary="Et møte med svarene")
async def read_meeting(db: Db, meeting_id: FromPath[int]) -> MeetingRead:
    return meeting_read(await services.get_meeting(db, meeting_id))


@patch(
    "/api/meetings/{meeting_id:int}",
    opt=ADMIN,
    tags=TAGS,
    summary="Endre et møte (sender oppdatering)",
)
async def update_meeting(
    db: Db, state: State, meeting_id: FromPath[int], data: JSONBody[MeetingUpdate]
) -> MeetingRead:
    return await _fresh(db, await services.update_meeting(db, state.settings, meeting_id, data))


@post(
    "/api/meetings/{meeting_id:int}/cancel", opt=ADMIN, tags=TAGS, status_code=200, summary="Avlys"
)
async def cancel_meeting(db: Db, state: State, meeting_id: FromPath[int]) -> MeetingRead:
    return await _fresh(db, await services.cancel_meeting(db, state.settings, meeting_id))


@post(
    "/api/meetings/{meeting_id:int}/invitees",
    opt=ADMIN,
    tags=TAGS,
    status_code=200,
    summary="Inviter flere",
)
async def add_invitees(
    db: Db, state: State, meeting_id: FromPath[int], data: JSONBody[InviteesIn]
) -> MeetingRead:
    meeting = await services.add_invitees(db, state.settings, meeting_id, data.emails)
    return await _fresh(db, meeting)


@post(
    "/api/meetings/{meeting_id:int}/invitees/{person_id:int}/remove",
    opt=ADMIN,
    tags=TAGS,
    status_code=200,
    summary="Ta en invitert av møtet (sender avlysning til vedkommende)",
)
async def remove_invitee(
    db: Db, state: State, meeting_id: FromPath[int], person_id: FromPath[int]
) -> MeetingRead:
    meeting = await services.remove_invitee(db, state.settings, meeting_id, person_id)
    return await _fresh(db, meeting)


@put("/api/meetings/{meeting_id:int}/attendance", opt=ADMIN, tags=TAGS, summary="Oppmøte")
async def attendance(
    db: Db, meeting_id: FromPath[int], data: JSONBody[AttendanceIn]
) -> MeetingRead:
    meeting = await services.record_attendance(db, meeting_id, set(data.attended_person_ids))
    return await _fresh(db, meeting)


@put("/api/meetings/{meeting_id:int}/minutes", opt=ADMIN, tags=TAGS, summary="Referat")
async def minutes(db: Db, meeting_id: FromPath[int], data: JSONBody[MinutesIn]) -> MeetingRead:
    meeting = await services.get_meeting(db, meeting_id)
    meeting.minutes = data.minutes
    return await _fresh(db, meeting)


@post("/api/meetings/{meeting_id:int}/points", opt=ADMIN, tags=TAGS, summary="Et punkt fra møtet")
async def add_point(db: Db, meeting_id: FromPath[int], data: JSONBody[PointIn]) -> MeetingRead:
    meeting = await services.get_meeting(db, meeting_id)
    meeting.points.append(MeetingPoint(text=data.text.strip(), raised_by=data.raised_by.strip()))
    return await _fresh(db, meeting)


# --- a member's own meetings ------------------------------------------------------------


async def _my_invitations(db: Db, person_id: int | None) -> list[Invitation]:
    rows = await db.scalars(
        select(Invitation)
        .join(Meeting)
        .options(services.with_meeting())
        .where(
            Invitation.person_id == person_id,
            Invitation.removed_at.is_(None),
            Meeting.ends_at >= utcnow() - timedelta(days=30),
        )
        .order_by(Meeting.starts_at)
    )
    return list(rows.unique())


class MyMeetingRead(msgspec.Struct, frozen=True):
    invitation_id: int
    answer: Answer
    meeting: MeetingRead


def _mine_read(invitation: Invitation) -> MyMeetingRead:
    """A member sees the meeting and their own invitation, not who else was invited."""
    meeting = meeting_read(invitation.meeting)
    own = [i for i in meeting.invitations if i.id == invitation.id]
    return MyMeetingRead(
        invitation.id, invitation.answer, msgspec.structs.replace(meeting, invitations=own)
    )


@get("/api/my/meetings", opt=EVERYONE, tags=TAGS, summary="Mine møter")
async def my_meetings(request: Request[Principal, Any, Any], db: Db) -> list[MyMeetingRead]:
    return [_mine_read(i) for i in await _my_invitations(db, request.user.person_id)]


async def _own_invitation(db: Db, user: Principal, invitation_id: int) -> Invitation:
    invitation = await services.get_invitation(db, invitation_id)
    if invitation is None:
        raise NotFound("Fant ikke invitasjonen.")
    if invitation.person_id != user.person_id:
        raise Forbidden("Du kan bare svare på dine egne invitasjoner.")
    return invitation


@post(
    "/api/my/invitations/{invitation_id:int}/answer",
    opt=EVERYONE,
    tags=TAGS,
    status_code=200,
    summary="Svar på en invitasjon",
)
async def answer_api(
    request: Request[Principal, Any, Any],
    db: Db,
    invitation_id: FromPath[int],
    data: JSONBody[AnswerIn],
) -> MyMeetingRead:
    invitation = await _own_invitation(db, request.user, invitation_id)
    await services.record_answer(db, invitation, data.answer)
    return _mine_read(invitation)


async def _mine(
    request: Request[Principal, Any, Any], db: Db, state: State, saved: bool = False
) -> Template:
    person_id = request.user.person_id
    feed = None
    if person_id is not None:
        token = await feed_token(db, state.settings, "person", person_id)
        feed = f"{state.settings.public_base_url}/kalender/person/{person_id}/{token}.ics"
    return Template(
        "meetings/mine.html",
        context={
            "invitations": await _my_invitations(db, person_id),
            "feed": feed,
            "saved": saved,
        },
    )


@get("/moter", opt=EVERYONE, include_in_schema=False)
async def my_meetings_page(request: Request[Principal, Any, Any], db: Db, state: State) -> Template:
    return await _mine(request, db, state)


@post("/moter/kalender", opt=EVERYONE, include_in_schema=False)
async def renew_my_feed_page(
    request: Request[Principal, Any, Any], db: Db, state: State
) -> Template:
    if request.user.person_id is None:
        raise Forbidden("En API-nøkkel har ingen egen kalender.")
    await renew_feed(db, "person", request.user.person_id)
    return await _mine(request, db, state)


@post("/moter/svar/{invitation_id:int}", opt=EVERYONE, include_in_schema=False)
async def answer_page_signed_in(
    request: Request[Principal, Any, Any],
    db: Db,
    state: State,
    invitation_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template:
    invitation = await _own_invitation(db, request.user, invitation_id)
    await _answer_from_form(db, invitation, data)
    return await _mine(request, db, state, saved=True)


async def _answer_from_form(db: Db, invitation: Invitation, data: dict[str, Any]) -> None:
    value = data.get("svar", "")
    if value not in {a.value for a in Answer} or value == Answer.NO_ANSWER:
        raise InvalidInput.for_field("svar", "Velg om du kommer, kanskje kommer eller ikke kommer.")
    await services.record_answer(db, invitation, Answer(value))


# --- answering from the e-mail, without signing in --------------------------------------


async def _signed_invitation(db: Db, state: State, invitation_id: int, token: str) -> Invitation:
    invitation = await services.get_invitation(db, invitation_id)
    if invitation is None or not services.valid_answer_token(state.settings, invitation_id, token):
        raise NotFound("Lenken er ikke gyldig.")
    return invitation


@get("/svar/{invitation_id:int}/{token:str}", opt=OPEN, include_in_schema=False)
async def answer_link(
    db: Db,
    state: State,
    invitation_id: FromPath[int],
    token: FromPath[str],
    svar: FromQuery[str] = "",
) -> Template:
    # Mail scanners open every link: looking records nothing, the button does.
    invitation = await _signed_invitation(db, state, invitation_id, token)
    return Template(
        "meetings/answer.html", context={"invitation": invitation, "chosen": svar, "saved": False}
    )


@post("/svar/{invitation_id:int}/{token:str}", opt=OPEN, include_in_schema=False)
async def answer_link_post(
    db: Db,
    state: State,
    invitation_id: FromPath[int],
    token: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template:
    invitation = await _signed_invitation(db, state, invitation_id, token)
    await _answer_from_form(db, invitation, data)
    return Template(
        "meetings/answer.html",
        context={"invitation": invitation, "chosen": invitation.answer.value, "saved": True},
    )


# --- calendar feeds ----------------------------------------------------------------------


@get("/kalender/{kind:str}/{owner_id:int}/{token:str}", opt=OPEN, include_in_schema=False)
async def calendar_feed(
    db: Db, state: State, kind: FromPath[str], owner_id: FromPath[int], token: FromPath[str]
) -> Response[bytes]:
    token = token.removesuffix(".ics")
    owner = await db.get(Person if kind == "person" else Group, owner_id) if kind in FEEDS else None
    valid = owner is not None and getattr(owner, "active", False)
    expected = await feed_token(db, state.settings, kind, owner_id) if valid else ""
    if not valid or not hmac.compare_digest(token.encode(), expected.encode()):
        raise NotFound("Fant ingen kalender her.")
    meetings = await feed_owner_meetings(db, kind, owner_id)
    # A feed URL can be passed around: it names no attendees. Each occurrence of a series is
    # its own event there, so a feed never holds exceptions to a rule it does not carry.
    events = [
        replace(services.calendar_event(state.settings, m, []), uid=m.uid, recurrence_id=None)
        for m in meetings
    ]
    body = calendar_bytes("PUBLISH", events, name="Medvirkning – møter")
    return Response(body, media_type="text/calendar; charset=utf-8")


class FeedRead(msgspec.Struct, frozen=True):
    url: str


@post(
    "/api/my/calendar-feed",
    opt=EVERYONE,
    tags=TAGS,
    status_code=200,
    summary="Min kalenderadresse (ny hemmelighet hvis renew=true)",
)
async def my_feed(
    request: Request[Principal, Any, Any], db: Db, state: State, renew: FromQuery[bool] = False
) -> FeedRead:
    if request.user.person_id is None:
        raise Forbidden("En API-nøkkel har ingen egen kalender.")
    if renew:
        await renew_feed(db, "person", request.user.person_id)
    token = await feed_token(db, state.settings, "person", request.user.person_id)
    return FeedRead(
        f"{state.settings.public_base_url}/kalender/person/{request.user.person_id}/{token}.ics"
    )


@post(
    "/api/groups/{group_id:int}/calendar-feed",
    opt=ADMIN,
    tags=TAGS,
    status_code=200,
    summary="Gruppens kalenderadresse (ny hemmelighet hvis renew=true)",
)
async def group_feed(
    db: Db, state: State, group_id: FromPath[int], renew: FromQuery[bool] = False
) -> FeedRead:
    if renew:
        await renew_feed(db, "group", group_id)
    token = await feed_token(db, state.settings, "group", group_id)
    return FeedRead(f"{state.settings.public_base_url}/kalender/group/{group_id}/{token}.ics")


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
        my_meetings,
        answer_api,
        my_meetings_page,
        renew_my_feed_page,
        answer_page_signed_in,
        answer_link,
        answer_link_post,
        calendar_feed,
        my_feed,
        group_feed,
    ],
)
