"""SQLite with its write lock held by someone else: reads still answer, at once."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from medvirkning.auth.models import Role, RoleGrant, UserSession
from medvirkning.auth.services import create_api_token
from medvirkning.db import create_engine, create_sessionmaker, utcnow
from medvirkning.people.models import Person
from medvirkning.region.models import Organisation
from tests.support import database

# Far more than a read needs, far less than SQLite's 30 s busy timeout that it waited for.
PATIENCE = 20


@pytest.fixture
def sqlite_path(settings) -> str:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    return settings.database_url.split(":///", 1)[1]


@contextmanager
def write_lock(path: str) -> Iterator[None]:
    """Another process's transaction holding SQLite's one write lock."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


async def test_reads_with_a_session_or_a_token_answer_while_the_write_lock_is_held(
    client, sqlite_path
):
    created = await client.post("/api/api-tokens", json={"name": "Rapport", "role": Role.ADMIN})
    assert created.status_code == 201, created.text
    token = created.json()["secret"]
    async with database(client) as db, db.begin():
        # Last seen long ago: this read wants to write "last seen now" (and the token's first use).
        await db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
    with write_lock(sqlite_path):
        async with asyncio.timeout(PATIENCE):
            by_session = await client.get("/api/me")
            by_token = await client.get("/api/people", headers={"authorization": f"Bearer {token}"})
    assert by_session.status_code == 200, by_session.text
    assert by_token.status_code == 200, by_token.text
    assert len(by_token.json()["items"]) >= 1


async def test_reads_answer_while_many_writers_wait_for_the_lock(
    settings, live_server, sqlite_path
):
    engine = create_engine(settings.database_url)
    async with create_sessionmaker(engine)() as db, db.begin():
        organisation = await db.scalar(
            select(Organisation.id).where(Organisation.name.like("Sekretariatet%"))
        )
        # A token works while the admin who made it is one.
        admin = Person(name="Pia", email="pia@kongsbergregionen.no", organisation_id=organisation)
        db.add(admin)
        await db.flush()
        db.add(RoleGrant(person_id=admin.id, role=Role.ADMIN))
        _, secret = await create_api_token(db, "Kø", Role.ADMIN, admin.id)
    await engine.dispose()

    async with httpx.AsyncClient(
        base_url=live_server, headers={"authorization": f"Bearer {secret}"}, timeout=60
    ) as http:

        async def write(number: int) -> int:
            person = {
                "name": f"Kø {number}",
                "email": f"ko{number}@kommune.no",
                "organisation_id": organisation,
            }
            return (await http.post("/api/people", json=person)).status_code

        assert (await http.get("/api/me")).status_code == 200
        with write_lock(sqlite_path):
            writers = [asyncio.create_task(write(n)) for n in range(30)]
            await asyncio.sleep(1)  # every writer now holds a connection, waiting for the lock
            async with asyncio.timeout(PATIENCE):
                read = await http.get("/api/people", params={"q": "Sekretariatet"})
            assert read.status_code == 200, read.text
            assert not any(writer.done() for writer in writers)
        # The lock is gone: every writer gets through.
        assert await asyncio.gather(*writers) == [201] * 30


async def test_a_second_engine_in_the_process_leaves_the_first_ones_locks_alone(sqlite_path):
    """Another engine on the same file (a test helper's, a job's) must not drop the locks the
    open connections hold: closing any descriptor of the file drops a process's POSIX locks,
    and another process then takes itself for the last one and removes the write-ahead log
    from under them (seen as stale reads and "database disk image is malformed")."""
    url = f"sqlite+aiosqlite:///{sqlite_path}"
    first = create_engine(url)
    try:
        async with first.connect() as held:
            await held.execute(select(Person.id).limit(1))
            await (create_engine(url)).dispose()
            leave = (
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                "c.execute('SELECT count(*) FROM person').fetchall(); c.close()"
            )
            command = [sys.executable, "-c", leave, sqlite_path]
            await asyncio.to_thread(subprocess.run, command, check=True, timeout=60)
            log = await asyncio.to_thread(Path(f"{sqlite_path}-wal").exists)
            assert log, "the write-ahead log went while a connection was open"
    finally:
        await first.dispose()
