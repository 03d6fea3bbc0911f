"""Problems found in a definition or an answer set: one per question, all reported at once."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec


class Problem(msgspec.Struct, frozen=True):
    field: str  # the question id ("" for the survey as a whole), so a page can mark the field
    code: str  # stable, for programs; the message is for people
    message: str  # Norwegian, in the survey's language form for answers, bokmål for definitions


class SurveyError(ValueError):
    """A refused definition or answer set, with every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(problem.message for problem in self.problems))


class InvalidDefinition(SurveyError):
    pass


class InvalidAnswers(SurveyError):
    pass


def number_text(value: float) -> str:
    """A number as Norwegians write it: 3,5 and 10, not 3.5 and 10.0."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}".replace(".", ",")
