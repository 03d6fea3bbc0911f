"""The distribution page of a survey, for the project leader: opening and closing times,
the audience, sending links and reminders (each confirmed on a page of its own), open links
and the live response rate. Every POST that succeeds redirects (303)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any

from litestar import Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import func, select

from medvirkning.auth.access import ADMIN
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings
from medvirkning.errors import AppError, FieldError, InvalidInput
from medvirkning.formats import OSLO
from medvirkning.meetings.forms import lines, listed
from medvirkning.people.models import Group, MembershipRole
from medvirkning.region.models import Municipality
from medvirkning.surveys import distribution
from medvirkning.surveys.answering import published_version
from medvirkning.surveys.distribution_api import open_link_reads
from medvirkning.surveys.distribution_schemas import (
    AudienceCreate,
    OpenLinkCreate,
    ScheduleUpdate,
)
from medvirkning.surveys.models import Survey
from medvirkning.surveys.respondents import SurveyAnswered, SurveyRecipient
from medvirkning.web import attempt, struct_from_form

BASE = "/admin/surveys/{survey_id:int}/utsending"
NOTICES = {
    "tider": "Åpning og stenging er lagret.",
    "mottakere": "Mottakerne er lagt til.",
    "lenker": "Lenkene er lagt i utboksen og sendes nå.",
    "purring": "Påminnelsene er lagt i utboksen og sendes nå.",
    "apen": "Den åpne lenken er laget.",
}
AUDIENCE_FIELDS = ["municipality_ids", "group_ids", "roles", "emails", "list_municipality_id"]


def _moment(data: dict[str, Any], prefix: str) -> datetime | None:
    """A date and a time of day on the page (Norwegian time) as one moment; empty is none."""
    day_text = str(data.get(f"{prefix}_date", "")).strip()
    time_text = str(data.get(f"{prefix}_time", "")).strip() or "00:00"
    if not day_text:
        return None
    try:
        day = (
            datetime.strptime(day_text, "%d.%m.%Y").date()
            if "." in day_text
            else date.fromisoformat(day_text)
        )
        at = time.fromisoformat(time_text.replace(".", ":"))
    except ValueError:
        raise InvalidInput.for_field(
            f"{prefix}_date", "Skriv dato og klokkeslett, for eksempel 08.02.2027 og 13:00."
        ) from None
    return datetime.combine(day, at, OSLO)


def _local(moment: datetime | None) -> tuple[str, str]:
    if moment is None:
        return "", ""
    local = moment.astimezone(OSLO)
    return local.date().isoformat(), local.strftime("%H:%M")


async def _page(
    db: Db,
    settings: AppSettings,
    survey: Survey,
    notice: str = "",
    error: AppError | None = None,
    values: dict[str, Any] | None = None,
) -> Template:
    counts = dict(
        (
            await db.execute(
                select(SurveyRecipient.invited_at.is_not(None), func.count(SurveyRecipient.id))
                .where(SurveyRecipient.survey_id == survey.id, SurveyRecipient.email.is_not(None))
                .group_by(SurveyRecipient.invited_at.is_not(None))
            )
        ).all()
    )
    opens, closes = _local(survey.opens_at), _local(survey.closes_at)
    values = values or {
        "opens_date": opens[0],
        "opens_time": opens[1],
        "closes_date": closes[0],
        "closes_time": closes[1],
    }
    return Template(
        "surveys/distribution/page.html",
        context={
            "survey": survey,
            "published": await published_version(db, survey.id) is not None,
            "sent": counts.get(True, 0),
            "unsent": counts.get(False, 0),
            "rates": await distribution.response_rates(db, survey),
            "open_links": await open_link_reads(db, settings, survey.id),
            "municipalities": list(
                await db.scalars(select(Municipality).order_by(Municipality.name))
            ),
            "groups": list(
                await db.scalars(select(Group).where(Group.active.is_(True)).order_by(Group.name))
            ),
            "roles": MembershipRole.options(),
            "notice": NOTICES.get(notice, ""),
            "error": error,
            "errors": {e.field.split("[")[0]: e.message for e in (error.errors if error else [])},
            "values": values,
            "ticked": {name: set(listed(values.get(name, []))) for name in AUDIENCE_FIELDS},
        },
        status_code=error.status_code if error else 200,
    )


def _back(survey_id: int, notice: str) -> Redirect:
    return Redirect(f"/admin/surveys/{survey_id}/utsending?melding={notice}", status_code=303)


@get(BASE)
async def distribution_page(
    db: Db, settings: AppSettings, survey_id: FromPath[int], melding: FromQuery[str] = ""
) -> Template:
    survey = await distribution.get_survey(db, survey_id)
    return await _page(db, settings, survey, melding)


@post(f"{BASE}/tider")
async def schedule(
    db: Db, settings: AppSettings, survey_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    survey = await distribution.get_survey(db, survey_id)

    async def save() -> None:
        update = ScheduleUpdate(opens_at=_moment(data, "opens"), closes_at=_moment(data, "closes"))
        try:
            await distribution.set_schedule(db, survey_id, update)
        except InvalidInput as refused:
            refused.errors = [FieldError("closes_date", e.message) for e in refused.errors]
            raise

    if error := await attempt(db, save):
        survey = await distribution.get_survey(db, survey_id)
        return await _page(db, settings, survey, error=error, values=data)
    return _back(survey.id, "tider")


async def _file_lines(upload: Any) -> list[str]:
    if upload is None or not hasattr(upload, "read"):
        return []
    raw = await upload.read()
    text = raw.decode("utf-8-sig", errors="replace") if isinstance(raw, bytes) else str(raw)
    # Addresses a line or in a column of a spreadsheet's CSV: headers and names are skipped.
    parts = (part.strip() for line in text.splitlines() for part in re.split("[,;\t]", line))
    return [part for part in parts if "@" in part]


@post(f"{BASE}/mottakere")
async def audience(
    db: Db,
    settings: AppSettings,
    survey_id: FromPath[int],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template | Redirect:
    await distribution.get_survey(db, survey_id)
    fields = {
        "municipality_ids": listed(data.get("municipality_ids", [])),
        "group_ids": listed(data.get("group_ids", [])),
        "roles": listed(data.get("roles", [])),
        "emails": [
            *lines(data.get("emails", "")),
            *[a for a in await _file_lines(data.get("email_file")) if a],
        ],
        "list_municipality_id": str(data.get("list_municipality_id", "")),
    }

    async def add() -> None:
        payload = struct_from_form(AudienceCreate, fields, AUDIENCE_FIELDS)
        await distribution.add_audience(db, survey_id, payload)

    if error := await attempt(db, add):
        survey = await distribution.get_survey(db, survey_id)
        kept = {k: v for k, v in data.items() if k != "email_file"}
        return await _page(db, settings, survey, error=error, values=kept)
    return _back(survey_id, "mottakere")


def _confirm(survey: Survey, what: str, count: int) -> Template:
    return Template(
        "surveys/distribution/confirm.html",
        context={"survey": survey, "what": what, "count": count},
    )


@get(f"{BASE}/send-lenker")
async def confirm_links(db: Db, survey_id: FromPath[int]) -> Template:
    survey = await distribution.get_survey(db, survey_id)
    count = await db.scalar(
        select(func.count(SurveyRecipient.id)).where(
            SurveyRecipient.survey_id == survey_id,
            SurveyRecipient.email.is_not(None),
            SurveyRecipient.invited_at.is_(None),
        )
    )
    return _confirm(survey, "lenker", count or 0)


@get(f"{BASE}/purring")
async def confirm_reminders(db: Db, survey_id: FromPath[int]) -> Template:
    survey = await distribution.get_survey(db, survey_id)
    answered = select(SurveyAnswered.recipient_id).where(SurveyAnswered.survey_id == survey_id)
    count = await db.scalar(
        select(func.count(SurveyRecipient.id)).where(
            SurveyRecipient.survey_id == survey_id,
            SurveyRecipient.invited_at.is_not(None),
            SurveyRecipient.id.not_in(answered),
        )
    )
    return _confirm(survey, "purring", count or 0)


async def _send(db: Db, settings: AppSettings, survey_id: int, what: str) -> Template | Redirect:
    survey = await distribution.get_survey(db, survey_id)
    send = distribution.send_links if what == "lenker" else distribution.send_reminders

    async def action() -> None:
        await send(db, settings, survey_id)

    if error := await attempt(db, action):
        survey = await distribution.get_survey(db, survey_id)
        return await _page(db, settings, survey, error=error)
    return _back(survey.id, what)


@post(f"{BASE}/send-lenker")
async def send_links(db: Db, settings: AppSettings, survey_id: FromPath[int]) -> Any:
    return await _send(db, settings, survey_id, "lenker")


@post(f"{BASE}/purring")
async def send_reminders(db: Db, settings: AppSettings, survey_id: FromPath[int]) -> Any:
    return await _send(db, settings, survey_id, "purring")


@post(f"{BASE}/apne-lenker")
async def open_link(
    db: Db, settings: AppSettings, survey_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    await distribution.get_survey(db, survey_id)
    fields = {name: str(data.get(name, "")) for name in ("municipality_id", "limit_per_hour")}

    async def create() -> None:
        payload = struct_from_form(OpenLinkCreate, fields, list(fields))
        await distribution.create_open_link(db, survey_id, payload)

    if error := await attempt(db, create):
        survey = await distribution.get_survey(db, survey_id)
        return await _page(db, settings, survey, error=error, values=data)
    return _back(survey_id, "apen")


distribution_pages = Router(
    path="/",
    opt=ADMIN,
    include_in_schema=False,
    route_handlers=[
        distribution_page,
        schedule,
        audience,
        confirm_links,
        confirm_reminders,
        send_links,
        send_reminders,
        open_link,
    ],
)
