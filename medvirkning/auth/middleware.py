"""Finds who makes each request: a session cookie or an API token (Authorization: Bearer)."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import Executable

from medvirkning.auth.principals import principal_for
from medvirkning.bookkeeping import write_best_effort
from medvirkning.dependencies import request_transaction
from medvirkning.settings import Settings

SESSION_COOKIE = "medvirkning_session"


def session_cookie(settings: Settings, secret: str) -> Cookie:
    """The session cookie, lasting as long as the session may stay idle."""
    return Cookie(
        key=SESSION_COOKIE,
        value=secret,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=int(settings.session_idle_hours * 3600),
    )


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
        bookkeeping: list[Executable] = []  # "last used" marks, written after the request
        if cookie and _cross_site_write(connection, state.settings.public_base_url):
            cookie = None  # a write from another site's page does not get the user's session
        # A lookup the memory cannot answer runs in the request's one transaction, which the
        # handler's `db` shares.
        transaction = request_transaction(scope, state.database)
        try:
            if authorization[:7].lower() == "bearer ":
                secret = authorization[7:].strip()
                principal, bookkeeping = await principal_for(
                    transaction, state.settings, secret, False
                )
            elif cookie:
                principal, bookkeeping = await principal_for(
                    transaction, state.settings, cookie, True
                )
                if bookkeeping:  # the session was extended now: so is the browser's cookie
                    send = _renewing(send, session_cookie(state.settings, cookie))
            scope["user"] = principal
            await next_app(scope, receive, send)
        except BaseException as error:
            await transaction.end(error)
            raise
        await transaction.end()  # no handler took it (a refusal, a page without `db`)
        await write_best_effort(state.database.engine, bookkeeping)


def _renewing(send: Send, cookie: Cookie) -> Send:
    """The server extended the session: the browser's cookie is extended with it."""

    async def send_with_cookie(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message)
            already = [
                v for v in headers.getall("set-cookie", []) if v.startswith(cookie.key + "=")
            ]
            if not already:  # sign-out deletes it, sign-in sets a new one
                headers.add("set-cookie", cookie.to_header(header=""))
        await send(message)

    return send_with_cookie


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
