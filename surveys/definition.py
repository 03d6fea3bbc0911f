"""A survey definition: sections of questions, a language form and an anonymity threshold.

`parse_definition` (from JSON or a dict) and `check_definition` are the edge: a definition
that passes them holds the invariants the rest of the engine relies on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from surveys.messages import DEFINITION_MESSAGES
from surveys.problems import InvalidDefinition, Problem, number_text
from surveys.questions import (
    CONDITION_TARGETS,
    OPERATORS,
    ChoiceIn,
    Compare,
    Language,
    Likert,
    Number,
    Question,
    Scale,
)

DEFAULT_THRESHOLD = 5
# The KS employee survey's floor: fewer than 3 and a person can be recognised.
MINIMUM_THRESHOLD = 3


class Section(msgspec.Struct, frozen=True):
    title: str
    questions: tuple[Question, ...]
    description: str = ""


class Survey(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    sections: tuple[Section, ...]
    language: Language = Language.BOKMAL
    threshold: int = DEFAULT_THRESHOLD  # fewer answers than this in a group: the group is hidden
    introduction: str = ""

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions


def parse_definition(raw: bytes | str | dict[str, Any]) -> Survey:
    """A checked survey from JSON text or a decoded dict; InvalidDefinition if it is not one."""
    try:
        if isinstance(raw, dict):
            survey = msgspec.convert(raw, Survey)
        else:
            survey = msgspec.json.decode(raw, type=Survey)
    except msgspec.ValidationError as error:
        raise InvalidDefinition([_problem("", "unreadable", detail=str(error))]) from None
    except msgspec.DecodeError as error:
        raise InvalidDefinition([_problem("", "unreadable", detail=str(error))]) from None
    return check_definition(survey)


def check_definition(survey: Survey) -> Survey:
    """The survey itself if it is sound, else InvalidDefinition with every problem found."""
    problems: list[Problem] = []
    if not survey.title.strip():
        problems.append(_problem("", "missing_title"))
    if survey.threshold < MINIMUM_THRESHOLD:
        problems.append(_problem("", "threshold_too_low", value=survey.threshold))
    if not survey.sections:
        problems.append(_problem("", "no_sections"))
    earlier: dict[str, Question] = {}
    for section in survey.sections:
        if not section.questions:
            problems.append(_problem("", "empty_section", title=section.title))
        for question in section.questions:
            problems.extend(_question_problems(question, earlier))
            earlier.setdefault(question.id, question)
    if problems:
        raise InvalidDefinition(problems)
    return survey


def _question_problems(question: Question, earlier: dict[str, Question]) -> list[Problem]:
    field = question.id
    if not question.id.strip():
        return [_problem("", "missing_id", text=question.text)]
    found = []
    if question.id in earlier:
        found.append(_problem(field, "duplicate_id"))
    if not question.text.strip():
        found.append(_problem(field, "missing_text"))
    found.extend(_problem(field, code, **params) for code, params in question.problems())
    if question.show_if is not None:
        found.extend(_condition_problems(question, earlier))
    return found


def _condition_problems(question: Question, earlier: dict[str, Question]) -> list[Problem]:
    condition, field = question.show_if, question.id
    assert condition is not None
    # Only an earlier question: then a respondent always sees what decides before it.
    target = earlier.get(condition.question)
    if target is None or condition.question == question.id:
        return [_problem(field, "condition_not_earlier", ref=condition.question)]
    if target.kind not in CONDITION_TARGETS[type(condition)]:
        return [_problem(field, "condition_kind", ref=target.id)]
    if isinstance(condition, ChoiceIn):
        if not condition.options:
            return [_problem(field, "condition_no_options", ref=target.id)]
        options = getattr(target, "options", ())
        return [
            _problem(field, "condition_option", ref=target.id, option=option)
            for option in condition.options
            if option not in options
        ]
    if isinstance(condition, Compare):
        if condition.operator not in OPERATORS:
            return [_problem(field, "condition_operator", operator=condition.operator)]
        if not _can_be_met(condition, target):
            return [_problem(field, "condition_value", ref=target.id, value=condition.value)]
    return []


def _can_be_met(condition: Compare, target: Question) -> bool:
    """False when the condition could never hold: the question would never be shown."""
    low: float | None
    high: float | None
    if isinstance(target, Likert):
        low, high = 1, 5
    elif isinstance(target, Scale):
        low, high = 0, 10
    elif isinstance(target, Number):
        low, high = target.minimum, target.maximum
    else:
        return True
    value = condition.value
    below = low is not None and value < low
    above = high is not None and value > high
    return {
        "<": not (low is not None and value <= low),
        "<=": not below,
        "==": not (below or above),
        "!=": True,
        ">=": not above,
        ">": not (high is not None and value >= high),
    }[condition.operator]


def _problem(field: str, code: str, **params: object) -> Problem:
    shown = {
        key: number_text(value) if isinstance(value, int | float) else value
        for key, value in params.items()
    }
    return Problem(field, code, DEFINITION_MESSAGES[code].format(field=field, **shown))
