"""What keeps a stored answer from being joined to the person who gave it through what the
database records on its own.

A submit writes the answer and the recipient's "has answered" mark in one transaction, so
both would carry that transaction's id (PostgreSQL's `xmin`), sit last in physical order
(`ctid`, SQLite's `rowid`) and neighbour each other in time. `mix` therefore deletes every
answer and every mark of the survey and writes them back, each in a fresh random order, in
one transaction: after the commit all of them carry the one transaction id, and their
physical order is a shuffle that says nothing about who answered when.

A mix rewrites the whole survey, so it does not follow every batch of submits: the answering
pages' batches leave a `SurveyUnmixed` row instead, and their queue mixes at once when the
last mix is a second old, else when it is (`submitting.SubmitQueue`). For at most about a
second under load, or from a stopped process until the service starts again (`mix_waiting`
runs at start-up), the newest answers sit unmixed. A single submit in its caller's
transaction (`answering.submit`, for scripts and tests) is mixed in that transaction.

On SQLite the rows wait in temporary tables of the connection, and deletes zero the freed
space (`secure_delete`); both are set up once for each new connection (`db.SQLITE_CONNECT`),
not in every mix.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, TextClause, bindparam, delete, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.db import SQLITE_CONNECT
from medvirkning.surveys.models import Survey, SurveyAnswer
from medvirkning.surveys.respondents import SurveyAnswered, SurveyUnmixed
from medvirkning.transaction import Database

log = logging.getLogger(__name__)
ANSWERS: Any = SurveyAnswer.__table__
MARKS: Any = SurveyAnswered.__table__
# Which rows of each table belong to the survey (:survey).
_OF_SURVEY = {
    ANSWERS.name: "survey_version_id IN (SELECT id FROM survey_version WHERE survey_id = :survey)",
    MARKS.name: "survey_id = :survey",
}

_READY = "mixing_ready"  # in a connection's info: its temporary tables and pragma are set


def _set_up(table: Any) -> str:
    # Columns without a type: values are held exactly as read, and go back unchanged.
    columns = ", ".join(c.name for c in table.columns)
    return f"CREATE TEMP TABLE IF NOT EXISTS mixing_{table.name} ({columns})"


_SET_UP = [_set_up(ANSWERS), _set_up(MARKS), "PRAGMA secure_delete = ON"]


def _prepare_sqlite(dbapi_connection: Any, record: Any) -> None:
    """Once for each new SQLite connection, outside any transaction, so no rollback undoes
    it; the pragma comes last, so it covers the temporary database too."""
    cursor = dbapi_connection.cursor()
    for sql in _SET_UP:
        cursor.execute(sql)
    cursor.close()
    record.info[_READY] = True


SQLITE_CONNECT.append(_prepare_sqlite)


def _statements(table: Any, sqlite: bool) -> list[TextClause]:
    """The statements that rewrite one table's rows of the survey (:survey) in random order."""
    columns = ", ".join(c.name for c in table.columns)
    where = _OF_SURVEY[table.name]
    if not sqlite:
        return [
            text(
                f"WITH moved AS (DELETE FROM {table.name} WHERE {where} RETURNING {columns}) "
                f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM moved "
                "ORDER BY random()"
            )
        ]
    # SQLite has no DELETE in a WITH: the rows wait in a temporary table of this
    # connection, emptied before the transaction ends.
    held = f"temp.mixing_{table.name}"
    return [
        text(f"INSERT INTO {held} SELECT {columns} FROM {table.name} WHERE {where}"),
        text(f"DELETE FROM {table.name} WHERE {where}"),
        text(
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {held} ORDER BY random()"
        ),
        text(f"DELETE FROM {held}"),
    ]


# Made once: the same statements serve every mix.
_MIXING = {
    sqlite: [s for table in (ANSWERS, MARKS) for s in _statements(table, sqlite)]
    for sqlite in (True, False)
}


async def mix(db: AsyncSession, survey_id: int) -> None:
    """Rewrite the survey's answers and marks in random order, in the caller's transaction.

    Done by the database itself, rows never travelling to us and back: a rewrite of
    thousands of answers is then one or a few statements, not a round trip per row. The
    order comes from the database's random(), seeded from the system's own randomness."""
    await db.flush()  # the answer just added is in the table before it is taken out
    # On the session's connection, in one call: none of the ORM's work per statement.
    await (await db.connection()).run_sync(mix_on, survey_id)


def mix_on(connection: Connection, survey_id: int) -> None:
    """`mix` on a connection in its transaction, from code that already runs on one."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not connection.connection.info.get(_READY):
        # A connection made before this module was loaded: set up here, in the transaction.
        # Deleted rows are zeroed in the file, so old row images cannot be read back.
        for sql in _SET_UP:
            connection.exec_driver_sql(sql)
    params = {"survey": survey_id}
    for statement in _MIXING[sqlite]:
        connection.execute(statement, params)


_WAITING: Any = SurveyUnmixed.__table__
_SURVEYS: Any = Survey.__table__
# The survey's row locked: its batches of submits and its mixes take turns, across processes.
SURVEY_LOCK = select(_SURVEYS.c.id).where(_SURVEYS.c.id == bindparam("survey")).with_for_update()
_TAKE = delete(_WAITING).where(_WAITING.c.survey_id == bindparam("survey"))


async def mix_waiting(database: Database) -> int:
    """Mix every survey whose newest answers wait for it, each in a transaction of its own;
    how many were mixed (none when another process got there first)."""
    async with database.transaction() as db:
        waiting = list(await db.scalars(select(_WAITING.c.survey_id)))
    mixed = 0
    for survey_id in waiting:
        async with database.transaction() as db:
            mixed += await (await db.connection()).run_sync(_mix_if_waiting, survey_id)
    return mixed


async def mix_left_waiting(database: Database) -> None:
    """At start-up: what a stopped process left unmixed. With the database away the first
    mix after a batch of submits takes it, as it takes every survey waiting."""
    try:
        await mix_waiting(database)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("survey answers left unmixed could not be mixed yet: %s", exc)


def _mix_if_waiting(connection: Connection, survey_id: int) -> bool:
    if connection.dialect.name == "postgresql":
        # As a batch of submits does: the mix then sees every answer committed before it.
        connection.execute(SURVEY_LOCK, {"survey": survey_id})
    if not connection.execute(_TAKE, {"survey": survey_id}).rowcount:
        return False
    mix_on(connection, survey_id)
    return True
