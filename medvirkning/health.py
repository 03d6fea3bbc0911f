"""GET /health: the database's state and the migration version, 503 when unreachable."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy.exc import SQLAlchemyError

from medvirkning.auth.access import OPEN
from medvirkning.migrate import current_revision, head_revision


class HealthRead(msgspec.Struct, frozen=True):
    status: str
    database: str
    migration: str | None
    expected_migration: str | None


@get("/health", summary="Helsesjekk", tags=["Drift"], opt=OPEN)
async def health(state: State) -> Response[HealthRead]:
    head = head_revision()
    try:
        async with asyncio.timeout(5), state.database.engine.connect() as connection:
            revision = await connection.run_sync(current_revision)
    except (SQLAlchemyError, OSError, TimeoutError):
        body = HealthRead("unavailable", "unreachable", None, head)
        return Response(body, status_code=503)
    status = "ok" if revision == head else "migration_pending"
    return Response(HealthRead(status, "ok", revision, head), status_code=200)
