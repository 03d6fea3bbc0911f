"""Enumerations whose members carry the Norwegian label shown to people."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa


class Choice(StrEnum):
    """A stored value (English, stable) with its Norwegian label."""

    label: str

    def __new__(cls, value: str, label: str = "") -> Choice:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member

    @classmethod
    def options(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


def choice_column(enum: type[Choice]) -> Any:
    """Stored as text with a CHECK constraint, the same on SQLite and PostgreSQL."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
        name=enum.__name__.lower(),
    )


class LanguageForm(Choice):
    BOKMAL = "bokmal", "bokmål"
    NYNORSK = "nynorsk", "nynorsk"
    NEUTRAL = "neutral", "nøytral"


class WrittenForm(Choice):
    """The form a person reads: a municipality may be neutral, a person reads one of the two."""

    BOKMAL = "bokmal", "bokmål"
    NYNORSK = "nynorsk", "nynorsk"
