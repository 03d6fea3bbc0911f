"""Finds who makes each request: a session cookie or an API token (Authorization: Bearer)."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from medvirkning.auth.services import session_principal, token_principal
from medvirkning.bookkeeping import queued, write_best_effort

SESSION_COOKIE = "medvirkning_session"


class AuthenticationMiddleware(ASGIMiddleware):
    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        return scope["path"].startswith("/static/") or scope["path"] == "/health"

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: ASGIConnection = ASGIConnection(scope)
        state = scope["litestar_app"].state
        authorization = connection.headers.get("authorization", "")
        cookie = connection.cookies.get(SESSION_COOKIE)
        principal = None
        if cookie and _cross_site_write(connection, state.settings.public_base_url):
            cookie = None  # a write from another site's page does not get the user's session
        if authorization.lower().startswith("bearer ") or cookie:
            async with state.database.transaction() as db:
                if authorization.lower().startswith("bearer "):
                    principal = await token_principal(db, authorization[7:].strip())
                elif cookie:
                    principal = await session_principal(db, state.settings, cookie)
                bookkeeping = queued(db)
            await write_best_effort(state.database.engine, bookkeeping)
        scope["user"] = principal
        await next_app(scope, receive, send)


def _cross_site_write(connection: ASGIConnection, base_url: str) -> bool:
    """A browser names the page a request comes from; forms are also CSRF-checked, this
    covers the JSON API, which scripts call with a token instead of a cookie."""
    if connection.scope.get("method", "GET") in ("GET", "HEAD", "OPTIONS"):
        return False
    if not connection.scope["path"].startswith("/api/"):
        return False  # pages: the CSRF token decides
    if connection.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return True
    origin = connection.headers.get("origin")
    return origin is not None and origin.rstrip("/") != base_url
