"""The project leader's meeting pages: list, schedule, follow the answers, and after the
meeting attendance, minutes and the points raised. Every POST that succeeds redirects."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select

from medvirkning.auth.access import ADMIN
from medvirkning.db import Db, utcnow
from medvirkning.dependencies import AppSettings, User
from medvirkning.errors import AppError, FieldError, InvalidInput, NotFound
from medvirkning.formats import OSLO
from medvirkning.meetings import queries, services
from medvirkning.meetings.feeds import feed_url, renew_feed
from medvirkning.meetings.letters import current
from medvirkning.meetings.models import Answer, Meeting
from medvirkning.meetings.schemas import (
    InviteesCreate,
    MeetingCreate,
    MeetingUpdate,
)
from medvirkning.people.models import Group
from medvirkning.plan.registers import milestone_options, phase_options
from medvirkning.web import attempt, struct_from_form

# What the meeting page says after each action: the redirect names it by key.
NOTICES = {
    "lagret": "Lagret, og e-post er sendt til de inviterte.",
    "avlyst": "Møtet er avlyst, og alle inviterte har fått beskjed.",
    "invitert": "Invitasjon er sendt.",
    "fjernet": "Personen er tatt av møtet og har fått en avlysning.",
    "oppmote": "Oppmøtet er lagret.",
    "referat": "Referatet er lagret.",
    "punkt": "Punktet er lagret.",
    "punkt-slettet": "Punktet er slettet.",
    "kalender": "Gruppen har fått en ny kalenderadresse. Den gamle virker ikke lenger.",
}
MEETING_FIELDS = ["title", "place", "video_link", "agenda", "phase_id", "milestone_id"]


def _lines(text: Any) -> list[str]:
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def _documents(text: Any) -> list[dict[str, str]]:
    """One document a line: "Title | https://…" (a bare address is its own title)."""
    documents = []
    for line in _lines(text):
        title, _, url = line.rpartition("|") if "|" in line else (line, "", line)
        documents.append({"title": title.strip() or url.strip(), "url": url.strip()})
    return documents


def _day(text: str) -> date:
    """A date as the browser sends it (2027-02-08) or as people write it (08.02.2027)."""
    text = text.strip()
    if "." in text:
        return datetime.strptime(text, "%d.%m.%Y").date()
    return date.fromisoformat(text)


def _moment(data: dict[str, Any], time_field: str) -> str | None:
    try:
        day = _day(str(data.get("date", "")))
        at = time.fromisoformat(str(data.get(time_field, "")).strip().replace(".", ":"))
    except ValueError:
        return None
    return datetime.combine(day, at, OSLO).isoformat()


# The service names the times it checks; the page shows them in its own fields.
PAGE_FIELDS = {"starts_at": "start", "ends_at": "end"}


def on_page(error: AppError) -> AppError:
    """The error with each field named as the form names it, so its link finds the field."""
    error.errors = [FieldError(PAGE_FIELDS.get(e.field, e.field), e.message) for e in error.errors]
    return error


def meeting_from_form(data: dict[str, Any], target: type[Any]) -> Any:
    """The page's fields (date, start, end, one document a line) as the API's Struct."""
    errors = []
    fields: dict[str, Any] = {name: data.get(name, "") for name in MEETING_FIELDS}
    fields["documents"] = _documents(data.get("documents", ""))
    fields["starts_at"], fields["ends_at"] = _moment(data, "start"), _moment(data, "end")
    if fields["starts_at"] is None:
        errors.append(
            FieldError("start", "Skriv dato og klokkeslett, for eksempel 08.02.2026 og 13:00.")
        )
    if fields["ends_at"] is None:
        errors.append(FieldError("end", "Skriv når møtet slutter, for eksempel 14:30."))
    if target is MeetingCreate:
        fields["group_ids"] = data.get("group_ids", [])
        fields["invitee_emails"] = _lines(data.get("invitee_emails", ""))
    try:
        payload = struct_from_form(target, fields, [n for n, v in fields.items() if v is not None])
    except InvalidInput as refused:
        errors += [e for e in refused.errors if e.field not in ("starts_at", "ends_at")]
    if errors:
        raise InvalidInput(errors=errors)
    return payload


async def _form(
    db: Db, meeting: Meeting | None, data: dict[str, Any], error: AppError | None = None
) -> Template:
    groups = await db.scalars(select(Group).where(Group.active.is_(True)).order_by(Group.name))
    ticked = data.get("group_ids", [])
    return Template(
        "meetings/form.html",
        context={
            "meeting": meeting,
            "values": data,
            "ticked": set(ticked if isinstance(ticked, list) else [ticked]),
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
async def meetings_page(db: Db, user: User) -> Template:
    return Template(
        "meetings/list.html",
        context={
            "upcoming": await queries.list_meetings(db, user, past=False, limit=500),
            "past": await queries.list_meetings(db, user, past=True, limit=30),
            "Answer": Answer,
        },
    )


@get("/admin/meetings/new", opt=ADMIN, include_in_schema=False)
async def new_meeting_page(db: Db) -> Template:
    start = (datetime.now(OSLO) + timedelta(days=7)).replace(hour=10, minute=0)
    return await _form(
        db, None, {"date": start.date().isoformat(), "start": "10:00", "end": "11:30"}
    )


@post("/admin/meetings/new", opt=ADMIN, include_in_schema=False)
async def create_meeting(
    db: Db, settings: AppSettings, user: User, data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    created: list[Meeting] = []

    async def create() -> None:
        payload = meeting_from_form(data, MeetingCreate)
        created.append(await services.create_meeting(db, settings, payload, user.person_id))

    if error := await attempt(db, create):
        return await _form(db, None, data, on_page(error))
    return Redirect(f"/admin/meetings/{created[0].id}?melding=lagret", status_code=303)


async def detail(
    db: Db,
    settings: AppSettings,
    meeting: Meeting,
    notice: str = "",
    error: AppError | None = None,
    typed: dict[str, Any] | None = None,
) -> Template:
    """The meeting page; after a refused action with the error and what was typed."""
    invited = current(meeting)
    feeds = {g.id: await feed_url(db, settings, "group", g.id) for g in meeting.groups}
    return Template(
        "meetings/detail.html",
        context={
            "meeting": meeting,
            "invitations": invited,
            "counts": {a: sum(1 for i in invited if i.answer == a) for a in Answer},
            "expected": services.expected_attendance(meeting),
            "corrected": any(i.attended is not None for i in meeting.invitations),
            "notice": notice,
            "error": error,
            "errors": {e.field.split("[")[0]: e.message for e in (error.errors if error else [])},
            "typed": typed or {},
            "held": meeting.starts_at <= utcnow(),
            "feeds": feeds,
        },
        status_code=error.status_code if error else 200,
    )


@get("/admin/meetings/{meeting_id:int}", opt=ADMIN, include_in_schema=False)
async def meeting_page(
    db: Db,
    settings: AppSettings,
    user: User,
    meeting_id: FromPath[int],
    melding: FromQuery[str] = "",
) -> Template:
    meeting = await queries.get_meeting(db, user, meeting_id)
    return await detail(db, settings, meeting, NOTICES.get(melding, ""))


@post("/admin/meetings/{meeting_id:int}", opt=ADMIN, include_in_schema=False)
async def update_meeting(
    db: Db,
    settings: AppSettings,
    user: User,
    meeting_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def update() -> None:
        payload = meeting_from_form(data, MeetingUpdate)
        await services.update_meeting(db, settings, meeting_id, payload)

    if error := await attempt(db, update):
        meeting = await queries.get_meeting(db, user, meeting_id)
        return await _form(db, meeting, data, on_page(error))
    return Redirect(f"/admin/meetings/{meeting_id}?melding=lagret", status_code=303)


@get("/admin/meetings/{meeting_id:int}/edit", opt=ADMIN, include_in_schema=False)
async def edit_meeting_page(db: Db, user: User, meeting_id: FromPath[int]) -> Template:
    meeting = await queries.get_meeting(db, user, meeting_id)
    return await _form(db, meeting, _values_of(meeting))


async def act(
    db: Db,
    settings: AppSettings,
    user: User,
    meeting_id: int,
    action: Any,
    notice: str,
    typed: dict[str, Any] | None = None,
) -> Template | Redirect:
    """A change from the meeting page: back to the page with its notice, or its error."""
    if error := await attempt(db, action):
        meeting = await queries.get_meeting(db, user, meeting_id)
        return await detail(db, settings, meeting, error=error, typed=typed)
    return Redirect(f"/admin/meetings/{meeting_id}?melding={notice}", status_code=303)


def confirm(
    meeting: Meeting, question: str, explanation: str, action: str, button: str
) -> Template:
    """A destructive action asks on a page of its own, which works without JavaScript."""
    return Template(
        "meetings/confirm.html",
        context={
            "meeting": meeting,
            "question": question,
            "explanation": explanation,
            "action": action,
            "button": button,
        },
    )


@get("/admin/meetings/{meeting_id:int}/cancel", opt=ADMIN, include_in_schema=False)
async def cancel_meeting_page(db: Db, user: User, meeting_id: FromPath[int]) -> Template:
    meeting = await queries.get_meeting(db, user, meeting_id)
    return confirm(
        meeting,
        f"Avlyse {meeting.title}?",
        f"Alle {len(current(meeting))} inviterte får en avlysning, og møtet fjernes fra "
        "kalenderne deres. Dette kan ikke angres.",
        f"/admin/meetings/{meeting.id}/cancel",
        "Ja, avlys møtet",
    )


@post("/admin/meetings/{meeting_id:int}/cancel", opt=ADMIN, include_in_schema=False)
async def cancel_meeting(
    db: Db, settings: AppSettings, user: User, meeting_id: FromPath[int]
) -> Template | Redirect:
    async def cancel() -> None:
        await services.cancel_meeting(db, settings, meeting_id)

    return await act(db, settings, user, meeting_id, cancel, "avlyst")


@post("/admin/meetings/{meeting_id:int}/invitees", opt=ADMIN, include_in_schema=False)
async def add_invitees(
    db: Db,
    settings: AppSettings,
    user: User,
    meeting_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def invite() -> None:
        form = {"emails": _lines(data.get("emails", ""))}
        await services.add_invitees(
            db, settings, meeting_id, struct_from_form(InviteesCreate, form, ["emails"])
        )

    typed = {"emails": str(data.get("emails", ""))}
    return await act(db, settings, user, meeting_id, invite, "invitert", typed)


@get(
    "/admin/meetings/{meeting_id:int}/invitees/{person_id:int}/remove",
    opt=ADMIN,
    include_in_schema=False,
)
async def remove_invitee_page(
    db: Db, user: User, meeting_id: FromPath[int], person_id: FromPath[int]
) -> Template:
    meeting = await queries.get_meeting(db, user, meeting_id)
    invitation = next((i for i in current(meeting) if i.person_id == person_id), None)
    if invitation is None:
        raise NotFound("Personen er ikke invitert til møtet.")
    name = invitation.person.name
    return confirm(
        meeting,
        f"Ta {name} av {meeting.title}?",
        f"{name} får en melding om at invitasjonen er trukket tilbake, og møtet fjernes fra "
        "kalenderen til vedkommende. De andre inviterte merker ingenting.",
        f"/admin/meetings/{meeting.id}/invitees/{person_id}/remove",
        f"Ja, ta {name} av møtet",
    )


@post(
    "/admin/meetings/{meeting_id:int}/invitees/{person_id:int}/remove",
    opt=ADMIN,
    include_in_schema=False,
)
async def remove_invitee(
    db: Db, settings: AppSettings, user: User, meeting_id: FromPath[int], person_id: FromPath[int]
) -> Template | Redirect:
    async def remove() -> None:
        await services.remove_invitee(db, settings, meeting_id, person_id)

    return await act(db, settings, user, meeting_id, remove, "fjernet")


@post(
    "/admin/meetings/{meeting_id:int}/groups/{group_id:int}/calendar-feed",
    opt=ADMIN,
    include_in_schema=False,
)
async def renew_group_feed(
    db: Db, user: User, meeting_id: FromPath[int], group_id: FromPath[int]
) -> Redirect:
    meeting = await queries.get_meeting(db, user, meeting_id)
    if group_id not in {g.id for g in meeting.groups}:
        raise NotFound("Gruppen er ikke invitert til møtet.")
    await renew_feed(db, "group", group_id)
    return Redirect(f"/admin/meetings/{meeting_id}?melding=kalender", status_code=303)


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
        cancel_meeting_page,
        cancel_meeting,
        add_invitees,
        remove_invitee_page,
        remove_invitee,
        renew_group_feed,
    ],
)
