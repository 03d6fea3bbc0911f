"""What every answer carries and what no log may show.

`protect` wraps the whole app (outside Litestar's routing, so 404s, errors and static
files are covered too): security headers on every answer, and HEAD answered wherever GET
is. `RedactSecrets` keeps the secrets that links carry out of the access log.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any, cast

from litestar import Litestar
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
HEADERS = {
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    # Sign-in, answer and feed links carry secrets: never pass the address on.
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
}
# Pages and API answers name people: no browser or proxy may keep a copy.
NO_STORE = b"no-store"


class SecureResponses:
    """Adds the security headers to every answer and answers HEAD as GET without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = cast("HTTPScope", scope)["method"] == "HEAD"
        static = scope["path"].startswith("/static/")

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_headers(message.get("headers", []), static)
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        if head:  # a copy, so the server's own log still says HEAD
            scope = {**scope, "method": "GET"}  # type: ignore[assignment]
        await self.app(scope, receive, send_secured)


def _with_headers(headers: Any, static: bool) -> list[tuple[bytes, bytes]]:
    ours = dict(HEADERS)
    if not static:
        ours[b"cache-control"] = NO_STORE
    kept = [(name, value) for name, value in headers if name.lower() not in ours]
    return [*kept, *ours.items()]


def protect(app: Litestar) -> Litestar:
    app.asgi_handler = SecureResponses(app.asgi_handler)
    return app


# --- logs ----------------------------------------------------------------------------------

HIDDEN = "***"
# Links whose last part is a secret: sign-in, meeting answers, calendar feeds.
_SECRET_LINKS = re.compile(
    r"(?P<keep>/logg-inn/|/svar/[^/\s]+/|/kalender/[^/\s]+/[^/\s]+/)[^/?#\s\"]+"
)
# Any other long token-like part of a path (survey and other links to come).
_TOKEN_LIKE = re.compile(r"(?<=/)[A-Za-z0-9_\-]{16,}(?=[/.?#\s\"]|$)")
_SECRET_QUERY = re.compile(r"(?i)(?P<keep>[?&](?:token|secret|key|code)=)[^&#\s\"]+")


def redact(text: str) -> str:
    """The text with every secret a link may carry replaced by ***."""
    text = _SECRET_LINKS.sub(lambda m: m["keep"] + HIDDEN, text)
    text = _TOKEN_LIKE.sub(
        lambda m: HIDDEN if any(c.isdigit() or c.isupper() for c in m[0]) else m[0], text
    )
    return _SECRET_QUERY.sub(lambda m: m["keep"] + HIDDEN, text)


class RedactSecrets(logging.Filter):
    """Rewrites a log record's message and arguments so no link secret reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging set-up, with the secrets filter on both of its handlers."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["secrets"] = {"()": RedactSecrets}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "secrets"]
    return config
