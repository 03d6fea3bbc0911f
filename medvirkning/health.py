"""GET /health: the database's state and the migration version, 503 when unreachable.

The migration head this code expects is read from the migration files once, when the module
loads at start-up; each call then costs one query (the version row). Alembic itself is not
imported: it would cost the serving process about 10 MiB it never uses again."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from medvirkning.auth.access import OPEN

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_DECLARED = re.compile(r'^(down_revision|revision): [^=]*= "?([^"\n]*?)"?$', re.MULTILINE)


def migration_head() -> str | None:
    """The one revision no other migration builds on (tests compare it with Alembic's)."""
    revisions, parents = set(), set()
    for script in VERSIONS.glob("*.py"):
        declared = dict(_DECLARED.findall(script.read_text(encoding="utf-8")))
        revisions.add(declared["revision"])
        parents.add(declared.get("down_revision", "None"))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


EXPECTED_MIGRATION = migration_head()
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
