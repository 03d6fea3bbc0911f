"""SQLite through aiosqlite in one trip to its thread a statement (medvirkning.sqlite_driver):
the same results, errors and transactions as SQLAlchemy's own adapter, in fewer trips."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from medvirkning.app import create_app
from medvirkning.auth.models import Role
from medvirkning.auth.principals import MEMORY
from medvirkning.db import create_engine
from medvirkning.settings import load_settings
from tests.test_request_path import api_token

metadata = MetaData()
note = Table(
    "note",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String, nullable=False, unique=True),
)


@contextmanager
def trips() -> Iterator[list[str]]:
    """The functions handed to aiosqlite's thread while in the block."""
    handed: list[str] = []
    plain = aiosqlite.Connection._execute

    async def counting(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        handed.append(getattr(fn, "__name__", repr(fn)))
        return await plain(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counting  # type: ignore[method-assign]
    try:
        yield handed
    finally:
        aiosqlite.Connection._execute = plain  # type: ignore[method-assign]


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def test_a_read_is_one_trip_and_gives_its_rows(engine):
    async with engine.begin() as connection:
        await connection.execute(insert(note), [{"text": "Mandat"}, {"text": "Referat"}])
    async with engine.connect() as connection:
        with trips() as handed:
            rows = (await connection.execute(select(note.c.text).order_by(note.c.id))).all()
    assert [row.text for row in rows] == ["Mandat", "Referat"]
    assert len(handed) == 1, handed


async def test_writes_report_their_row_count_new_id_and_returned_rows(engine):
    async with engine.begin() as connection:
        first = await connection.execute(insert(note).values(text="Saksliste"))
        assert first.inserted_primary_key == (1,)
        many = await connection.execute(
            insert(note).returning(note.c.id), [{"text": f"Punkt {n}"} for n in range(3)]
        )
        assert sorted(many.scalars()) == [2, 3, 4]
        changed = await connection.execute(
            update(note).where(note.c.id > 2).values(text=note.c.text + " (endret)")
        )
        assert changed.rowcount == 2
        plain_many = await connection.exec_driver_sql(
            "INSERT INTO note (text) VALUES (?)", [("Vedlegg A",), ("Vedlegg B",)]
        )
        assert plain_many.rowcount == 2
    async with engine.connect() as connection:
        assert (await connection.scalar(text("SELECT count(*) FROM note"))) == 6


async def test_a_refused_statement_raises_the_database_error_and_rolls_back_the_transaction(
    engine,
):
    async with engine.begin() as connection:
        await connection.execute(insert(note).values(text="Protokoll"))

    async def both() -> None:
        async with engine.begin() as connection:
            await connection.execute(insert(note).values(text="Drøfting"))
            await connection.execute(insert(note).values(text="Protokoll"))

    with pytest.raises(IntegrityError):
        await both()
    # Nothing of the failed transaction stayed, and the pool's connection still works.
    async with engine.connect() as connection:
        assert (await connection.execute(select(note.c.text))).scalars().all() == ["Protokoll"]


@pytest.fixture
async def sqlite_client(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[AsyncTestClient]:
    path = tmp_path / "medvirkning.sqlite3"
    shutil.copyfile(sqlite_template, path)
    settings = load_settings(
        {
            "MEDVIRKNING_DATA_DIR": str(tmp_path / "data"),
            "MEDVIRKNING_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
            "MEDVIRKNING_LOG_LEVEL": "warning",
            "MEDVIRKNING_OUTBOX_WORKER": "false",
        }
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def test_a_token_read_through_the_service_is_two_trips_to_the_database_thread(
    sqlite_client,
):
    bearer = {"Authorization": f"Bearer {await api_token(sqlite_client, Role.ADMIN)}"}
    assert (await sqlite_client.get("/api/municipalities", headers=bearer)).status_code == 200
    MEMORY.forget_all()  # the token looked up again, as in another process
    with trips() as handed:
        response = await sqlite_client.get("/api/municipalities", headers=bearer)
    assert response.status_code == 200
    assert len(response.json()["items"]) == 8
    # The token, then the municipalities: no trips to open or close cursors, or to commit
    # a transaction that only read.
    assert len(handed) == 2, handed
