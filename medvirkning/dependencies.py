"""What handlers ask for by name and type: `db: Db`, `settings: AppSettings`, `user: User`.

The request's transaction is the one `Database.transaction()` opens, with the signed-in
user as the audit actor; it commits after the handler and wakes the outbox worker.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, TypeAlias

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.audit import SYSTEM, Actor
from medvirkning.auth.access import Principal
from medvirkning.settings import Settings
from medvirkning.transaction import Database

AppSettings: TypeAlias = NamedDependency[Settings]
User: TypeAlias = NamedDependency[Principal]


async def provide_db(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession]:
    """One transaction per request: committed when the handler succeeds."""
    database: Database = request.app.state.database
    user: Principal | None = request.scope.get("user")
    actor = Actor(user.label, user.person_id) if user else SYSTEM
    async with database.transaction(actor) as session:
        yield session


def provide_user(request: Request[Any, Any, Any]) -> Principal:
    """The signed-in person or API token; only routes closed to anonymous callers ask."""
    user: Principal | None = request.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    return user
