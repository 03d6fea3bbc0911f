"""Shared field types for the Structs at the edges, with the Norwegian message for each format."""

from __future__ import annotations

import unicodedata
from typing import Annotated

import msgspec

# Characters no one can see or that break a line: control (Cc), format (Cf: zero-width
# space, direction marks, BOM, tags), line and paragraph separators, lone surrogates.
# tests/test_odd_input.py checks the class against unicodedata.
HIDDEN = (
    r"\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    r"\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    r"\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    r"\U000e0001\U000e0020-\U000e007f\ud800-\udfff"
)
# Letters that show as blank: Hangul fillers and the empty braille pattern.
BLANK_LOOKING = r"\u115f\u1160\u3164\uffa0\u2800"
# Multi-line text keeps tabs and line breaks, but no other control character.
TEXT_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff"

NOT_BLANK = r"\S"
# One line, nothing hidden, at least one visible character.
NAME = rf"^(?=[^{HIDDEN}]*\Z).*?[^\s{HIDDEN}{BLANK_LOOKING}]"
SINGLE_LINE = rf"^[^{HIDDEN}]*\Z"
TEXT = rf"^[^{TEXT_CONTROLS}]*\Z"
REQUIRED_TEXT = rf"^(?=[^{TEXT_CONTROLS}]*\Z)[\s\S]*?\S"
# A dot-atom address in ASCII: nothing a mail header could read as a second address or a
# display name (no <>, comma, quotes, spaces or line breaks).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,63}}\Z"
MUNICIPALITY_NUMBER = r"^[0-9]{4}\Z"
# \Z, not $: a final line break must not slip through.
WEB_LINK = rf"^https?://[^\s{HIDDEN}]+\Z"
OPTIONAL_WEB_LINK = rf"^(https?://[^\s{HIDDEN}]+)?\Z"

_ONE_LINE = "på én linje, uten kontrolltegn eller usynlige tegn"
# The message shown when a value does not match the pattern.
PATTERN_MESSAGES = {
    NOT_BLANK: "Feltet må fylles ut.",
    NAME: f"Feltet må fylles ut med synlige tegn, {_ONE_LINE}.",
    SINGLE_LINE: f"Teksten må stå {_ONE_LINE}.",
    TEXT: "Teksten kan ikke inneholde kontrolltegn.",
    REQUIRED_TEXT: "Feltet må fylles ut, uten kontrolltegn.",
    EMAIL: "Skriv en gyldig e-postadresse, for eksempel navn@kommune.no.",
    MUNICIPALITY_NUMBER: "Kommunenummeret er fire sifre, for eksempel 3303.",
    WEB_LINK: "Lenken må begynne med https://, for eksempel https://kommune.no/dokument.pdf.",
    OPTIONAL_WEB_LINK: "Lenken må begynne med https://, for eksempel https://teams.microsoft.com/….",
}


class Struct(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies: an unknown field is an error, not silently dropped."""

    def __post_init__(self) -> None:
        # One spelling for what looks the same: "å" as one character, never a + ring.
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, str) and not value.isascii():
                setattr(self, name, unicodedata.normalize("NFC", value))


Name = Annotated[str, msgspec.Meta(min_length=1, max_length=150, pattern=NAME)]
LongName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NAME)]
ShortText = Annotated[str, msgspec.Meta(max_length=150, pattern=SINGLE_LINE)]
LongText = Annotated[str, msgspec.Meta(max_length=10_000, pattern=TEXT)]
RequiredText = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000, pattern=REQUIRED_TEXT)]
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=EMAIL, description="E-postadresse")]
# The largest id either database can hold (PostgreSQL's integer).
MAX_ID = 2**31 - 1
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
# The `version` a record was read at; an edit that gives it is refused if the record changed.
Version = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, description="Versjonen du leste")
]


class Ref(msgspec.Struct, frozen=True):
    """A linked record, by id and name."""

    id: int
    name: str
