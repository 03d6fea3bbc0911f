"""The answering pages' submits are mixed in with the survey's other answers at most once a
second, not in every batch; what a stopped process left unmixed is mixed when the service
starts, and what waits at shutdown is mixed then."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text

from medvirkning.settings import Settings
from medvirkning.surveys import answering
from medvirkning.surveys.respondents import SurveyUnmixed
from medvirkning.surveys.submitting import Submission, SubmitQueue, store_submissions
from medvirkning.transaction import Database
from tests.conftest import app_for
from tests.survey_links import full_answers, links_in_outbox, published_survey, send_to


async def _survey_with_links(database: Database, settings: Settings, count: int) -> list[str]:
    async with database.transaction() as db:
        survey_id = await published_survey(db, threshold=3)
        people = [f"blanding.{n}@flesberg.kommune.no" for n in range(count)]
        await send_to(db, settings, survey_id, people)
        links = await links_in_outbox(db)
    return [links[person] for person in people]


async def _submission(database: Database, settings: Settings, token: str, n: int) -> Submission:
    async with database.transaction() as db:
        found = await answering.respondent(db, settings, token)
    return answering.submission_of(found, full_answers(n))


async def _waiting(database: Database) -> int:
    async with database.transaction() as db:
        return int(await db.scalar(select(func.count()).select_from(SurveyUnmixed)) or 0)


async def _places(database: Database) -> list[Any]:
    """Where each answer and mark sits: PostgreSQL's transaction id, SQLite's rowid."""
    async with database.transaction() as db:
        postgres = db.get_bind().dialect.name == "postgresql"
        column = "xmin::text" if postgres else "rowid"
        found = []
        for table in ("survey_answer", "survey_answered"):
            found += list(await db.scalars(text(f"SELECT {column} FROM {table}")))
        return found


async def _submit_order_of_stored(database: Database) -> list[int]:
    """The n of each answer ("Svar nummer n"), in the order the table stores them."""
    async with database.transaction() as db:
        postgres = db.get_bind().dialect.name == "postgresql"
        order = "ctid" if postgres else "rowid"
        rows = await db.scalars(text(f"SELECT answers FROM survey_answer ORDER BY {order}"))
        return [int(msgspec.json.decode(row)["annet"].split()[-1]) for row in rows]


async def test_a_stopped_process_leaves_answers_unmixed_and_the_next_start_mixes_them(
    settings,
):
    database = Database.connect(settings.database_url)
    try:
        tokens = await _survey_with_links(database, settings, 12)
        # A batch the pages' queue wrote, its process killed before the mix a moment later.
        batch = [await _submission(database, settings, t, n) for n, t in enumerate(tokens)]
        async with database.transaction() as db:
            assert await store_submissions(db, batch, mix=False) == [True] * 12
        assert await _waiting(database) == 1
        before = await _places(database)
        assert await _submit_order_of_stored(database) == list(range(12))  # unmixed
        async with AsyncTestClient(app=app_for(settings)):  # the service starts again
            assert await _waiting(database) == 0
        after = await _places(database)
        stored_order = await _submit_order_of_stored(database)
    finally:
        await database.close()
    assert len(after) == 24
    if isinstance(after[0], str):  # PostgreSQL: every answer and mark from one transaction
        assert len(set(after)) == 1
        assert set(after).isdisjoint(before)
    # In the order rows are stored, the answers no longer follow the order they were given.
    assert sorted(stored_order) == list(range(12))
    assert stored_order != list(range(12))


async def test_batches_within_a_mix_interval_wait_for_one_mix_and_a_shutdown_does_it(settings):
    database = Database.connect(settings.database_url)
    queue = SubmitQueue(database, mix_every=3600)  # after the first mix, none for an hour
    try:
        tokens = await _survey_with_links(database, settings, 5)
        assert await queue.submit(await _submission(database, settings, tokens[0], 0))
        for _ in range(200):  # the first batch after a quiet while is mixed at once
            if not await _waiting(database):
                break
            await asyncio.sleep(0.05)
        assert await _waiting(database) == 0
        for n, token in enumerate(tokens[1:], start=1):
            assert await queue.submit(await _submission(database, settings, token, n))
        await asyncio.sleep(0.2)
        assert await _waiting(database) == 1  # four batches, no mix yet: the hour has not passed
        await queue.close()  # as the service's shutdown does
        assert await _waiting(database) == 0
        places = await _places(database)
    finally:
        await queue.close()
        await database.close()
    assert len(places) == 10
    if isinstance(places[0], str):
        assert len(set(places)) == 1
