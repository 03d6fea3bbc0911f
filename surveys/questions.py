"""Question types (one enum, one class each), show-if conditions and the cleaning of one answer.

Each class turns a raw answer (from JSON or a form, so numbers may come as text) into its
normal form, or refuses it with a code that `answers.py` turns into a Norwegian message.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar, Literal

import msgspec

Value = str | tuple[str, ...] | int | float | bool


class Language(StrEnum):
    BOKMAL = "bokmal"
    NYNORSK = "nynorsk"


class QuestionType(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    LIKERT = "likert"
    SCALE = "scale"
    YES_NO = "yes_no"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"


LIKERT_LABELS: dict[Language, tuple[str, ...]] = {
    Language.BOKMAL: (
        "Helt uenig",
        "Litt uenig",
        "Verken enig eller uenig",
        "Litt enig",
        "Helt enig",
    ),
    Language.NYNORSK: (
        "Heilt ueinig",
        "Litt ueinig",
        "Verken einig eller ueinig",
        "Litt einig",
        "Heilt einig",
    ),
}
SHORT_TEXT_CEILING = 500
LONG_TEXT_CEILING = 10_000
# NUL and other control characters: PostgreSQL refuses NUL, and none belongs in an answer.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
}


class Refusal(Exception):
    """One answer refused: a message code and the values its text needs."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(code)


# --- conditions: shown only if an earlier question's answer fits ---------------------------


class ChoiceIn(msgspec.Struct, frozen=True, tag="choice_in", tag_field="kind"):
    """Shown if the single choice is, or any of the multiple choices is, one of `options`."""

    question: str
    options: tuple[str, ...]

    def holds(self, value: Value) -> bool:
        chosen = value if isinstance(value, tuple) else (value,)
        return any(option in self.options for option in chosen)


class Compare(msgspec.Struct, frozen=True, tag="compare", tag_field="kind"):
    """Shown if a Likert, scale or number answer compares so with `value`."""

    question: str
    operator: Literal["<", "<=", "==", "!=", ">=", ">"]
    value: float

    def holds(self, value: Value) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return OPERATORS[self.operator](value, self.value)


class YesNoIs(msgspec.Struct, frozen=True, tag="yes_no_is", tag_field="kind"):
    """Shown if a yes/no answer is `value`."""

    question: str
    value: bool

    def holds(self, value: Value) -> bool:
        return isinstance(value, bool) and value == self.value


Condition = ChoiceIn | Compare | YesNoIs


# --- questions -------------------------------------------------------------------------------


class _Question(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    id: str
    text: str
    required: bool = True
    help: str = ""
    show_if: Condition | None = None
    kind: ClassVar[QuestionType]

    def clean(self, raw: object) -> Value:
        raise NotImplementedError

    def problems(self) -> list[tuple[str, dict[str, object]]]:
        """What is wrong with this type's own settings (options, labels, bounds)."""
        return []


class _Choice(_Question, frozen=True, kw_only=True):
    options: tuple[str, ...]

    def problems(self) -> list[tuple[str, dict[str, object]]]:
        found: list[tuple[str, dict[str, object]]] = []
        if len(self.options) < 2:
            found.append(("too_few_options", {}))
        if any(not option.strip() for option in self.options):
            found.append(("empty_option", {}))
        seen: set[str] = set()
        for option in self.options:
            # "Ja" and "ja " would read as one option to a respondent.
            key = option.strip().casefold()
            if key and key in seen:
                found.append(("duplicate_option", {"option": option.strip()}))
            seen.add(key)
        return found

    def _option(self, raw: object) -> str:
        if not isinstance(raw, str) or raw.strip() not in self.options:
            raise Refusal("not_an_option")
        return raw.strip()


class SingleChoice(_Choice, frozen=True, kw_only=True, tag=QuestionType.SINGLE_CHOICE.value):
    kind = QuestionType.SINGLE_CHOICE

    def clean(self, raw: object) -> Value:
        return self._option(raw)


class MultipleChoice(_Choice, frozen=True, kw_only=True, tag=QuestionType.MULTIPLE_CHOICE.value):
    kind = QuestionType.MULTIPLE_CHOICE

    def clean(self, raw: object) -> Value:
        # A form with one box ticked posts a single value, not a list.
        chosen = [raw] if isinstance(raw, str) else raw
        if not isinstance(chosen, list | tuple):
            raise Refusal("not_an_option")
        options = [self._option(option) for option in chosen]
        if len(set(options)) != len(options):
            raise Refusal("duplicate_choice")
        return tuple(option for option in self.options if option in options)


class Likert(_Question, frozen=True, kw_only=True, tag=QuestionType.LIKERT.value):
    labels: tuple[str, ...]  # five, for 1 to 5; LIKERT_LABELS has the usual ones
    kind = QuestionType.LIKERT

    def problems(self) -> list[tuple[str, dict[str, object]]]:
        if len(self.labels) != 5 or any(not label.strip() for label in self.labels):
            return [("likert_labels", {})]
        return []

    def clean(self, raw: object) -> Value:
        return _in_range(_whole(raw), 1, 5)


class Scale(_Question, frozen=True, kw_only=True, tag=QuestionType.SCALE.value):
    low_label: str = ""  # what 0 means, e.g. "Svært lite sannsynlig"
    high_label: str = ""  # what 10 means
    kind = QuestionType.SCALE

    def clean(self, raw: object) -> Value:
        return _in_range(_whole(raw), 0, 10)


class YesNo(_Question, frozen=True, kw_only=True, tag=QuestionType.YES_NO.value):
    kind = QuestionType.YES_NO

    def clean(self, raw: object) -> Value:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().casefold() in ("ja", "nei"):
            return raw.strip().casefold() == "ja"
        raise Refusal("not_yes_no")


class ShortText(_Question, frozen=True, kw_only=True, tag=QuestionType.SHORT_TEXT.value):
    max_length: int = 200
    kind = QuestionType.SHORT_TEXT

    def problems(self) -> list[tuple[str, dict[str, object]]]:
        return _text_limit(self.max_length, SHORT_TEXT_CEILING)

    def clean(self, raw: object) -> Value:
        # One line: a pasted line break becomes a space.
        return _text(" ".join(_string(raw).split()), self.max_length)


class LongText(_Question, frozen=True, kw_only=True, tag=QuestionType.LONG_TEXT.value):
    max_length: int = 4000
    kind = QuestionType.LONG_TEXT

    def problems(self) -> list[tuple[str, dict[str, object]]]:
        return _text_limit(self.max_length, LONG_TEXT_CEILING)

    def clean(self, raw: object) -> Value:
        # Browsers post CRLF; counting it as two characters would surprise the respondent.
        text = _string(raw).replace("\r\n", "\n").replace("\r", "\n").strip()
        return _text(text, self.max_length)


class Number(_Question, frozen=True, kw_only=True, tag=QuestionType.NUMBER.value):
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = True  # whole numbers only, e.g. years in the job
    kind = QuestionType.NUMBER

    def problems(self) -> list[tuple[str, dict[str, object]]]:
        low, high = self.minimum, self.maximum
        if low is not None and high is not None and low > high:
            return [("minimum_above_maximum", {})]
        return []

    def clean(self, raw: object) -> Value:
        number = _whole(raw) if self.integer else _number(raw)
        if self.minimum is not None and number < self.minimum:
            raise Refusal("below_minimum", low=self.minimum)
        if self.maximum is not None and number > self.maximum:
            raise Refusal("above_maximum", high=self.maximum)
        return number


Question = SingleChoice | MultipleChoice | Likert | Scale | YesNo | ShortText | LongText | Number
QUESTION_CLASSES: dict[QuestionType, type[_Question]] = {
    cls.kind: cls
    for cls in (SingleChoice, MultipleChoice, Likert, Scale, YesNo, ShortText, LongText, Number)
}
# Which earlier questions each kind of condition can look at.
CONDITION_TARGETS: dict[type, frozenset[QuestionType]] = {
    ChoiceIn: frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE}),
    Compare: frozenset({QuestionType.LIKERT, QuestionType.SCALE, QuestionType.NUMBER}),
    YesNoIs: frozenset({QuestionType.YES_NO}),
}


def is_blank(raw: object) -> bool:
    """Not answered: nothing, blank text or no box ticked."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    return isinstance(raw, list | tuple) and not raw


def _number(raw: object) -> int | float:
    if isinstance(raw, bool):
        raise Refusal("not_a_number")
    if isinstance(raw, str):
        try:
            # Norwegians write 2,5; forms post text.
            raw = float(raw.strip().replace(",", ".").replace(" ", ""))
        except ValueError:
            raise Refusal("not_a_number") from None
    if not isinstance(raw, int | float) or not math.isfinite(raw):
        raise Refusal("not_a_number")
    return raw


def _whole(raw: object) -> int:
    number = _number(raw)
    if isinstance(number, float) and not number.is_integer():
        raise Refusal("not_a_whole_number")
    return int(number)


def _in_range(number: int, low: int, high: int) -> int:
    if not low <= number <= high:
        raise Refusal("out_of_range", low=low, high=high)
    return number


def _string(raw: object) -> str:
    if not isinstance(raw, str):
        raise Refusal("not_text")
    return raw


def _text(text: str, limit: int) -> str:
    if _CONTROL.search(text):
        raise Refusal("bad_character")
    if len(text) > limit:
        raise Refusal("too_long", limit=limit, length=len(text))
    return text


def _text_limit(limit: int, ceiling: int) -> list[tuple[str, dict[str, object]]]:
    return [] if 1 <= limit <= ceiling else [("text_limit", {"ceiling": ceiling})]
