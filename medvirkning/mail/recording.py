"""Recording sent messages: the "sent" mark, and the turns that keep at most one message
accepted by the server and not yet recorded, however many connections send."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from medvirkning.db import utcnow
from medvirkning.mail.backends import Claimed
from medvirkning.mail.models import OutboxMessage, OutboxStatus

# The "sent" mark, one statement a message accepted, is the worker's own hottest work, and
# the worker's CPU is what bounds a large fan-out: sent straight to the driver the mark
# costs a third of its way through the async engine (61 against 180 us of CPU here). In
# each driver's placeholders; the statuses and the time go in as parameters. A sign-in
# link is a secret: once the server has the message, its text (`mime`) goes.
_SENT_SQL = (
    "UPDATE outbox_message SET status = {0}, sent_at = {1}, locked_until = NULL, "
    "last_error = '', mime = CASE WHEN purge_after_send THEN NULL ELSE mime END "
    "WHERE id = {2} AND status = {3}"
)
_PLACEHOLDERS = {"sqlite": ("?", "?", "?", "?"), "postgresql": ("$1", "$2", "$3", "$4")}


class SentMarks:
    """Records messages as sent, each in a statement of its own, through the driver of an
    autocommitting connection: the one UPDATE is its own transaction."""

    def __init__(self, connection: AsyncConnection, driver: Any) -> None:
        dialect = connection.dialect
        self.sql = _SENT_SQL.format(*_PLACEHOLDERS[dialect.name])
        self.driver = driver
        self.sqlite = dialect.name == "sqlite"
        # The time as the column's type writes it on this database (text on SQLite).
        column_type = cast(Table, OutboxMessage.__table__).c.sent_at.type
        self.stamp = column_type.bind_processor(dialect) or (lambda value: value)

    @classmethod
    async def on(cls, connection: AsyncConnection) -> SentMarks:
        return cls(connection, (await connection.get_raw_connection()).driver_connection)

    async def mark(self, message_id: int) -> None:
        sent, sending = OutboxStatus.SENT.value, OutboxStatus.SENDING.value
        values = (sent, self.stamp(utcnow()), message_id, sending)
        try:
            if self.sqlite:
                await self.driver.execute_fetchall(self.sql, values)  # one trip to its thread
            else:
                await self.driver.execute(self.sql, *values)
        except Exception as exc:  # as the engine raises it, so the worker's handlers know it
            raise OperationalError(self.sql, values, exc) from exc


class Recorder:
    """Records each accepted message as sent, one statement each, on one autocommitting
    connection, and gives the connections their turns at sending content. A turn begins
    once the message accepted before it is recorded, so however many connections send, at
    most one message is ever accepted and not recorded."""

    def __init__(self, marks: SentMarks, settled: set[int]) -> None:
        self.marks = marks
        self.settled = settled  # the ids it has recorded go in here
        self.turns = asyncio.Lock()
        self.recording: asyncio.Future[None] | None = None

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self.turns:
            await self.finish()
            yield

    def accepted(self, message: Claimed) -> None:
        """Record it while the next envelope goes; the next turn waits for it."""
        self.recording = asyncio.ensure_future(self._record(message.id))

    async def _record(self, message_id: int) -> None:
        await self.marks.mark(message_id)
        self.settled.add(message_id)

    async def finish(self, quietly: bool = False) -> None:
        recording, self.recording = self.recording, None
        if recording is None:
            return
        if not quietly:
            await recording
            return
        with contextlib.suppress(Exception):  # the failure being handled is the one to report
            await asyncio.wait_for(recording, 1.0)
