"""The builder's pages for sections, questions and conditions: add, change, move (buttons
that post, no script needed), and delete after a confirmation page of its own."""

from __future__ import annotations

from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from medvirkning.auth.access import ADMIN
from medvirkning.db import Db
from medvirkning.dependencies import User
from medvirkning.errors import AppError, NotFound
from medvirkning.register import StaleEdit
from medvirkning.surveys import builder, queries
from medvirkning.surveys.builder_pages import act, errors_by_field
from medvirkning.surveys.forms import (
    move_from_form,
    question_from_form,
    question_values,
    section_from_form,
    seen_from_form,
    typed_values,
)
from medvirkning.surveys.models import Survey
from medvirkning.surveys.store import latest_version
from medvirkning.surveys.wording import TYPE_LABELS
from medvirkning.web import attempt
from surveys.definition import Section
from surveys.definition import Survey as Definition
from surveys.questions import LIKERT_LABELS, Question, QuestionType


async def loaded(db: Db, user: User, survey_id: int) -> tuple[Survey, Definition]:
    survey = await queries.get_survey(db, user, survey_id)
    return survey, queries.draft_of(await latest_version(db, survey_id))


def _section(definition: Definition, index: int) -> Section:
    if not 0 <= index < len(definition.sections):
        raise NotFound("Undersøkelsen har ikke denne seksjonen.")
    return definition.sections[index]


def find_question(definition: Definition, question_id: str) -> Question:
    found = next((q for q in definition.questions() if q.id == question_id), None)
    if found is None:
        raise NotFound(f"Undersøkelsen har ikke noe spørsmål «{question_id}».")
    return found


def form_version(survey: Survey, data: dict[str, Any], error: AppError | None) -> str:
    """After a stale save the form carries the other person's version, so saving again is a
    choice made seeing their change; otherwise still the version the user first saw."""
    if error is None or isinstance(error, StaleEdit) or not data.get("version"):
        return survey.version
    return str(data["version"])


def confirm(survey: Survey, question: str, explanation: str, action: str, button: str) -> Template:
    """A destructive action asks on a page of its own, which works without JavaScript."""
    return Template(
        "surveys/builder/confirm.html",
        context={
            "survey": survey,
            "version": survey.version,
            "question": question,
            "explanation": explanation,
            "action": action,
            "button": button,
            "danger": True,
        },
    )


# --- sections --------------------------------------------------------------------------------


def _section_form(
    survey: Survey, index: int | None, values: dict[str, Any], error: AppError | None = None
) -> Template:
    return Template(
        "surveys/builder/section.html",
        context={
            "survey": survey,
            "index": index,
            "values": values,
            "version": form_version(survey, values, error),
            "error": error,
            "errors": errors_by_field(error),
        },
        status_code=error.status_code if error else 200,
    )


@get("/admin/surveys/{survey_id:int}/sections/new", opt=ADMIN, include_in_schema=False)
async def new_section_page(db: Db, user: User, survey_id: FromPath[int]) -> Template:
    survey, _ = await loaded(db, user, survey_id)
    return _section_form(survey, None, {})


@post("/admin/surveys/{survey_id:int}/sections", opt=ADMIN, include_in_schema=False)
async def add_section(
    db: Db, user: User, survey_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    async def add() -> None:
        await builder.add_section(db, survey_id, section_from_form(data))

    if error := await attempt(db, add):
        survey, _ = await loaded(db, user, survey_id)
        return _section_form(survey, None, typed_values(data), error)
    return Redirect(f"/admin/surveys/{survey_id}?melding=lagret", status_code=303)


@get("/admin/surveys/{survey_id:int}/sections/{index:int}", opt=ADMIN, include_in_schema=False)
async def section_page(
    db: Db, user: User, survey_id: FromPath[int], index: FromPath[int]
) -> Template:
    survey, definition = await loaded(db, user, survey_id)
    section = _section(definition, index)
    return _section_form(
        survey, index, {"title": section.title, "description": section.description}
    )


@post("/admin/surveys/{survey_id:int}/sections/{index:int}", opt=ADMIN, include_in_schema=False)
async def update_section(
    db: Db,
    user: User,
    survey_id: FromPath[int],
    index: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def update() -> None:
        await builder.update_section(db, survey_id, index, section_from_form(data))

    if error := await attempt(db, update):
        survey, _ = await loaded(db, user, survey_id)
        return _section_form(survey, index, typed_values(data), error)
    return Redirect(f"/admin/surveys/{survey_id}?melding=lagret", status_code=303)


@post(
    "/admin/surveys/{survey_id:int}/sections/{index:int}/move", opt=ADMIN, include_in_schema=False
)
async def move_section(
    db: Db,
    user: User,
    survey_id: FromPath[int],
    index: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def move() -> None:
        await builder.move_section(db, survey_id, index, move_from_form(data))

    return await act(db, user, survey_id, move, "flyttet")


@get(
    "/admin/surveys/{survey_id:int}/sections/{index:int}/delete",
    opt=ADMIN,
    include_in_schema=False,
)
async def delete_section_page(
    db: Db, user: User, survey_id: FromPath[int], index: FromPath[int]
) -> Template:
    survey, definition = await loaded(db, user, survey_id)
    section = _section(definition, index)
    count = len(section.questions)
    return confirm(
        survey,
        f"Slette seksjonen «{section.title}»?",
        f"Seksjonen og de {count} spørsmålene i den blir borte fra utkastet. "
        "Svar som er gitt på en publisert versjon, beholdes.",
        f"/admin/surveys/{survey.id}/sections/{index}/delete",
        "Ja, slett seksjonen",
    )


@post(
    "/admin/surveys/{survey_id:int}/sections/{index:int}/delete",
    opt=ADMIN,
    include_in_schema=False,
)
async def delete_section(
    db: Db,
    user: User,
    survey_id: FromPath[int],
    index: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def delete() -> None:
        await builder.delete_section(db, survey_id, index, seen_from_form(data))

    return await act(db, user, survey_id, delete, "slettet")


# --- questions -------------------------------------------------------------------------------


def _question_form(
    survey: Survey,
    definition: Definition,
    action: str,
    values: dict[str, Any],
    error: AppError | None = None,
) -> Template:
    kind = QuestionType(values["type"])
    labels = LIKERT_LABELS[definition.language]
    for point, label in enumerate(labels, start=1):
        values.setdefault(f"label_{point}", label)
    return Template(
        "surveys/builder/question.html",
        context={
            "survey": survey,
            "kind": kind,
            "kind_label": TYPE_LABELS[kind],
            "action": action,
            "values": values,
            "version": form_version(survey, values, error),
            "error": error,
            "errors": errors_by_field(error),
        },
        status_code=error.status_code if error else 200,
    )


@get(
    "/admin/surveys/{survey_id:int}/sections/{index:int}/questions/new",
    opt=ADMIN,
    include_in_schema=False,
)
async def new_question_page(
    db: Db, user: User, survey_id: FromPath[int], index: FromPath[int], type: FromQuery[str] = ""
) -> Template:
    survey, definition = await loaded(db, user, survey_id)
    _section(definition, index)
    if type not in {kind.value for kind in QuestionType}:
        raise NotFound("Velg en type spørsmål fra listen.")
    values: dict[str, Any] = {"type": type, "required": True, "integer": True}
    action = f"/admin/surveys/{survey.id}/sections/{index}/questions"
    return _question_form(survey, definition, action, values)


@post(
    "/admin/surveys/{survey_id:int}/sections/{index:int}/questions",
    opt=ADMIN,
    include_in_schema=False,
)
async def add_question(
    db: Db,
    user: User,
    survey_id: FromPath[int],
    index: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def add() -> None:
        await builder.add_question(db, survey_id, index, question_from_form(data))

    if error := await attempt(db, add):
        survey, definition = await loaded(db, user, survey_id)
        values = typed_values(data)
        if values.get("type") not in {kind.value for kind in QuestionType}:
            raise error
        action = f"/admin/surveys/{survey.id}/sections/{index}/questions"
        return _question_form(survey, definition, action, values, error)
    return Redirect(f"/admin/surveys/{survey_id}?melding=lagret", status_code=303)


@get(
    "/admin/surveys/{survey_id:int}/questions/{question_id:str}",
    opt=ADMIN,
    include_in_schema=False,
)
async def question_page(
    db: Db, user: User, survey_id: FromPath[int], question_id: FromPath[str]
) -> Template:
    survey, definition = await loaded(db, user, survey_id)
    values = question_values(find_question(definition, question_id))
    action = f"/admin/surveys/{survey.id}/questions/{question_id}"
    return _question_form(survey, definition, action, values)


@post(
    "/admin/surveys/{survey_id:int}/questions/{question_id:str}",
    opt=ADMIN,
    include_in_schema=False,
)
async def update_question(
    db: Db,
    user: User,
    survey_id: FromPath[int],
    question_id: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def update() -> None:
        await builder.update_question(db, survey_id, question_id, question_from_form(data))

    if error := await attempt(db, update):
        survey, definition = await loaded(db, user, survey_id)
        values = typed_values(data)
        values["type"] = find_question(definition, question_id).kind.value
        action = f"/admin/surveys/{survey.id}/questions/{question_id}"
        return _question_form(survey, definition, action, values, error)
    return Redirect(f"/admin/surveys/{survey_id}?melding=lagret", status_code=303)


@post(
    "/admin/surveys/{survey_id:int}/questions/{question_id:str}/move",
    opt=ADMIN,
    include_in_schema=False,
)
async def move_question(
    db: Db,
    user: User,
    survey_id: FromPath[int],
    question_id: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def move() -> None:
        await builder.move_question(db, survey_id, question_id, move_from_form(data))

    return await act(db, user, survey_id, move, "flyttet")


@get(
    "/admin/surveys/{survey_id:int}/questions/{question_id:str}/delete",
    opt=ADMIN,
    include_in_schema=False,
)
async def delete_question_page(
    db: Db, user: User, survey_id: FromPath[int], question_id: FromPath[str]
) -> Template:
    survey, definition = await loaded(db, user, survey_id)
    question = find_question(definition, question_id)
    return confirm(
        survey,
        f"Slette spørsmålet «{question.text}»?",
        "Spørsmålet blir borte fra utkastet. Svar som er gitt på en publisert versjon, beholdes.",
        f"/admin/surveys/{survey.id}/questions/{question_id}/delete",
        "Ja, slett spørsmålet",
    )


@post(
    "/admin/surveys/{survey_id:int}/questions/{question_id:str}/delete",
    opt=ADMIN,
    include_in_schema=False,
)
async def delete_question(
    db: Db,
    user: User,
    survey_id: FromPath[int],
    question_id: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def delete() -> None:
        await builder.delete_question(db, survey_id, question_id, seen_from_form(data))

    return await act(db, user, survey_id, delete, "slettet")


question_pages = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[
        new_section_page,
        add_section,
        section_page,
        update_section,
        move_section,
        delete_section_page,
        delete_section,
        new_question_page,
        add_question,
        question_page,
        update_question,
        move_question,
        delete_question_page,
        delete_question,
    ],
)
