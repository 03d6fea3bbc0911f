"""Drafts sealed with the respondent's own link token: the service stores only a keyed hash
of the token, so neither the database nor the service's secret key opens a draft; only the
person holding the link does.

AES-256-GCM from `cryptography`, its key the SHA-256 of the token (a random 256-bit value,
so no slow key derivation is needed), a fresh 96-bit nonce for every seal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from typing import Any

_NONCE = 12
_CONTEXT = b"survey-draft"  # bound to the ciphertext, so a sealed draft is only ever a draft


def _cipher(token: str) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # first draft loads it

    return AESGCM(hashlib.sha256(_CONTEXT + b":" + token.encode()).digest())


def seal(token: str, plain: bytes) -> str:
    nonce = secrets.token_bytes(_NONCE)
    return base64.b64encode(nonce + _cipher(token).encrypt(nonce, plain, _CONTEXT)).decode()


def unseal(token: str, sealed: str) -> bytes | None:
    """The plain text, or None when this token did not seal it (or it was altered)."""
    try:
        raw = base64.b64decode(sealed, validate=True)
    except (binascii.Error, ValueError):
        return None
    from cryptography.exceptions import InvalidTag

    try:
        return _cipher(token).decrypt(raw[:_NONCE], raw[_NONCE:], _CONTEXT)
    except (InvalidTag, ValueError):  # ValueError: too short to hold a nonce and a tag
        return None
