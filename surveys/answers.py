"""Validation of one respondent's answers against a survey: every problem at once, in the
survey's language form, and a normalised answer set when there is none."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from surveys.definition import Survey
from surveys.messages import ANSWER_MESSAGES
from surveys.problems import InvalidAnswers, Problem, number_text
from surveys.questions import Question, Refusal, Value, is_blank


class AnswerSet(msgspec.Struct, frozen=True):
    """The shown and answered questions only, in the survey's order, each in normal form."""

    answers: dict[str, Value]


def validate_answers(
    survey: Survey, raw: Mapping[str, object], *, refuse_hidden: bool = False
) -> AnswerSet:
    """The answers in normal form, or InvalidAnswers naming each question that is wrong.

    An answer to a question its condition hides is dropped (a respondent who changed an
    earlier answer on the way back should not be stopped by a question they cannot see);
    with `refuse_hidden` it is refused instead, for callers that never show hidden ones.
    """
    problems: list[Problem] = []
    known = {question.id for question in survey.questions()}
    for field in raw:
        if field not in known:
            problems.append(_problem(survey, field, "unknown_question", field))
    clean: dict[str, Value] = {}
    for question in survey.questions():
        given = raw.get(question.id)
        if not is_shown(question, clean):
            if refuse_hidden and not is_blank(given):
                problems.append(_problem(survey, question.id, "hidden_answered", question.text))
            continue
        if is_blank(given):
            if question.required:
                problems.append(_problem(survey, question.id, "required", question.text))
            continue
        try:
            clean[question.id] = question.clean(given)
        except Refusal as refusal:
            problems.append(
                _problem(survey, question.id, refusal.code, question.text, **refusal.params)
            )
    if problems:
        raise InvalidAnswers(problems)
    return AnswerSet(clean)


def is_shown(question: Question, earlier: Mapping[str, Value]) -> bool:
    """Shown unless its condition's question is unanswered, hidden or answered otherwise."""
    condition = question.show_if
    if condition is None:
        return True
    return condition.question in earlier and condition.holds(earlier[condition.question])


def _problem(survey: Survey, field: str, code: str, text: str, **params: object) -> Problem:
    shown = {
        key: number_text(value) if isinstance(value, int | float) else value
        for key, value in params.items()
    }
    template = ANSWER_MESSAGES[survey.language][code]
    return Problem(field, code, template.format(field=field, text=text, **shown))
