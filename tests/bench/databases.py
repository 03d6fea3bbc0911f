"""Migrated SQLite databases for the benchmarks: migrated once a process, then copied."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from medvirkning.db import create_engine
from medvirkning.migrate import upgrade

_template: list[Path] = []


async def _build_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="medvirkning-bench-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "template.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await engine.dispose()
    return path


async def fresh_database(folder: Path, name: str) -> str:
    """The URL of a migrated and seeded database of its own, `folder/name.sqlite3`."""
    if not _template or not _template[0].exists():
        _template[:] = [await _build_template()]
    path = folder / f"{name}.sqlite3"
    shutil.copyfile(_template[0], path)
    return f"sqlite+aiosqlite:///{path}"
