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

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.surveys.mixing import mix
from medvirkning.surveys.models import Survey, SurveyAnswer
from medvirkning.surveys.respondents import SurveyAnswered, SurveyDraft, SurveyLink
from medvirkning.transaction import Database

BATCH = 500  # at most this many submits in one transaction
# Core tables, not the ORM's bulk paths: the same SQL, without the ORM's work per statement.
_ANSWERS: Any = SurveyAnswer.__table__
_MARKS: Any = SurveyAnswered.__table__
_DRAFTS: Any = SurveyDraft.__table__


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
    survey_id = submissions[0].survey_id
    postgres = db.get_bind().dialect.name == "postgresql"
    if postgres:
        # Submits to one survey take turns (across processes too), so each mix sees them
        # all. SQLite has no row locks: its one writer at a time does this already.
        await db.execute(select(Survey.id).where(Survey.id == survey_id).with_for_update())
    first: dict[int, int] = {}
    for index, submission in enumerate(submissions):
        first.setdefault(submission.recipient_id, index)
    upsert = postgresql.insert if postgres else sqlite.insert
    # Parameters given apart from the statement (not .values([...])), so its compiled
    # form is cached rather than compiled again for every batch.
    marked = set(
        await db.scalars(
            upsert(_MARKS).on_conflict_do_nothing().returning(_MARKS.c.recipient_id),
            [{"survey_id": survey_id, "recipient_id": r} for r in first],
        )
    )
    stored = [
        first[s.recipient_id] == index and s.recipient_id in marked
        for index, s in enumerate(submissions)
    ]
    kept = [s for s, ok in zip(submissions, stored, strict=True) if ok]
    if kept:
        await db.execute(
            insert(_ANSWERS),
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
        links = select(SurveyLink.id).where(
            SurveyLink.recipient_id.in_([s.recipient_id for s in kept])
        )
        await db.execute(delete(_DRAFTS).where(_DRAFTS.c.link_id.in_(links)))
        await mix(db, survey_id)
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
