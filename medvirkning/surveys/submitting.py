"""Storing submitted answers, one or many at a time, and gathering the submits that arrive
together into one transaction.

Each batch, under a lock on the survey: the "has answered" marks first (ON CONFLICT DO
NOTHING: a recipient already marked, or twice in the batch, is refused), then the answers
of those marked, with no token, person or time of day; the drafts go; and `mixing.mix`
rewrites the survey's answers and marks in random order. One mix serves the whole batch,
which is what lets many people answer at once.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.surveys.mixing import mix_on
from medvirkning.surveys.models import Survey, SurveyAnswer
from medvirkning.surveys.respondents import SurveyAnswered, SurveyDraft, SurveyLink
from medvirkning.transaction import Database

BATCH = 500  # at most this many submits in one transaction
# Core tables and statements made once: the same SQL, without the ORM's work or building
# the statements again for every batch (parameters go apart, so each compiles once).
_ANSWERS: Any = SurveyAnswer.__table__
_MARKS: Any = SurveyAnswered.__table__
_DRAFTS: Any = SurveyDraft.__table__
_LINKS: Any = SurveyLink.__table__
_SURVEYS: Any = Survey.__table__
_LOCK = select(_SURVEYS.c.id).where(_SURVEYS.c.id == bindparam("survey")).with_for_update()
_MARK = {  # by whether the database is PostgreSQL
    postgres: (postgresql.insert if postgres else sqlite.insert)(_MARKS)
    .on_conflict_do_nothing()
    .returning(_MARKS.c.recipient_id)
    for postgres in (True, False)
}
_ANSWER = insert(_ANSWERS)
_DRAFTS_GONE = delete(_DRAFTS).where(
    _DRAFTS.c.link_id.in_(
        select(_LINKS.c.id).where(
            _LINKS.c.recipient_id.in_(bindparam("recipients", expanding=True))
        )
    )
)


@dataclass(frozen=True)
class Submission:
    """One validated answer set, with what storing it needs and nothing that names a person
    beyond the recipient id its mark needs."""

    survey_id: int
    recipient_id: int
    version_id: int
    municipality_id: int | None
    answers: str  # the engine's normal form, as JSON
    day: date


async def store_submissions(db: AsyncSession, submissions: list[Submission]) -> list[bool]:
    """Store the batch (one survey) in the caller's transaction; for each, whether it was
    stored (False: that recipient had answered already)."""
    if not submissions:
        return []
    await db.flush()  # anything the caller added is in the tables before the mix
    # On the session's connection, in one call: none of the ORM's work per statement.
    return await (await db.connection()).run_sync(_store, submissions)


def _store(connection: Connection, submissions: list[Submission]) -> list[bool]:
    survey_id = submissions[0].survey_id
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        # Submits to one survey take turns (across processes too), so each mix sees them
        # all. SQLite has no row locks: its one writer at a time does this already.
        connection.execute(_LOCK, {"survey": survey_id})
    first: dict[int, int] = {}
    for index, submission in enumerate(submissions):
        first.setdefault(submission.recipient_id, index)
    marked = set(
        connection.execute(
            _MARK[postgres], [{"survey_id": survey_id, "recipient_id": r} for r in first]
        ).scalars()
    )
    stored = [
        first[s.recipient_id] == index and s.recipient_id in marked
        for index, s in enumerate(submissions)
    ]
    kept = [s for s, ok in zip(submissions, stored, strict=True) if ok]
    if kept:
        connection.execute(
            _ANSWER,
            [
                {
                    "id": secrets.token_hex(16),
                    "survey_version_id": s.version_id,
                    "municipality_id": s.municipality_id,
                    "answered_on": s.day,
                    "answers": s.answers,
                }
                for s in kept
            ],
        )
        connection.execute(_DRAFTS_GONE, {"recipients": [s.recipient_id for s in kept]})
        mix_on(connection, survey_id)
    return stored


class SubmitQueue:
    """The submits of one process: those that arrive while a batch of the same survey is
    being written wait, and go together in the next batch."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.waiting: dict[int, list[tuple[Submission, asyncio.Future[bool]]]] = {}
        self.writing: set[int] = set()
        self.tasks: set[asyncio.Task[Any]] = set()

    async def submit(self, submission: Submission) -> bool:
        """Whether it was stored (False: already answered); raises what the batch raised."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(submission.survey_id, []).append((submission, future))
        if submission.survey_id not in self.writing:
            self.writing.add(submission.survey_id)
            task = asyncio.create_task(self._drain(submission.survey_id))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return await future

    async def _drain(self, survey_id: int) -> None:
        try:
            while waiting := self.waiting.get(survey_id):
                batch, self.waiting[survey_id] = waiting[:BATCH], waiting[BATCH:]
                try:
                    async with self.database.transaction() as db:
                        outcomes = await store_submissions(db, [s for s, _ in batch])
                except Exception as error:  # every waiter hears of it, none is left hanging
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():
                        future.set_result(outcome)
        finally:
            for _, future in self.waiting.pop(survey_id, []):  # only if the loop was cancelled
                if not future.done():
                    future.set_exception(RuntimeError("the service stopped before storing it"))
            self.writing.discard(survey_id)
