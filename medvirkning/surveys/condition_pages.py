"""The builder's page for a question's condition: step one chooses the earlier question it
looks at (a GET form, no script needed), step two how that question must be answered."""

from __future__ import annotations

from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from medvirkning.auth.access import ADMIN
from medvirkning.db import Db
from medvirkning.dependencies import User
from medvirkning.errors import AppError
from medvirkning.surveys import builder
from medvirkning.surveys.builder_pages import act, errors_by_field
from medvirkning.surveys.forms import condition_from_form, seen_from_form, typed_values
from medvirkning.surveys.models import Survey
from medvirkning.surveys.question_pages import find_question, form_version, loaded
from medvirkning.surveys.wording import OPERATOR_LABELS, earlier_targets
from medvirkning.web import attempt
from surveys.definition import Survey as Definition
from surveys.problems import number_text
from surveys.questions import ChoiceIn, Compare, Question, YesNoIs


def _condition_form(
    survey: Survey,
    definition: Definition,
    question: Question,
    values: dict[str, Any],
    error: AppError | None = None,
) -> Template:
    targets = earlier_targets(definition, question.id)
    target = next((t for t in targets if t.id == values.get("question")), None)
    return Template(
        "surveys/builder/condition.html",
        context={
            "survey": survey,
            "question": question,
            "targets": targets,
            "target": target,
            "values": values,
            "ticked": set(values.get("options", [])),
            "operators": OPERATOR_LABELS,
            "version": form_version(survey, values, error),
            "error": error,
            "errors": errors_by_field(error),
        },
        status_code=error.status_code if error else 200,
    )


@get(
    "/admin/surveys/{survey_id:int}/questions/{question_id:str}/condition",
    opt=ADMIN,
    include_in_schema=False,
)
async def condition_page(
    db: Db,
    user: User,
    survey_id: FromPath[int],
    question_id: FromPath[str],
    sporsmal: FromQuery[str] = "",
) -> Template:
    """Step one chooses the earlier question (a GET form); step two how it must be answered."""
    survey, definition = await loaded(db, user, survey_id)
    question = find_question(definition, question_id)
    values: dict[str, Any] = {"question": sporsmal}
    condition = question.show_if
    if condition is not None and sporsmal in ("", condition.question):
        values = {"question": condition.question}
        if isinstance(condition, ChoiceIn):
            values["options"] = list(condition.options)
        elif isinstance(condition, YesNoIs):
            values["answer"] = "ja" if condition.value else "nei"
        elif isinstance(condition, Compare):
            values["operator"] = condition.operator
            values["value"] = number_text(condition.value)
    return _condition_form(survey, definition, question, values)


@post(
    "/admin/surveys/{survey_id:int}/questions/{question_id:str}/condition",
    opt=ADMIN,
    include_in_schema=False,
)
async def set_condition(
    db: Db,
    user: User,
    survey_id: FromPath[int],
    question_id: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def set_it() -> None:
        await builder.set_condition(db, survey_id, question_id, condition_from_form(data))

    if error := await attempt(db, set_it):
        survey, definition = await loaded(db, user, survey_id)
        values = typed_values(data)
        options = data.get("options", [])
        values["options"] = options if isinstance(options, list) else [options]
        question = find_question(definition, question_id)
        return _condition_form(survey, definition, question, values, error)
    return Redirect(f"/admin/surveys/{survey_id}?melding=lagret", status_code=303)


@post(
    "/admin/surveys/{survey_id:int}/questions/{question_id:str}/condition/remove",
    opt=ADMIN,
    include_in_schema=False,
)
async def remove_condition(
    db: Db,
    user: User,
    survey_id: FromPath[int],
    question_id: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def remove() -> None:
        await builder.remove_condition(db, survey_id, question_id, seen_from_form(data))

    return await act(db, user, survey_id, remove, "lagret")


condition_pages = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[condition_page, set_condition, remove_condition],
)
