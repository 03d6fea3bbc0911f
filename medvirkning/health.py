"""GET /health: the database's state and the migration version, 503 when unreachable.

The migration head this code expects is read from Alembic's scripts once, when the module
loads at start-up; each call then costs one query (the version row)."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from medvirkning.auth.access import OPEN
from medvirkning.migrate import head_revision

EXPECTED_MIGRATION = head_revision()
_VERSION = text("SELECT version_num FROM alembic_version")


class HealthRead(msgspec.Struct, frozen=True):
    status: str
    database: str
    migration: str | None
    expected_migration: str | None


@get("/health", summary="Helsesjekk", tags=["Drift"], opt=OPEN)
async def health(state: State) -> Response[HealthRead]:
    head = EXPECTED_MIGRATION
    try:
        async with asyncio.timeout(5), state.database.engine.connect() as connection:
            try:
                revision = await connection.scalar(_VERSION)
            except DBAPIError as error:
                if error.connection_invalidated:
                    raise
                revision = None  # reachable, but never migrated: no version table yet
    except (SQLAlchemyError, OSError, TimeoutError):
        body = HealthRead("unavailable", "unreachable", None, head)
        return Response(body, status_code=503)
    status = "ok" if revision == head else "migration_pending"
    return Response(HealthRead(status, "ok", revision, head), status_code=200)
