"""The project leader's meeting pages: list, schedule, follow the answers, and after the
meeting attendance, minutes and the points raised. Every POST that succeeds redirects."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select

from medvirkning.auth.access import ADMIN
from medvirkning.db import Db, utcnow
from medvirkning.dependencies import AppSettings, User
from medvirkning.errors import AppError, NotFound
from medvirkning.formats import OSLO
from medvirkning.meetings import queries, record, services
from medvirkning.meetings.feeds import feed_url, renew_feed
from medvirkning.meetings.forms import (
    MEETING_FIELDS,
    lines,
    listed,
    meeting_from_form,
    on_page,
)
from medvirkning.meetings.letters import current
from medvirkning.meetings.models import Answer, Meeting
from medvirkning.meetings.schemas import (
    InviteesCreate,
    MeetingCreate,
    MeetingUpdate,
)
from medvirkning.people.models import Group, GroupKind
from medvirkning.plan.registers import milestone_options, phase_options
from medvirkning.register import StaleEdit
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


async def _form(
    db: Db, meeting: Meeting | None, data: dict[str, Any], error: AppError | None = None
) -> Template:
    groups = await db.scalars(select(Group).where(Group.active.is_(True)).order_by(Group.name))
    stale = isinstance(error, StaleEdit)
    # After a stale save the form carries the other person's version, so saving again
    # overwrites knowingly; after any other error, still the version the user first saw.
    version = meeting.version if meeting and (stale or "version" not in data) else None
    return Template(
        "meetings/form.html",
        context={
            "meeting": meeting,
            "values": data,
            "version": version or data.get("version", ""),
            "theirs": _values_of(meeting) if meeting and stale else None,
            "ticked": set(listed(data.get("group_ids", []))),
            "error": error,
            "errors": {e.field.split("[")[0]: e.message for e in (error.errors if error else [])},
            "groups": list(groups),
            # Plural: "Alle referansegrupper", "Alle nettverk".
            "group_kinds": [
                (k.value, k.label if k.label.endswith("k") else f"{k.label}r") for k in GroupKind
            ],
            "kinds_ticked": set(listed(data.get("group_kinds", []))),
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


def _one_row_a_series(meetings: list[Meeting]) -> tuple[list[Meeting], dict[str, int]]:
    """A series shows as its next meeting, with how many of it are listed."""
    shown, counts = [], dict[str, int]()
    for meeting in meetings:
        if meeting.series_uid:
            counts[meeting.series_uid] = counts.get(meeting.series_uid, 0) + 1
            if counts[meeting.series_uid] > 1:
                continue
        shown.append(meeting)
    return shown, counts


@get("/admin/meetings", opt=ADMIN, include_in_schema=False)
async def meetings_page(db: Db, user: User) -> Template:
    upcoming, in_series = _one_row_a_series(
        await queries.list_meetings(db, user, past=False, limit=500)
    )
    return Template(
        "meetings/list.html",
        context={
            "upcoming": upcoming,
            "in_series": in_series,
            "past": await queries.list_meetings(db, user, past=True, limit=30),
            "Answer": Answer,
        },
    )


@get("/admin/meetings/new", opt=ADMIN, include_in_schema=False)
async def new_meeting_page(db: Db, user: User, kopi: FromQuery[int | None] = None) -> Template:
    """A new meeting, or a copy of one (its groups, place, agenda, documents) to date anew."""
    start = (datetime.now(OSLO) + timedelta(days=7)).replace(hour=10, minute=0)
    values: dict[str, Any] = {"date": start.date().isoformat(), "start": "10:00", "end": "11:30"}
    if kopi is not None:
        original = await queries.get_meeting(db, user, kopi)
        copied = _values_of(original)
        values |= {k: copied[k] for k in [*MEETING_FIELDS, "documents", "start", "end"]}
        values["group_ids"] = [str(g.id) for g in original.groups]
    return await _form(db, None, values)


@post("/admin/meetings/new", opt=ADMIN, include_in_schema=False)
async def create_meeting(
    db: Db, settings: AppSettings, user: User, data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    created: list[Meeting] = []

    async def create() -> None:
        payload = meeting_from_form(data, MeetingCreate)
        created.append((await services.create_meeting(db, settings, payload, user.person_id))[0])

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
    in_series = sorted(
        [meeting, *await queries.series_of(db, meeting)] if meeting.series_uid else [],
        key=lambda m: m.recurrence_id or m.starts_at,
    )
    return Template(
        "meetings/detail.html",
        context={
            "meeting": meeting,
            "invitations": invited,
            "counts": {a: sum(1 for i in invited if i.answer == a) for a in Answer},
            "expected": record.expected_attendance(meeting),
            "corrected": any(i.attended is not None for i in meeting.invitations),
            "notice": notice,
            "error": error,
            "errors": {e.field.split("[")[0]: e.message for e in (error.errors if error else [])},
            "typed": typed or {},
            "held": meeting.starts_at <= utcnow(),
            "feeds": feeds,
            "series": in_series,
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
        form = {"emails": lines(data.get("emails", ""))}
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
