"""The project leader's survey pages: the list, a new survey or a copy of a template, its
settings, the builder page with its sections and questions, a preview, and publishing."""

from __future__ import annotations

from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from medvirkning.auth.access import ADMIN, ADMIN_AND_STEERING
from medvirkning.auth.models import Role
from medvirkning.db import Db
from medvirkning.dependencies import User
from medvirkning.errors import AppError
from medvirkning.register import StaleEdit
from medvirkning.surveys import builder, queries
from medvirkning.surveys.controllers import survey_list
from medvirkning.surveys.forms import SURVEY_FIELDS, seen_from_form, survey_from_form, typed_values
from medvirkning.surveys.models import Survey
from medvirkning.surveys.store import latest_version
from medvirkning.surveys.wording import TYPE_LABELS, describe_condition, numbered
from medvirkning.web import attempt
from surveys.definition import DEFAULT_THRESHOLD
from surveys.questions import LIKERT_LABELS, Language

# What the builder page says after each action: the redirect names it by key.
NOTICES = {
    "opprettet": "Undersøkelsen er opprettet. Legg til en seksjon, og så spørsmålene.",
    "kopiert": "Malen er kopiert. Gå gjennom spørsmålene, og publiser når undersøkelsen er klar.",
    "lagret": "Endringen er lagret.",
    "flyttet": "Flyttet.",
    "slettet": "Slettet.",
    "publisert": "Undersøkelsen er publisert. Denne versjonen er nå låst; "
    "endrer du noe, blir det en ny versjon.",
}


def errors_by_field(error: AppError | None) -> dict[str, str]:
    return {e.field: e.message for e in (error.errors if error else [])}


@get("/admin/surveys", opt=ADMIN_AND_STEERING, include_in_schema=False)
async def surveys_page(db: Db, user: User) -> Template:
    items = await survey_list(db, user)
    return Template(
        "surveys/builder/list.html",
        context={
            "surveys": [i for i in items if not i.is_template],
            "templates": [i for i in items if i.is_template],
            "can_build": user.has(Role.ADMIN),
        },
    )


def _settings_form(
    survey: Survey | None, values: dict[str, Any], error: AppError | None = None
) -> Template:
    return Template(
        "surveys/builder/settings.html",
        context={
            "survey": survey,
            "values": values,
            "error": error,
            "errors": errors_by_field(error),
            "languages": [(Language.BOKMAL.value, "Bokmål"), (Language.NYNORSK.value, "Nynorsk")],
        },
        status_code=error.status_code if error else 200,
    )


@get("/admin/surveys/new", opt=ADMIN, include_in_schema=False)
async def new_survey_page() -> Template:
    defaults = {"language": "bokmal", "threshold": DEFAULT_THRESHOLD, "response_target": 50}
    return _settings_form(None, defaults)


@post("/admin/surveys/new", opt=ADMIN, include_in_schema=False)
async def create_survey(
    db: Db, user: User, data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    created: list[Survey] = []

    async def create() -> None:
        created.append(
            await builder.create_survey(db, survey_from_form(data, False), user.person_id)
        )

    if error := await attempt(db, create):
        return _settings_form(None, typed_values(data), error)
    return Redirect(f"/admin/surveys/{created[0].id}?melding=opprettet", status_code=303)


@post("/admin/surveys/{survey_id:int}/copy", opt=ADMIN, include_in_schema=False)
async def copy_template(db: Db, user: User, survey_id: FromPath[int]) -> Redirect:
    survey = await builder.copy_template(db, survey_id, user.person_id)
    return Redirect(f"/admin/surveys/{survey.id}?melding=kopiert", status_code=303)


async def builder_page(
    db: Db, user: User, survey_id: int, notice: str = "", error: AppError | None = None
) -> Template:
    """The survey as it is being built; after a refused change, with the error at the top."""
    survey = await queries.get_survey(db, user, survey_id)
    versions = (await queries.versions_of(db, [survey.id]))[survey.id]
    counts = await queries.answer_counts(db, [v.id for v in versions])
    latest = versions[-1]
    definition = queries.draft_of(latest)
    published = [v for v in versions if v.published_at is not None]
    return Template(
        "surveys/builder/survey.html",
        context={
            "survey": survey,
            "version": survey.version,
            "definition": definition,
            "latest": latest,
            "published": published[-1] if published else None,
            "versions": versions,
            "counts": counts,
            "numbers": numbered(definition),
            "conditions": {q.id: describe_condition(q, definition) for q in definition.questions()},
            "type_labels": TYPE_LABELS,
            "notice": notice,
            "error": error,
            "stale": isinstance(error, StaleEdit),
        },
        status_code=error.status_code if error else 200,
    )


@get("/admin/surveys/{survey_id:int}", opt=ADMIN, include_in_schema=False)
async def survey_page(
    db: Db, user: User, survey_id: FromPath[int], melding: FromQuery[str] = ""
) -> Template:
    return await builder_page(db, user, survey_id, NOTICES.get(melding, ""))


async def act(db: Db, user: User, survey_id: int, action: Any, notice: str) -> Template | Redirect:
    """A change from the builder page: back to it with its notice, or with its error."""
    if error := await attempt(db, action):
        return await builder_page(db, user, survey_id, error=error)
    return Redirect(f"/admin/surveys/{survey_id}?melding={notice}", status_code=303)


@get("/admin/surveys/{survey_id:int}/settings", opt=ADMIN, include_in_schema=False)
async def settings_page(db: Db, user: User, survey_id: FromPath[int]) -> Template:
    survey = await queries.get_survey(db, user, survey_id)
    definition = queries.draft_of(await latest_version(db, survey_id))
    values = {
        "title": definition.title,
        "language": definition.language.value,
        "threshold": definition.threshold,
        "response_target": survey.response_target,
        "introduction": definition.introduction,
        "version": survey.version,
    }
    return _settings_form(survey, values)


@post("/admin/surveys/{survey_id:int}/settings", opt=ADMIN, include_in_schema=False)
async def update_settings(
    db: Db, user: User, survey_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    async def update() -> None:
        await builder.update_settings(db, survey_id, survey_from_form(data, True))

    if error := await attempt(db, update):
        survey = await queries.get_survey(db, user, survey_id)
        typed = typed_values(data)
        if isinstance(error, StaleEdit):
            typed["version"] = survey.version  # saving again overwrites knowingly
        return _settings_form(
            survey, {k: typed.get(k, "") for k in [*SURVEY_FIELDS, "version"]}, error
        )
    return Redirect(f"/admin/surveys/{survey_id}?melding=lagret", status_code=303)


@get("/admin/surveys/{survey_id:int}/preview", opt=ADMIN, include_in_schema=False)
async def preview_page(db: Db, user: User, survey_id: FromPath[int]) -> Template:
    """The survey as a respondent sees it, one section after the other; nothing is sent."""
    survey = await queries.get_survey(db, user, survey_id)
    definition = queries.draft_of(await latest_version(db, survey_id))
    return Template(
        "surveys/builder/preview.html",
        context={
            "survey": survey,
            "definition": definition,
            "nynorsk": definition.language == Language.NYNORSK,
            "conditions": {q.id: describe_condition(q, definition) for q in definition.questions()},
            "numbers": numbered(definition),
            "likert_default": LIKERT_LABELS[definition.language],
        },
    )


@get("/admin/surveys/{survey_id:int}/publish", opt=ADMIN, include_in_schema=False)
async def publish_page(db: Db, user: User, survey_id: FromPath[int]) -> Template:
    survey = await queries.get_survey(db, user, survey_id)
    latest = await latest_version(db, survey_id)
    return Template(
        "surveys/builder/confirm.html",
        context={
            "survey": survey,
            "version": survey.version,
            "question": f"Publisere versjon {latest.number} av {survey.title}?",
            "explanation": "Når undersøkelsen er publisert, er denne versjonen låst, og svar gis "
            "på den. Endrer du noe senere, blir det en ny versjon som må publiseres på nytt; "
            "svar som er gitt, hører fortsatt til versjonen de ble gitt på.",
            "action": f"/admin/surveys/{survey.id}/publish",
            "button": "Ja, publiser",
            "danger": False,
        },
    )


@post("/admin/surveys/{survey_id:int}/publish", opt=ADMIN, include_in_schema=False)
async def publish(
    db: Db, user: User, survey_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    async def publish_it() -> None:
        await builder.publish(db, survey_id, seen_from_form(data))

    return await act(db, user, survey_id, publish_it, "publisert")


survey_pages = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[
        surveys_page,
        new_survey_page,
        create_survey,
        copy_template,
        survey_page,
        settings_page,
        update_settings,
        preview_page,
        publish_page,
        publish,
    ],
)
