"""Results of a survey: counts, shares, means and medians, free text, per group and in total,
under the anonymity rules (`anonymity.py`). Hidden figures are left out, not blurred."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

import msgspec

from surveys.anonymity import hidden_groups, total_shown
from surveys.answers import AnswerSet
from surveys.definition import Survey, check_definition
from surveys.questions import Likert, Question, QuestionType, Scale, Value

YES_NO_LABELS = {True: "Ja", False: "Nei"}  # the same in bokmål and nynorsk


class Response(msgspec.Struct, frozen=True):
    group: str  # e.g. the municipality; never anything that names the person
    answers: AnswerSet


class OptionCount(msgspec.Struct, frozen=True):
    option: str  # the option, "Ja"/"Nei", the Likert label, or the scale's number
    count: int
    share: float  # of those who answered the question; multiple choice can sum past 1


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    answered: int
    options: tuple[OptionCount, ...] = ()
    mean: float | None = None  # Likert, scale and number
    median: float | None = None
    texts: tuple[str, ...] = ()  # short and long text, sorted so order tells nothing


class GroupSummary(msgspec.Struct, frozen=True):
    group: str
    summary: Summary | None  # None: hidden under the threshold


class QuestionResult(msgspec.Struct, frozen=True):
    question: str
    type: QuestionType
    total: Summary | None  # None: fewer than the threshold answered it at all
    groups: tuple[GroupSummary, ...]


class GroupRate(msgspec.Struct, frozen=True):
    group: str
    invited: int | None  # None: not known
    answered: int | None  # None: hidden under the threshold
    rate: float | None


class Results(msgspec.Struct, frozen=True):
    threshold: int
    respondents: int | None  # None: fewer than the threshold answered
    invited: int | None
    rate: float | None
    groups: tuple[GroupRate, ...]
    questions: tuple[QuestionResult, ...]


def aggregate(
    survey: Survey, responses: Sequence[Response], invited: Mapping[str, int] | None = None
) -> Results:
    """The results that may be shown. `invited` gives each group's number of people asked."""
    check_definition(survey)  # the threshold's floor among the rest
    invited = invited or {}
    groups = sorted({response.group for response in responses} | set(invited))
    questions = tuple(
        _question_result(survey, question, responses, groups) for question in survey.questions()
    )
    counts = dict.fromkeys(groups, 0)
    for response in responses:
        counts[response.group] += 1
    hidden = hidden_groups(counts, survey.threshold)
    total = len(responses)
    # A total rate over some groups' invitations only would overstate it.
    total_invited = sum(invited.values()) if invited and set(groups) <= set(invited) else None
    visible = total_shown(total, survey.threshold)
    return Results(
        threshold=survey.threshold,
        respondents=total if visible else None,
        invited=total_invited,
        rate=_rate(total, total_invited) if visible else None,
        groups=tuple(
            GroupRate(
                group,
                invited.get(group),
                None if group in hidden else counts[group],
                None if group in hidden else _rate(counts[group], invited.get(group)),
            )
            for group in groups
        ),
        questions=questions,
    )


def _question_result(
    survey: Survey, question: Question, responses: Sequence[Response], groups: list[str]
) -> QuestionResult:
    values: dict[str, list[Value]] = {group: [] for group in groups}
    for response in responses:
        if question.id in response.answers.answers:
            values[response.group].append(response.answers.answers[question.id])
    hidden = hidden_groups({group: len(found) for group, found in values.items()}, survey.threshold)
    everything = [value for found in values.values() for value in found]
    total = (
        _summary(question, everything) if total_shown(len(everything), survey.threshold) else None
    )
    return QuestionResult(
        question.id,
        question.kind,
        total,
        tuple(
            GroupSummary(group, None if group in hidden else _summary(question, values[group]))
            for group in groups
        ),
    )


def _summary(question: Question, values: list[Value]) -> Summary:
    answered = len(values)
    if question.kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
        return Summary(answered=answered, texts=tuple(sorted(str(value) for value in values)))
    if question.kind == QuestionType.NUMBER:
        numbers = [float(value) for value in values if isinstance(value, int | float)]
        mean, median = _centre(numbers)
        return Summary(answered=answered, mean=mean, median=median)
    options = _options(question)
    summary = Summary(
        answered=answered,
        options=tuple(
            OptionCount(label, count, count / answered)
            for label, key in options
            for count in [sum(_has(value, key) for value in values)]
        ),
    )
    if question.kind in (QuestionType.LIKERT, QuestionType.SCALE):
        numbers = [float(value) for value in values if isinstance(value, int)]
        mean, median = _centre(numbers)
        return msgspec.structs.replace(summary, mean=mean, median=median)
    return summary


def _options(question: Question) -> list[tuple[str, Value]]:
    """Each label counted and the answer it counts, in the order a chart shows them."""
    if isinstance(question, Likert):
        return [(label, point) for point, label in enumerate(question.labels, start=1)]
    if isinstance(question, Scale):
        return [(str(point), point) for point in range(11)]
    if question.kind == QuestionType.YES_NO:
        return [(label, answer) for answer, label in YES_NO_LABELS.items()]
    return [(option, option) for option in getattr(question, "options", ())]


def _has(value: Value, key: Value) -> bool:
    if isinstance(value, tuple):
        return key in value
    # True == 1 in Python: a yes must not count as a Likert 1.
    return isinstance(value, bool) == isinstance(key, bool) and value == key


def _centre(numbers: list[float]) -> tuple[float | None, float | None]:
    if not numbers:
        return None, None
    return statistics.fmean(numbers), float(statistics.median(numbers))


def _rate(answered: int, invited: int | None) -> float | None:
    return answered / invited if invited else None
