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

import random
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.surveys.models import SurveyAnswer, SurveyVersion
from medvirkning.surveys.respondents import SurveyAnswered

_shuffle = random.SystemRandom().shuffle
ANSWERS: Any = SurveyAnswer.__table__
MARKS: Any = SurveyAnswered.__table__


async def mix(db: AsyncSession, survey_id: int) -> None:
    """Rewrite the survey's answers and marks in random order, in the caller's transaction."""
    if db.get_bind().dialect.name == "sqlite":
        # Deleted rows are zeroed in the file, so old row images cannot be read back.
        await db.execute(text("PRAGMA secure_delete = ON"))
    await db.flush()  # the answer just added is in the table before it is taken out
    versions = select(SurveyVersion.id).where(SurveyVersion.survey_id == survey_id)
    answers = await _take(db, ANSWERS, ANSWERS.c.survey_version_id.in_(versions))
    marks = await _take(db, MARKS, MARKS.c.survey_id == survey_id)
    for table, rows in ((ANSWERS, answers), (MARKS, marks)):
        _shuffle(rows)
        if rows:
            # Written in the shuffled order, so the physical order is the shuffle.
            await db.execute(insert(table), rows)


async def _take(db: AsyncSession, table: Any, where: Any) -> list[dict[str, Any]]:
    rows = [dict(row) for row in (await db.execute(select(table).where(where))).mappings()]
    await db.execute(delete(table).where(where))
    return rows
