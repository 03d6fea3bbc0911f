"""SQLite's memory in a server process: bounded, however much its connections read."""

from __future__ import annotations

import _sqlite3
import asyncio
import ctypes
from pathlib import Path

from sqlalchemy import text

from medvirkning.db import SQLITE_HEAP_LIMIT, create_engine

# The library Python's sqlite3 uses, for its own count of what it holds.
SQLITE = ctypes.CDLL(_sqlite3.__file__)
SQLITE.sqlite3_memory_used.restype = ctypes.c_int64
SQLITE.sqlite3_memory_highwater.restype = ctypes.c_int64
SQLITE.sqlite3_memory_highwater.argtypes = [ctypes.c_int]

ROWS, ROW_BYTES = 4_000, 4_096  # 16 MiB: eight times what one connection's cache would keep


async def test_connections_that_read_much_keep_at_most_the_limit_between_them(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'large.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE letter (id INTEGER PRIMARY KEY, b BLOB)"))
            await connection.execute(
                text("INSERT INTO letter (b) VALUES (randomblob(:size))"),
                [{"size": ROW_BYTES}] * ROWS,
            )
        # From here on. Other engines of this test process hold memory too (the limit is the
        # process's): what these reads may add is measured from what is held now.
        held = SQLITE.sqlite3_memory_used()
        SQLITE.sqlite3_memory_highwater(1)

        async def read_all() -> int:
            async with engine.connect() as connection:
                total = await connection.execute(text("SELECT sum(length(b)) FROM letter"))
                return total.scalar_one()

        # Three at once, so the pool holds three connections, each of which read everything.
        assert await asyncio.gather(*[read_all() for _ in range(3)]) == [ROWS * ROW_BYTES] * 3
        # Without the limit each kept its 2 MiB of pages: 6 MiB and more.
        margin = 2**20  # the pages being read and the schemas, which the limit cannot take
        assert SQLITE.sqlite3_memory_highwater(0) - held <= SQLITE_HEAP_LIMIT + margin
        assert SQLITE.sqlite3_memory_used() - held <= SQLITE_HEAP_LIMIT + margin
    finally:
        await engine.dispose()
