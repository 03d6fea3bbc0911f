"""Shared field types for the Structs at the edges, with the Norwegian message for each format."""

from __future__ import annotations

from typing import Annotated

import msgspec

NOT_BLANK = r"\S"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MUNICIPALITY_NUMBER = r"^\d{4}$"
# \Z, not $: a final line break must not slip through.
WEB_LINK = r"^https?://\S+\Z"
OPTIONAL_WEB_LINK = r"^(https?://\S+)?\Z"

# The message shown when a value does not match the pattern.
PATTERN_MESSAGES = {
    NOT_BLANK: "Feltet må fylles ut.",
    EMAIL: "Skriv en gyldig e-postadresse, for eksempel navn@kommune.no.",
    MUNICIPALITY_NUMBER: "Kommunenummeret er fire sifre, for eksempel 3303.",
    WEB_LINK: "Lenken må begynne med https://, for eksempel https://kommune.no/dokument.pdf.",
    OPTIONAL_WEB_LINK: "Lenken må begynne med https://, for eksempel https://teams.microsoft.com/….",
}


class Struct(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies: an unknown field is an error, not silently dropped."""


Name = Annotated[str, msgspec.Meta(min_length=1, max_length=150, pattern=NOT_BLANK)]
LongName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NOT_BLANK)]
ShortText = Annotated[str, msgspec.Meta(max_length=150)]
LongText = Annotated[str, msgspec.Meta(max_length=10_000)]
RequiredText = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000, pattern=NOT_BLANK)]
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=EMAIL, description="E-postadresse")]
Id = Annotated[int, msgspec.Meta(ge=1)]
# The `version` a record was read at; an edit that gives it is refused if the record changed.
Version = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, description="Versjonen du leste")
]


class Ref(msgspec.Struct, frozen=True):
    """A linked record, by id and name."""

    id: int
    name: str
