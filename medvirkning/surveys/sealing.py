"""Drafts sealed with the respondent's own link token: the service stores only a keyed hash
of the token, so neither the database nor the service's secret key opens a draft; only the
person holding the link does.

Encrypt-then-MAC from the standard library: an HMAC-SHA256 keystream in counter mode and an
HMAC-SHA256 tag over the nonce and the ciphertext, each with its own key from the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

_NONCE = 16
_TAG = 32


def _keys(token: str) -> tuple[bytes, bytes]:
    encryption = hashlib.sha256(b"survey-draft-encryption:" + token.encode()).digest()
    authentication = hashlib.sha256(b"survey-draft-authentication:" + token.encode()).digest()
    return encryption, authentication


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    stream = b"".join(
        hmac.new(key, nonce + block.to_bytes(8, "big"), hashlib.sha256).digest()
        for block in range(blocks)
    )
    return stream[:length]


def _xor(data: bytes, stream: bytes) -> bytes:
    if not data:
        return b""
    mixed = int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")
    return mixed.to_bytes(len(data), "big")


def seal(token: str, plain: bytes) -> str:
    encryption, authentication = _keys(token)
    nonce = secrets.token_bytes(_NONCE)
    cipher = _xor(plain, _keystream(encryption, nonce, len(plain)))
    tag = hmac.new(authentication, nonce + cipher, hashlib.sha256).digest()
    return base64.b64encode(nonce + cipher + tag).decode()


def unseal(token: str, sealed: str) -> bytes | None:
    """The plain text, or None when this token did not seal it (or it was altered)."""
    try:
        raw = base64.b64decode(sealed, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) < _NONCE + _TAG:
        return None
    nonce, cipher, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    encryption, authentication = _keys(token)
    expected = hmac.new(authentication, nonce + cipher, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, tag):
        return None
    return _xor(cipher, _keystream(encryption, nonce, len(cipher)))
