"""The shapes at the edge of building a survey: what the API decodes and the pages fill, and
what both read back. A question is written flat (the fields its type uses), so neither a
page nor a script has to know the engine's JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from medvirkning.schema import NAME, SINGLE_LINE, TEXT, LongName, Struct, Version
from surveys.questions import Language, QuestionType

Threshold = Annotated[int, msgspec.Meta(ge=3, le=1000, description="Anonymitetsgrense, minst 3")]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]
QuestionText = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, pattern=NAME)]
HelpText = Annotated[str, msgspec.Meta(max_length=2000, pattern=TEXT)]
Label = Annotated[str, msgspec.Meta(max_length=200, pattern=SINGLE_LINE)]
Option = Annotated[str, msgspec.Meta(max_length=200, pattern=SINGLE_LINE)]
# Finite and within what a person would type (JSON has no infinity to store).
Bound = Annotated[float, msgspec.Meta(ge=-1e12, le=1e12)]
Direction = Literal["up", "down"]
Operator = Literal["<", "<=", "==", "!=", ">=", ">"]


class SurveyCreate(Struct):
    title: LongName
    language: Language = Language.BOKMAL
    threshold: Threshold = 5
    response_target: Percent = 50
    introduction: HelpText = ""


class SurveyUpdate(Struct):
    version: Version
    title: LongName
    language: Language = Language.BOKMAL
    threshold: Threshold = 5
    response_target: Percent = 50
    introduction: HelpText = ""


class SectionWrite(Struct):
    version: Version
    title: LongName
    description: HelpText = ""


class QuestionWrite(Struct):
    """One question; only the fields its type uses are read (options for the choices,
    labels for Likert, the end labels for a scale, a length for text, bounds for a number)."""

    version: Version
    type: QuestionType
    text: QuestionText
    help: HelpText = ""
    required: bool = True
    options: Annotated[list[Option], msgspec.Meta(max_length=50)] = []
    labels: Annotated[list[Label], msgspec.Meta(max_length=5)] = []  # empty: the usual five
    low_label: Label = ""
    high_label: Label = ""
    max_length: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None
    minimum: Bound | None = None
    maximum: Bound | None = None
    integer: bool = True


class ConditionWrite(Struct):
    """Show the question only if the earlier question `question` was answered so: one of
    `options` (a choice), `answer` (yes/no), or compared with `value` (a number)."""

    version: Version
    question: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    options: Annotated[list[Option], msgspec.Meta(max_length=50)] = []
    answer: bool | None = None
    operator: Operator | None = None
    value: Bound | None = None


class Move(Struct):
    version: Version
    direction: Direction


class VersionSeen(Struct):
    """A change that needs nothing but the version the user saw (delete, publish)."""

    version: Version


class VersionRead(msgspec.Struct, frozen=True):
    number: int
    published_at: datetime | None
    answers: int


class SurveyRead(msgspec.Struct, frozen=True):
    id: int
    version: str  # send it back with every change: a change made on an older one is refused
    title: str
    language: Language
    threshold: int
    response_target: int
    is_template: bool
    versions: list[VersionRead]
    definition: dict[str, Any]  # the newest version's (surveys.definition.Survey)


class SurveyListItem(msgspec.Struct, frozen=True):
    id: int
    title: str
    is_template: bool
    published_version: int | None
    draft: bool  # the newest version is not published yet
    answers: int
