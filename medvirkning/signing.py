"""Signatures made with the service's secret key: links that need no sign-in, and keyed
hashes that count without storing what they count."""

from __future__ import annotations

import hashlib
import hmac

from medvirkning.settings import Settings


def sign(settings: Settings, purpose: str, *parts: object, length: int = 64) -> str:
    """The HMAC-SHA256 of the purpose and parts; the purpose keeps one use's signature
    from being valid for another."""
    message = ":".join([purpose, *(str(part) for part in parts)]).encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:length]


def is_signed(expected: str, given: str) -> bool:
    """Compared in constant time, so timing tells nothing about the right value."""
    return given.isascii() and hmac.compare_digest(expected, given)
