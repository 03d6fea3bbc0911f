"""The page a person was going to when sign-in stopped them, kept across the sign-in.

A short-lived cookie scoped to /logg-inn carries it from the refused page to the button
that spends the link, so the e-mail needs no change; only a local path is ever followed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.datastructures import Cookie

NEXT_COOKIE = "medvirkning_neste"
MAX_LENGTH = 2000


def safe_next(value: str | None) -> str:
    """The path itself if it is a page of this site, else the front page."""
    if (
        not value
        or len(value) > MAX_LENGTH
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or not all(0x20 < ord(c) < 0x7F and c not in "\\;," for c in value)
        or value.startswith("/logg-inn")
    ):
        return "/"
    return value


def remember_page(request: Request[Any, Any, Any], secure: bool) -> list[Cookie]:
    """The cookie that keeps the refused page, for a plain GET of a page other than /."""
    if request.method != "GET":
        return []
    # Percent-encoded for the Location header; the cookie value once more (Litestar decodes it).
    query = request.url.query
    path = quote(request.url.path) + (f"?{quote(query, safe='=&%+')}" if query else "")
    if safe_next(path) == "/":
        return []
    return [
        Cookie(
            key=NEXT_COOKIE,
            value=quote(path, safe=""),
            path="/logg-inn",
            max_age=3600,
            httponly=True,
            samesite="lax",
            secure=secure,
        )
    ]
