"""The project leader's meeting pages: list, schedule, follow the answers, and after the
meeting attendance, minutes and the points raised."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import msgspec
from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select

from medvirkning.auth.access import ADMIN, Principal
from medvirkning.db import Db, utcnow
from medvirkning.errors import AppError, FieldError, InvalidInput, translate_validation_message
from medvirkning.formats import OSLO
from medvirkning.meetings import services
from medvirkning.meetings.feeds import feed_token
from medvirkning.meetings.models import Answer, Meeting, MeetingPoint
from medvirkning.meetings.schemas import MeetingCreate, MeetingUpdate
from medvirkning.people.models import Group
from medvirkning.plan.registers import milestone_options, phase_options


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _documents(text: str) -> list[dict[str, str]]:
    """One document a line: "Title | https://…" (a bare address is its own title)."""
    documents = []
    for line in _lines(text):
        title, _, url = line.rpartition("|") if "|" in line else (line, "", line)
        documents.append({"title": title.strip() or url.strip(), "url": url.strip()})
    return documents


def _moment(data: dict[str, Any], day_field: str, time_field: str) -> str | None:
    try:
        day = date.fromisoformat(str(data.get(day_field, "")).strip())
        at = time.fromisoformat(str(data.get(time_field, "")).strip())
    except ValueError:
        return None
    return datetime.combine(day, at, OSLO).isoformat()


def _form_values(data: dict[str, Any], creating: bool) -> tuple[dict[str, Any], list[FieldError]]:
    errors = []
    starts_at = _moment(data, "date", "start")
    ends_at = _moment(data, "date", "end")
    if starts_at is None:
        errors.append(
            FieldError("start", "Skriv dato og klokkeslett, for eksempel 08.02.2026 og 13:00.")
        )
    if ends_at is None:
        errors.append(FieldError("end", "Skriv når møtet slutter, for eksempel 14:30."))
    values: dict[str, Any] = {
        "title": str(data.get("title", "")),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": str(data.get("place", "")),
        "video_link": str(data.get("video_link", "")).strip(),
        "agenda": str(data.get("agenda", "")),
        "phase_id": int(data["phase_id"]) if str(data.get("phase_id", "")).isdigit() else None,
        "milestone_id": (
            int(data["milestone_id"]) if str(data.get("milestone_id", "")).isdigit() else None
        ),
        "documents": _documents(str(data.get("documents", ""))),
    }
    if creating:
        groups = data.get("group_ids", [])
        values["group_ids"] = [
            int(g) for g in (groups if isinstance(groups, list) else [groups]) if str(g).isdigit()
        ]
        values["invitee_emails"] = _lines(str(data.get("invitee_emails", "")))
    return values, errors


def _parse(data: dict[str, Any], creating: bool) -> Any:
    values, errors = _form_values(data, creating)
    target = MeetingCreate if creating else MeetingUpdate
    if not errors:
        try:
            return msgspec.convert(values, target, strict=False)
        except msgspec.ValidationError as exc:
            errors.append(translate_validation_message(str(exc)))
    raise InvalidInput(errors=errors)


async def _form(
    db: Db, meeting: Meeting | None, data: dict[str, Any], error: AppError | None = None
) -> Template:
    groups = await db.scalars(select(Group).where(Group.active.is_(True)).order_by(Group.name))
    return Template(
        "meetings/form.html",
        context={
            "meeting": meeting,
            "values": data,
            "error": error,
            "errors": {e.field.split("[")[0]: e.message for e in (error.errors if error else [])},
            "groups": list(groups),
            "phases": await phase_options(db),
            "milestones": await milestone_options(db),
        },
        status_code=error.status_code if error else 200,
    )


def _values_of(meeting: Meeting) -> dict[str, Any]:
    start, end = meeting.starts_at.astimezone(OSLO), meeting.ends_at.astimezone(OSLO)
    return {
        "title": meeting.title,
        "date": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "place": meeting.place,
        "video_link": meeting.video_link,
        "agenda": meeting.agenda,
        "phase_id": str(meeting.phase_id or ""),
        "milestone_id": str(meeting.milestone_id or ""),
        "documents": "\n".join(f"{d.title} | {d.url}" for d in meeting.documents),
    }


@get("/admin/meetings", opt=ADMIN, include_in_schema=False)
async def meetings_page(db: Db) -> Template:
    now = utcnow()
    upcoming = await db.scalars(
        select(Meeting).where(Meeting.ends_at >= now).order_by(Meeting.starts_at)
    )
    past = await db.scalars(
        select(Meeting).where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc()).limit(30)
    )
    return Template(
        "meetings/list.html",
        context={"upcoming": list(upcoming), "past": list(past), "Answer": Answer},
    )


@get("/admin/meetings/new", opt=ADMIN, include_in_schema=False)
async def new_meeting_page(db: Db) -> Template:
    start = (datetime.now(OSLO) + timedelta(days=7)).replace(hour=10, minute=0)
    return await _form(
        db, None, {"date": start.date().isoformat(), "start": "10:00", "end": "11:30"}
    )


@post("/admin/meetings/new", opt=ADMIN, include_in_schema=False)
async def create_meeting(
    request: Request[Principal, Any, Any],
    db: Db,
    state: State,
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    try:
        meeting = await services.create_meeting(
            db, state.settings, _parse(data, True), request.user.person_id
        )
    except AppError as error:
        await db.rollback()
        return await _form(db, None, data, error)
    return Redirect(f"/admin/meetings/{meeting.id}?lagret=1", status_code=303)


async def _detail(
    db: Db, state: State, meeting: Meeting, notice: str = "", error: AppError | None = None
) -> Template:
    current = services.current(meeting)
    feeds = {g.id: await feed_token(db, state.settings, "group", g.id) for g in meeting.groups}
    return Template(
        "meetings/detail.html",
        context={
            "meeting": meeting,
            "invitations": current,
            "counts": {a: sum(1 for i in current if i.answer == a) for a in Answer},
            "expected": services.expected_attendance(meeting),
            "notice": notice,
            "error": error,
            "past": meeting.starts_at <= utcnow(),
            "feeds": feeds,
            "base_url": state.settings.public_base_url,
            "edit": _values_of(meeting),
        },
        status_code=error.status_code if error else 200,
    )


@get("/admin/meetings/{meeting_id:int}", opt=ADMIN, include_in_schema=False)
async def meeting_page(
    db: Db, state: State, meeting_id: FromPath[int], lagret: FromQuery[bool] = False
) -> Template:
    meeting = await services.get_meeting(db, meeting_id)
    return await _detail(
        db, state, meeting, "Lagret, og e-post er sendt til de inviterte." if lagret else ""
    )


@post("/admin/meetings/{meeting_id:int}", opt=ADMIN, include_in_schema=False)
async def update_meeting(
    db: Db, state: State, meeting_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    try:
        await services.update_meeting(db, state.settings, meeting_id, _parse(data, False))
    except AppError as error:
        await db.rollback()
        return await _form(db, await services.get_meeting(db, meeting_id), data, error)
    return Redirect(f"/admin/meetings/{meeting_id}?lagret=1", status_code=303)


@get("/admin/meetings/{meeting_id:int}/edit", opt=ADMIN, include_in_schema=False)
async def edit_meeting_page(db: Db, meeting_id: FromPath[int]) -> Template:
    meeting = await services.get_meeting(db, meeting_id)
    return await _form(db, meeting, _values_of(meeting))


async def _act(db: Db, state: State, meeting_id: int, action: Any, notice: str) -> Template:
    try:
        await action()
    except AppError as error:
        await db.rollback()
        return await _detail(db, state, await services.get_meeting(db, meeting_id), error=error)
    meeting = await services.get_meeting(db, meeting_id)
    await db.flush()
    await db.refresh(meeting)
    return await _detail(db, state, meeting, notice)


@post("/admin/meetings/{meeting_id:int}/cancel", opt=ADMIN, include_in_schema=False)
async def cancel_meeting(db: Db, state: State, meeting_id: FromPath[int]) -> Template:
    return await _act(
        db,
        state,
        meeting_id,
        lambda: services.cancel_meeting(db, state.settings, meeting_id),
        "Møtet er avlyst, og alle inviterte har fått beskjed.",
    )


@post("/admin/meetings/{meeting_id:int}/invitees", opt=ADMIN, include_in_schema=False)
async def add_invitees(
    db: Db, state: State, meeting_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template:
    emails = _lines(str(data.get("emails", "")))
    return await _act(
        db,
        state,
        meeting_id,
        lambda: services.add_invitees(db, state.settings, meeting_id, emails),
        "Invitasjon er sendt.",
    )


@post(
    "/admin/meetings/{meeting_id:int}/invitees/{person_id:int}/remove",
    opt=ADMIN,
    include_in_schema=False,
)
async def remove_invitee(
    db: Db, state: State, meeting_id: FromPath[int], person_id: FromPath[int]
) -> Template:
    return await _act(
        db,
        state,
        meeting_id,
        lambda: services.remove_invitee(db, state.settings, meeting_id, person_id),
        "Personen er tatt av møtet og har fått en avlysning.",
    )


@post("/admin/meetings/{meeting_id:int}/attendance", opt=ADMIN, include_in_schema=False)
async def attendance(
    db: Db, state: State, meeting_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template:
    present = data.get("present", [])
    ids = {
        int(p) for p in (present if isinstance(present, list) else [present]) if str(p).isdigit()
    }
    return await _act(
        db,
        state,
        meeting_id,
        lambda: services.record_attendance(db, meeting_id, ids),
        "Oppmøtet er lagret.",
    )


@post("/admin/meetings/{meeting_id:int}/minutes", opt=ADMIN, include_in_schema=False)
async def minutes(
    db: Db, state: State, meeting_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template:
    async def save() -> None:
        (await services.get_meeting(db, meeting_id)).minutes = str(data.get("minutes", ""))

    return await _act(db, state, meeting_id, save, "Referatet er lagret.")


@post("/admin/meetings/{meeting_id:int}/points", opt=ADMIN, include_in_schema=False)
async def add_point(
    db: Db, state: State, meeting_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template:
    async def save() -> None:
        text = str(data.get("text", "")).strip()
        if not text:
            raise InvalidInput.for_field("text", "Skriv hva som ble tatt opp.")
        meeting = await services.get_meeting(db, meeting_id)
        meeting.points.append(
            MeetingPoint(text=text, raised_by=str(data.get("raised_by", "")).strip())
        )

    return await _act(db, state, meeting_id, save, "Punktet er lagret.")


meeting_pages = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[
        meetings_page,
        new_meeting_page,
        create_meeting,
        meeting_page,
        update_meeting,
        edit_meeting_page,
        cancel_meeting,
        add_invitees,
        remove_invitee,
        attendance,
        minutes,
        add_point,
    ],
)
