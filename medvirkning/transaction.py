"""The one place that commits: a transaction for a request, a background job or a command.

`Database.transaction()` opens a session, names the audit actor, commits when the block
succeeds and rolls back when it fails, and wakes the outbox worker after a commit that
wrote mail. Services never commit; they flush at most.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from medvirkning.audit import SYSTEM, Actor, act_as
from medvirkning.db import create_engine, create_sessionmaker

_WAKE_OUTBOX = "wake_outbox"


def wake_outbox_after_commit(session: AsyncSession | Any) -> None:
    """Mail was written in this transaction: the worker need not wait for its next poll."""
    getattr(session, "sync_session", session).info[_WAKE_OUTBOX] = True


@dataclass
class Database:
    """The engine, its sessions, and the event that wakes this process's outbox worker."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox_wake: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def connect(cls, url: str) -> Database:
        engine = create_engine(url)
        return cls(engine, create_sessionmaker(engine))

    @asynccontextmanager
    async def transaction(self, actor: Actor = SYSTEM) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            act_as(session, actor)
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
            if session.sync_session.info.pop(_WAKE_OUTBOX, False):
                self.outbox_wake.set()

    async def close(self) -> None:
        await self.engine.dispose()


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[Database]:
    """A database for one command or script, closed afterwards."""
    database = Database.connect(url)
    try:
        yield database
    finally:
        await database.close()
