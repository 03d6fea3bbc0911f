"""Writes a read leaves behind ("last used at"): done after the read, only if the database
is free at once, so a read never waits for them or fails because of them."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Executable
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)
# How long the bookkeeping waits for a lock another transaction holds.
WAIT_MS = 100


async def write_best_effort(engine: AsyncEngine, statements: list[Executable]) -> None:
    """Run the statements in one short transaction; skip them if the database is busy."""
    if not statements:
        return
    sqlite = engine.dialect.name == "sqlite"
    wait = f"PRAGMA busy_timeout={WAIT_MS}" if sqlite else f"SET LOCAL lock_timeout = {WAIT_MS}"
    try:
        async with asyncio.timeout(1), engine.connect() as connection:
            try:
                await connection.exec_driver_sql(wait)
                for statement in statements:
                    await connection.execute(statement)
                await connection.commit()
            finally:
                await connection.rollback()
                if sqlite:  # the pooled connection goes back with the usual patience
                    await connection.exec_driver_sql("PRAGMA busy_timeout=30000")
                    await connection.commit()
    except (DBAPIError, TimeoutError) as exc:
        logger.info("bookkeeping skipped, the database is busy: %s", type(exc).__name__)
