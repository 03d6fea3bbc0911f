"""Storing submitted answers, one or many at a time, and gathering the submits that arrive
together into one transaction.

Each batch, under a lock on the survey: the "has answered" marks first (ON CONFLICT DO
NOTHING: a recipient already marked, or twice in the batch, is refused), then the answers
of those marked, with no token, person or time of day; the drafts go. A single submit
(`answering.submit`) then has `mixing.mix` rewrite the survey's answers and marks in random
order in the same transaction; the answering pages' queue instead marks the survey as
waiting and mixes at most once a second, since a mix rewrites every answer the survey has.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.db import upsert_for
from medvirkning.surveys.gathering import Gathered
from medvirkning.surveys.mixing import SURVEY_LOCK, mix_on, mix_waiting
from medvirkning.surveys.models import SurveyAnswer
from medvirkning.surveys.respondents import (
    SurveyAnswered,
    SurveyDraft,
    SurveyLink,
    SurveyUnmixed,
)
from medvirkning.transaction import Database

BATCH = 500  # at most this many submits in one transaction
MIX_EVERY = 1.0  # seconds: the longest the newest answers wait unmixed under load
log = logging.getLogger(__name__)
# Core tables and statements made once: the same SQL, without the ORM's work or building
# the statements again for every batch (parameters go apart, so each compiles once).
_ANSWERS: Any = SurveyAnswer.__table__
_MARKS: Any = SurveyAnswered.__table__
_DRAFTS: Any = SurveyDraft.__table__
_LINKS: Any = SurveyLink.__table__
_ANSWER = insert(_ANSWERS)


@cache
def _mark(dialect_name: str) -> Any:
    """The "has answered" marks; a recipient already marked (or twice in the batch) not."""
    return (
        upsert_for(dialect_name)(_MARKS).on_conflict_do_nothing().returning(_MARKS.c.recipient_id)
    )


@cache
def _wait(dialect_name: str) -> Any:
    """The survey waits for a mix (already waiting: nothing to add)."""
    return upsert_for(dialect_name)(SurveyUnmixed).on_conflict_do_nothing()


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


async def store_submissions(
    db: AsyncSession, submissions: list[Submission], *, mix: bool = True
) -> list[bool]:
    """Store the batch (one survey) in the caller's transaction; for each, whether it was
    stored (False: that recipient had answered already). Without `mix` the survey is left
    waiting for `mixing.mix_waiting`."""
    if not submissions:
        return []
    await db.flush()  # anything the caller added is in the tables before the mix
    # On the session's connection, in one call: none of the ORM's work per statement.
    return await (await db.connection()).run_sync(_store, submissions, mix)


def _store(connection: Connection, submissions: list[Submission], mix: bool) -> list[bool]:
    survey_id = submissions[0].survey_id
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        # Submits to one survey take turns (across processes too), so each mix sees them
        # all. SQLite has no row locks: its one writer at a time does this already.
        connection.execute(SURVEY_LOCK, {"survey": survey_id})
    first: dict[int, int] = {}
    for index, submission in enumerate(submissions):
        first.setdefault(submission.recipient_id, index)
    marked = set(
        connection.execute(
            _mark(connection.dialect.name),
            [{"survey_id": survey_id, "recipient_id": r} for r in first],
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
        if mix:
            mix_on(connection, survey_id)
        else:
            connection.execute(_wait(connection.dialect.name), {"survey_id": survey_id})
    return stored


class SubmitQueue:
    """The submits of one process: those that arrive while a batch of the same survey is
    being written wait, and go together in the next batch. The batches leave their survey
    waiting for a mix, done at once when the last is `mix_every` seconds old, else when it
    is: under load one mix a second serves every batch in it."""

    def __init__(self, database: Database, mix_every: float = MIX_EVERY) -> None:
        self.database = database
        self.mix_every = mix_every
        self.batches: Gathered[int, Submission, bool] = Gathered(self._store, BATCH)
        self.mixer: asyncio.Task[None] | None = None
        self.unmixed = False  # a batch was stored after the last mix began
        self.last_mix = -math.inf  # when the last mix began (the loop's clock)

    async def submit(self, submission: Submission) -> bool:
        """Whether it was stored (False: already answered); raises what the batch raised."""
        return await self.batches(submission.survey_id, submission)

    async def _store(self, survey_id: int, batch: list[Submission]) -> list[bool]:
        async with self.database.transaction() as db:
            stored = await store_submissions(db, batch, mix=False)
        self.unmixed = True
        if self.mixer is None:
            self.mixer = asyncio.create_task(self._mix())
        return stored

    async def _mix(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.unmixed:
                await asyncio.sleep(max(0.0, self.last_mix + self.mix_every - loop.time()))
                self.unmixed, self.last_mix = False, loop.time()
                try:
                    await mix_waiting(self.database)
                except (SQLAlchemyError, OSError) as exc:  # the database is away for a while
                    log.warning("survey answers could not be mixed yet: %s", exc)
                    self.unmixed = True
                except Exception:  # a bug: said in full, and tried again after a second
                    log.exception("survey answers could not be mixed; trying again")
                    self.unmixed = True
        finally:
            self.mixer = None

    async def close(self) -> None:
        """On shutdown: what waits is mixed now, not at the next start (also what a mix
        stopped halfway left: its transaction was rolled back)."""
        if self.mixer is not None:
            self.mixer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.mixer
        await mix_waiting(self.database)
