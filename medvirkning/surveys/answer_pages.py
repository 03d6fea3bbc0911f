"""The answering pages, with no sign-in: one section a page through the personal link, saved
as a sealed draft on every step, submitted once, then a receipt. Open links start here too.
Every POST that succeeds redirects (303), so a reload repeats nothing."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from medvirkning.auth.access import OPEN
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings
from medvirkning.surveys import answering, open_links
from medvirkning.surveys.answer_view import WORDS, section_fields, section_of
from medvirkning.surveys.answer_view import read_section as read_form
from medvirkning.surveys.answering import Respondent
from medvirkning.surveys.submitting import SubmitQueue
from surveys.problems import InvalidAnswers, Problem

BASE = "/undersokelse"


def _language(found: Respondent) -> str:
    return found.survey.language_form.value


def _state_page(found: Respondent, status_code: int = 200) -> Template:
    return Template(
        "surveys/answer/state.html",
        context={"survey": found.survey, "state": found.state, "nn": _language(found) == "nynorsk"},
        status_code=status_code,
    )


def _section_page(
    found: Respondent,
    token: str,
    section: int,
    answers: dict[str, Any],
    problems: list[Problem] | None = None,
    saved: bool = False,
) -> Template:
    definition = found.definition
    assert definition is not None
    problems = problems or []
    here = {q.id for q in definition.sections[section].questions}
    fields = section_fields(
        definition, answers, section, {p.field: p.message for p in problems if p.field in here}
    )
    elements = {field.question.id: field.element for field in fields}
    where = section_of(definition)
    links = []
    for problem in problems:
        if problem.field in elements:
            links.append((f"#{elements[problem.field]}", problem.message))
        elif problem.field in where:  # on another page: that page, not an anchor here
            links.append((f"{BASE}/{token}?del={where[problem.field] + 1}", problem.message))
        else:
            links.append(("#main", problem.message))
    total = len(definition.sections)
    return Template(
        "surveys/answer/section.html",
        context={
            "survey": found.survey,
            "definition": definition,
            "section": definition.sections[section],
            "number": section + 1,
            "total": total,
            "fields": fields,
            "error_links": links,
            "saved": saved,
            "action": f"{BASE}/{token}",
            "nn": _language(found) == "nynorsk",
            "words": WORDS[_language(found)],
        },
        status_code=422 if problems else 200,
    )


def _section_number(found: Respondent, asked: int | None) -> int:
    assert found.definition is not None
    last = len(found.definition.sections) - 1
    section = found.section if asked is None else asked - 1
    return min(max(section, 0), last)


@get(f"{BASE}/{{token:str}}", opt=OPEN, include_in_schema=False)
async def answer_page(
    db: Db,
    settings: AppSettings,
    token: FromPath[str],
    del_: Annotated[int | None, QueryParameter(name="del", ge=1, le=1000)] = None,
    lagret: FromQuery[bool] = False,
) -> Template:
    found = await answering.respondent(db, settings, token)
    if found.state != "open":
        return _state_page(found)
    section = _section_number(found, del_)
    return _section_page(found, token, section, found.draft, saved=lagret)


# No CSRF token asked: the link's token in the address is the credential, so a page
# elsewhere can only post answers through a link it already holds. The CSRF check read
# the form and the cookie again, about a sixth of a submit.
@post(f"{BASE}/{{token:str}}", opt={**OPEN, "exclude_from_csrf": True}, include_in_schema=False)
async def answer_post(
    request: Request[Any, Any, Any],
    token: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    # No request transaction: the link is read with the others that arrive at the same time,
    # and the answer stored with them; a draft is saved in a transaction of its own.
    found = await link_reads(request).respondent(token)
    if found.state != "open":
        return _state_page(found, 409)
    definition = found.definition
    assert definition is not None
    try:
        section = _section_number(found, int(str(data.get("del", "1"))))
    except ValueError:
        section = _section_number(found, None)
    answers = read_form(definition, data, section, found.draft)
    action = str(data.get("handling", "neste"))
    last = len(definition.sections) - 1
    here = f"{BASE}/{token}"
    if action == "forrige":
        await _save_draft(request, token, found, answers, max(section - 1, 0))
        return Redirect(f"{here}?del={max(section, 1)}", status_code=303)
    if action == "lagre":
        await _save_draft(request, token, found, answers, section)
        return Redirect(f"{here}?del={section + 1}&lagret=true", status_code=303)
    if action != "send" or section < last:
        refused = answering.section_problems(definition, answers, section)
        if refused is not None:
            await _save_draft(request, token, found, answers, section)
            return _section_page(found, token, section, answers, list(refused.problems))
        await _save_draft(request, token, found, answers, min(section + 1, last))
        return Redirect(f"{here}?del={min(section + 1, last) + 1}", status_code=303)
    try:  # the last section sent: the whole answer set validated once
        submission = answering.submission_of(found, answers)
    except InvalidAnswers as invalid:
        if (refused := answering.problems_in(definition, invalid, section)) is not None:
            await _save_draft(request, token, found, answers, section)
            return _section_page(found, token, section, answers, list(refused.problems))
        # A submit through the same link may have won the race and taken the draft with it:
        # then this one is told it was answered, not that earlier answers are missing.
        again = await link_reads(request).respondent(token)
        if again.state != "open":
            return _state_page(again, 409)
        return _section_page(found, token, section, answers, list(invalid.problems))
    if not await submit_queue(request).submit(submission):
        found.answered = True
        return _state_page(found, 409)
    return Redirect(f"{here}/kvittering", status_code=303)


async def _save_draft(
    request: Request[Any, Any, Any],
    token: str,
    found: Respondent,
    answers: dict[str, Any],
    section: int,
) -> None:
    """Committed before the redirect, so the page it leads to finds the draft."""
    async with request.app.state.database.transaction() as db:
        await answering.save_draft(db, token, found, answers, section)


def link_reads(request: Request[Any, Any, Any]) -> answering.LinkReads:
    """The process's reads of answering links, made on first use."""
    state = request.app.state
    reads: answering.LinkReads | None = state.get("survey_link_reads")
    if reads is None:
        reads = state.survey_link_reads = answering.LinkReads(state.database, state.settings)
    return reads


def submit_queue(request: Request[Any, Any, Any]) -> SubmitQueue:
    """The process's queue of submits, made on first use."""
    state = request.app.state
    queue: SubmitQueue | None = state.get("survey_submits")
    if queue is None:
        queue = state.survey_submits = SubmitQueue(state.database)
    return queue


@get(f"{BASE}/{{token:str}}/kvittering", opt=OPEN, include_in_schema=False)
async def receipt_page(db: Db, settings: AppSettings, token: FromPath[str]) -> Template | Redirect:
    found = await answering.respondent(db, settings, token)
    if not found.answered:
        return Redirect(f"{BASE}/{token}", status_code=303)
    return Template(
        "surveys/answer/receipt.html",
        context={"survey": found.survey, "nn": _language(found) == "nynorsk"},
    )


@get("/apen-undersokelse/{code:str}", opt=OPEN, include_in_schema=False)
async def open_link_page(db: Db, code: FromPath[str]) -> Template:
    link = await open_links.open_link(db, code)
    survey = await db.get(answering.Survey, link.survey_id)
    assert survey is not None
    return Template(
        "surveys/answer/open.html",
        context={"survey": survey, "code": code, "nn": survey.language_form.value == "nynorsk"},
    )


@post("/apen-undersokelse/{code:str}", opt=OPEN, include_in_schema=False)
async def open_link_start(
    request: Request[Any, Any, Any], db: Db, settings: AppSettings, code: FromPath[str]
) -> Redirect:
    link = await open_links.open_link(db, code)
    client = request.client.host if request.client else "unknown"
    token = await open_links.start(db, settings, link, client)
    return Redirect(f"{BASE}/{token}", status_code=303)


answer_pages = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[
        answer_page,
        answer_post,
        receipt_page,
        open_link_page,
        open_link_start,
    ],
)
