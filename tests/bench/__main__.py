"""Benchmarks: `python -m tests.bench`. Each prints its figures as ratios against a baseline
measured in the same run, so a shared, noisy machine still gives comparable numbers."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec
from litestar.testing import AsyncTestClient
from sqlalchemy import insert, select

from medvirkning.app import create_app
from medvirkning.db import create_engine, create_sessionmaker
from medvirkning.migrate import upgrade
from medvirkning.people.importer import import_people
from medvirkning.people.models import Person
from medvirkning.people.schemas import PersonRead
from medvirkning.settings import load_settings
from tests.bench.invitations import bench_invitations

PEOPLE = 5_000


async def fresh_database(folder: Path, name: str) -> str:
    url = f"sqlite+aiosqlite:///{folder / name}.sqlite3"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


def hr_file(count: int) -> bytes:
    lines = ["Navn;E-post;Kommune;Stilling"]
    lines += [f"Ansatt {n};ansatt{n}@kommune.no;Kongsberg;Konsulent" for n in range(count)]
    return "\n".join(lines).encode()


async def timed(work: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


async def peak_memory(work: Callable[[], Awaitable[object]]) -> float:
    """Peak memory Python allocated during one run, in MiB (a run of its own: tracing is slow)."""
    tracemalloc.start()
    await work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


async def bench_import(folder: Path) -> None:
    """CSV import (decode, validate every line, look up links, insert) against a bare insert."""
    data = hr_file(PEOPLE)
    urls = [await fresh_database(folder, f"import{n}") for n in range(3)]

    async def ours(url: str) -> None:
        engine = create_engine(url)
        async with create_sessionmaker(engine)() as session, session.begin():
            await import_people(session, data)
        await engine.dispose()

    async def baseline() -> None:
        engine = create_engine(urls[0])
        rows = [
            {
                "name": f"Ansatt {n}",
                "email": f"ansatt{n}@kommune.no",
                "municipality_id": 1,
                "title": "Konsulent",
                "language_form": "bokmal",
                "active": True,
            }
            for n in range(PEOPLE)
        ]
        async with engine.begin() as connection:
            await connection.execute(insert(Person), rows)
        await engine.dispose()

    base = await timed(baseline)
    mine = await timed(lambda: ours(urls[1]))
    memory = await peak_memory(lambda: ours(urls[2]))
    print(
        f"import {PEOPLE} people from CSV: {mine:.2f} s, bare insert {base:.2f} s, "
        f"ratio {mine / base:.2f}; peak memory {memory:.1f} MiB"
    )


async def bench_list(folder: Path) -> None:
    """GET /api/people?limit=100 through the whole app against the same query encoded by hand."""
    url = await fresh_database(folder, "list")
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session, session.begin():
        await import_people(session, hr_file(1_000))
    sessions = create_sessionmaker(engine)
    rounds = 200

    async def baseline() -> None:
        for _ in range(rounds):
            async with sessions() as session:
                rows = (
                    await session.scalars(select(Person).order_by(Person.name).limit(100))
                ).all()
                msgspec.json.encode(
                    [msgspec.convert(r, PersonRead, from_attributes=True) for r in rows]
                )

    settings = load_settings(
        {
            "MEDVIRKNING_DATA_DIR": str(folder),
            "MEDVIRKNING_DATABASE_URL": url,
            "MEDVIRKNING_LOG_LEVEL": "warning",
        }
    )
    async with AsyncTestClient(app=create_app(settings)) as client:

        async def ours() -> None:
            for _ in range(rounds):
                response = await client.get("/api/people", params={"limit": 100})
                assert response.status_code == 200

        base = await timed(baseline)
        mine = await timed(ours)
    await engine.dispose()
    print(
        f"list 100 people x {rounds}: {mine / rounds * 1000:.1f} ms a request, "
        f"hand-written query {base / rounds * 1000:.1f} ms, ratio {mine / base:.2f}"
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        await bench_import(folder)
        await bench_list(folder)
        await bench_invitations(folder)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
