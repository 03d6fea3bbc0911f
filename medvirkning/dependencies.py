"""What handlers ask for by name and type: `db: Db`, `settings: AppSettings`, `user: User`.

A request has one transaction, the one `Database.transaction()` opens: the authentication
opens it to look up a session or token, and the handler's `db` is the same session (or
opens it, for an anonymous caller). It commits after the handler, before the response.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeAlias

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.audit import SYSTEM, Actor, act_as
from medvirkning.auth.access import Principal
from medvirkning.db import Db
from medvirkning.settings import Settings
from medvirkning.transaction import Database

AppSettings: TypeAlias = NamedDependency[Settings]
User: TypeAlias = NamedDependency[Principal]

_SCOPE_KEY = "medvirkning.transaction"


class RequestTransaction:
    """The request's one transaction, begun by whoever needs it first and ended once:
    by `provide_db` after the handler, or by the middleware when no handler asked."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.session: AsyncSession | None = None
        self._block: AbstractAsyncContextManager[AsyncSession] | None = None

    async def begin(self) -> AsyncSession:
        if self.session is None:
            self._block = self.database.transaction()
            self.session = await self._block.__aenter__()
        return self.session

    async def end(self, error: BaseException | None = None) -> None:
        """Commit (or, after an error, roll back) and wake the outbox worker if mail was written."""
        block, self._block, self.session = self._block, None, None
        if block is not None:
            await block.__aexit__(type(error) if error else None, error, None)


def request_transaction(scope: Any, database: Database) -> RequestTransaction:
    """The request's transaction, made on first use (the middleware makes it for most)."""
    if _SCOPE_KEY not in scope:
        scope[_SCOPE_KEY] = RequestTransaction(database)
    found: RequestTransaction = scope[_SCOPE_KEY]
    return found


async def provide_db(
    request: Request[Any, Any, Any], settings: AppSettings
) -> AsyncGenerator[AsyncSession]:
    """The request's transaction: committed when the handler succeeds, before the response.

    It takes `settings` only to come after it, as `provide_user` comes after `db`: a handler
    that asks for both then gets them one after the other, with no task group."""
    transaction = request_transaction(request.scope, request.app.state.database)
    user: Principal | None = request.scope.get("user")
    session = await transaction.begin()
    act_as(session, Actor(user.label, user.person_id) if user else SYSTEM)
    try:
        yield session
    except BaseException as error:
        await transaction.end(error)
        raise
    await transaction.end()


def provide_user(request: Request[Any, Any, Any], db: Db) -> Principal:
    """The signed-in person or API token; only routes closed to anonymous callers ask.

    It takes `db` only to come after it: Litestar resolves dependencies of one level in a
    task group, two new tasks a request."""
    user: Principal | None = request.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    return user
