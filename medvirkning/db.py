"""Database: the declarative base, engines for SQLite and PostgreSQL, one session per request."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

from litestar.di import NamedDependency
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from medvirkning.sqlite_driver import one_trip_dbapi

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def version(self) -> str:
        """What an edit form carries to detect a stale save (see register.claim_version)."""
        return self.updated_at.isoformat()


# The request's session, as handlers ask for it: `db: Db`.
Db: TypeAlias = NamedDependency[AsyncSession]


def create_engine(url: str) -> AsyncEngine:
    # Errors must not carry bound values (hashes, addresses) into the logs.
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        pool: dict[str, Any] = {}
        if path and path != ":memory:":
            # No cap on connections: writers queued behind a lock must not hold every
            # connection while reads, which WAL lets through, wait for one.
            pool["max_overflow"] = -1
            # Kept open for requests at once rather than closed after each: a new connection
            # is a thread, its pragmas and its temporary tables.
            pool["pool_size"] = 20
            Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not Path(path).exists():
                # Created private, so SQLite gives its -wal and -shm files the same mode.
                # Only when missing: closing a descriptor of an open database would drop
                # every lock this process's connections hold on it (POSIX locks), and another
                # process could then take the write-ahead log from under them.
                with contextlib.suppress(FileExistsError):  # another process was first
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        engine = create_async_engine(
            url,
            module=one_trip_dbapi(),  # one trip to aiosqlite's thread a statement, not four
            connect_args={"timeout": 30},
            hide_parameters=True,
            **pool,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        _end_only_open_transactions(engine.sync_engine.dialect)
        return engine
    # Connections kept for as many requests at once as SQLite's: past the pool's default
    # five, each request opened and closed its own, a new server process every time. At
    # most 25 a process, so four workers stay inside PostgreSQL's default 100.
    return create_async_engine(
        url, pool_pre_ping=True, pool_size=20, max_overflow=5, hide_parameters=True
    )


def upsert_for(dialect_name: str) -> Any:
    """The database's INSERT that takes ON CONFLICT. PostgreSQL's is imported only when
    used: its dialect package is 2 MiB a server on SQLite never needs."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


SQLITE_HEAP_LIMIT = 2 * 2**20  # bytes: SQLite's schemas and page caches together

# More set-up for each new SQLite connection, added by the modules that need it (such as
# their temporary tables): done once a connection rather than in every transaction.
SQLITE_CONNECT: list[Callable[[Any, Any], None]] = []


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # For the whole process: past it each connection reuses its own cached pages rather
    # than take more. The system's file cache still holds the file, so a miss is a copy;
    # without it every connection kept 2 MiB of pages after one large write or read.
    cursor.execute(f"PRAGMA soft_heap_limit={SQLITE_HEAP_LIMIT}")
    cursor.close()
    for setup in SQLITE_CONNECT:
        setup(dbapi_connection, record)


def _end_only_open_transactions(dialect: Dialect) -> None:
    """Commit and roll back only when SQLite has a transaction open. sqlite3 does nothing
    otherwise (after a read, a commit, or back in the pool), but each call is still a trip
    to aiosqlite's thread: one or two on every request."""
    for name in ("do_commit", "do_rollback"):
        plain = getattr(dialect, name)

        def only_when_open(dbapi_connection: Any, plain: Any = plain) -> None:
            driver = dbapi_connection.driver_connection  # aiosqlite's; _connection: sqlite3's
            if driver._connection is not None and driver.in_transaction:
                plain(dbapi_connection)

        setattr(dialect, name, only_when_open)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
