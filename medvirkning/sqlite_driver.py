"""SQLAlchemy's aiosqlite adapter with one trip to aiosqlite's thread a statement.

The stock adapter makes four: open a cursor, execute, fetch the rows, close the cursor.
Each trip is a hand-over between threads, and on a busy two-core machine that hand-over
costs more than SQLite's own work for a one-row read. Here the statement, its rows and the
cursor's closing are one function run in the thread. Everything else (connections, errors,
transactions, server-side cursors) is SQLAlchemy's own.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        # No aiosqlite cursor: the sqlite3 one lives and dies inside each trip.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:  # type: ignore[override]
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass  # the rows are all fetched in the trip; fetchmany's size is the caller's

    async def _async_soft_close(self) -> None:
        pass  # the sqlite3 cursor was closed in the trip

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        try:
            await_(self._connection._execute(self._run, operation, parameters, False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        try:
            await_(self._connection._execute(self._run, operation, seq_of_parameters, True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        """In aiosqlite's thread."""
        cursor: sqlite3.Cursor = self._connection._conn.cursor()
        try:
            if many:
                cursor.executemany(operation, parameters)
            elif parameters is None:
                cursor.execute(operation)
            else:
                cursor.execute(operation, parameters)
            self._description = cursor.description
            self._rows = deque(cursor.fetchall()) if cursor.description else deque()
            self._rowcount = cursor.rowcount
            self._lastrowid = cursor.lastrowid
        finally:
            cursor.close()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        stock = super().connect(*arg, **kw)
        return OneTripConnection(self, stock._connection)


def one_trip_dbapi() -> OneTripDbapi:
    """What `create_async_engine(..., module=)` takes for a sqlite+aiosqlite URL."""
    return OneTripDbapi(aiosqlite, sqlite3)
