"""What keeps a stored answer from being joined to the person who gave it through what the
database records on its own.

A submit writes the answer and the recipient's "has answered" mark in one transaction, so
both would carry that transaction's id (PostgreSQL's `xmin`), sit last in physical order
(`ctid`, SQLite's `rowid`) and neighbour each other in time. `mix` therefore deletes every
answer and every mark of the survey and writes them back, each in a fresh random order, in
that same transaction: after the commit all of them carry the one transaction id, and their
physical order is a shuffle that says nothing about who answered when. Every batch of
submits calls it (under a lock on the survey), so no committed state of the database ever
holds an unmixed answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.surveys.models import SurveyAnswer
from medvirkning.surveys.respondents import SurveyAnswered

ANSWERS: Any = SurveyAnswer.__table__
MARKS: Any = SurveyAnswered.__table__
# Which rows of each table belong to the survey (:survey).
_OF_SURVEY = {
    ANSWERS.name: "survey_version_id IN (SELECT id FROM survey_version WHERE survey_id = :survey)",
    MARKS.name: "survey_id = :survey",
}


async def mix(db: AsyncSession, survey_id: int) -> None:
    """Rewrite the survey's answers and marks in random order, in the caller's transaction.

    Done by the database itself, rows never travelling to us and back: a rewrite of
    thousands of answers is then one or a few statements, not a round trip per row. The
    order comes from the database's random(), seeded from the system's own randomness."""
    await db.flush()  # the answer just added is in the table before it is taken out
    sqlite = db.get_bind().dialect.name == "sqlite"
    if sqlite:
        # Deleted rows are zeroed in the file, so old row images cannot be read back.
        await db.execute(text("PRAGMA secure_delete = ON"))
    for table in (ANSWERS, MARKS):
        columns = ", ".join(c.name for c in table.columns)
        where = _OF_SURVEY[table.name]
        params = {"survey": survey_id}
        if sqlite:
            # SQLite has no DELETE in a WITH: the rows wait in a temporary table of this
            # connection, emptied before the transaction ends.
            held = f"temp.mixing_{table.name}"
            await db.execute(
                text(
                    f"CREATE TEMP TABLE IF NOT EXISTS mixing_{table.name} AS "
                    f"SELECT {columns} FROM {table.name} WHERE 0"
                )
            )
            await db.execute(
                text(f"INSERT INTO {held} SELECT {columns} FROM {table.name} WHERE {where}"),
                params,
            )
            await db.execute(text(f"DELETE FROM {table.name} WHERE {where}"), params)
            await db.execute(
                text(
                    f"INSERT INTO {table.name} ({columns}) "
                    f"SELECT {columns} FROM {held} ORDER BY random()"
                )
            )
            await db.execute(text(f"DELETE FROM {held}"))
        else:
            await db.execute(
                text(
                    f"WITH moved AS (DELETE FROM {table.name} WHERE {where} RETURNING {columns}) "
                    f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM moved "
                    "ORDER BY random()"
                ),
                params,
            )
