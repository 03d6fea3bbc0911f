"""Survey drafts sealed with the respondent's link token: only that token opens them."""

from __future__ import annotations

import base64

from medvirkning.surveys.sealing import seal, unseal

TOKEN = "Tq2n8mXKp0wB7cYV1sZ3rUe5oH9aLdFg4jN6iPbQ"


def test_a_draft_opens_with_its_own_token_only():
    sealed = seal(TOKEN, "Lønn: «helt enig»".encode())
    assert unseal(TOKEN, sealed) == "Lønn: «helt enig»".encode()
    assert unseal(TOKEN[:-1] + "x", sealed) is None
    assert "Lønn".encode() not in base64.b64decode(sealed)
    assert seal(TOKEN, b"same") != seal(TOKEN, b"same")  # a fresh nonce every time


def test_an_altered_or_broken_draft_is_refused_not_an_error():
    raw = bytearray(base64.b64decode(seal(TOKEN, b"svar")))
    raw[-1] ^= 1
    assert unseal(TOKEN, base64.b64encode(bytes(raw)).decode()) is None
    assert unseal(TOKEN, "ikke base64 !") is None
    assert unseal(TOKEN, base64.b64encode(b"kort").decode()) is None
