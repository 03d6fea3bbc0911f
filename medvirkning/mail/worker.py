"""The outbox worker: claims due messages, sends them through a backend, marks them.

Several workers may share one PostgreSQL database: a claim takes rows with
`FOR UPDATE SKIP LOCKED` and then sets them to `sending` only if they are still due, so
no two workers hold the same message. A claim is a lease: a worker that dies mid-batch
leaves its messages to be claimed again when the lease runs out.

Each message is recorded as sent in its own small transaction as soon as the server has
accepted it. A worker sends over a few SMTP connections at once (`outbox_connections`),
each taking the next message when free: one message's envelope goes while another's
content does, and a content goes only once the message accepted before it is recorded.
Asked to stop, the worker finishes the message in hand, gives back the rest of its claim
at once, and is done within seconds.

The one window for a second delivery: the server has accepted a message and the worker
dies (or the database is unreachable) before it records that. That is one message per
worker killed; it is sent again when the lease runs out, byte for byte the same, with the
same Message-ID, so mail clients show it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import aiosmtplib
from sqlalchemy import ColumnElement, Table, and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from medvirkning.db import utcnow
from medvirkning.mail.backends import Backend, Claimed, Connection, backend_for
from medvirkning.mail.models import OutboxMessage, OutboxStatus
from medvirkning.mail.recording import Recorder, SentMarks
from medvirkning.settings import Settings

log = logging.getLogger("medvirkning.outbox")

LEASE = timedelta(minutes=5)
# Once asked to stop, how long the message in hand may take: a container stop allows 10 s.
STOP_GRACE = 5.0


# The claim works on the table, not the mapped class: the ORM's own bulk-update machinery
# was a quarter of a claim's CPU (7.0-8.6 against 8.9-10.8 ms for 100 messages here).
_OUTBOX = cast(Table, OutboxMessage.__table__)


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(_OUTBOX.c.status == OutboxStatus.PENDING, _OUTBOX.c.next_attempt_at <= now),
        and_(_OUTBOX.c.status == OutboxStatus.SENDING, _OUTBOX.c.locked_until < now),
    )


async def claim(db: AsyncSession, limit: int) -> list[Claimed]:
    """Take up to `limit` due messages for this worker, in one short transaction."""
    now = utcnow()
    async with db.begin():
        connection = await db.connection()
        candidates = (
            (
                await connection.execute(
                    select(_OUTBOX.c.id)
                    .where(_due(now))
                    .order_by(_OUTBOX.c.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        if not candidates:
            return []
        # Set to sending only what is still due: on SQLite, which has no row locks,
        # another worker may have taken a row between the select and here.
        taken = (
            await connection.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id.in_(candidates), _due(now))
                .values(
                    status=OutboxStatus.SENDING,
                    locked_until=now + LEASE,
                    attempts=_OUTBOX.c.attempts + 1,
                )
                .returning(
                    _OUTBOX.c.id,
                    _OUTBOX.c.message_id,
                    _OUTBOX.c.recipient,
                    _OUTBOX.c.mime,
                    _OUTBOX.c.attempts,
                )
            )
        ).all()
    return sorted(
        (Claimed(r.id, r.message_id, r.recipient, r.mime or b"", r.attempts) for r in taken),
        key=lambda c: c.id,
    )


def retry_delay(settings: Settings, attempts: int) -> timedelta:
    """Growing pauses: the base doubled for each try, with some jitter, at most six hours."""
    seconds = min(settings.outbox_retry_seconds * 2 ** (attempts - 1), 6 * 3600)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


@contextlib.asynccontextmanager
async def _autocommitting(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")


def _engine(db: AsyncSession) -> AsyncEngine:
    assert isinstance(db.bind, AsyncEngine)
    return db.bind


async def _give_back(
    sessions: async_sessionmaker[AsyncSession], messages: Sequence[Claimed]
) -> None:
    """End the claim on messages not sent, so any worker sends them at once, the try uncounted."""
    try:
        async with sessions() as db, db.begin():
            await db.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_([m.id for m in messages]),
                    OutboxMessage.status == OutboxStatus.SENDING,
                )
                .values(
                    status=OutboxStatus.PENDING,
                    locked_until=None,
                    attempts=OutboxMessage.attempts - 1,
                )
            )
    except (SQLAlchemyError, OSError) as exc:  # then they wait for the lease to run out
        log.warning("outbox worker could not give back %s messages: %s", len(messages), exc)


async def _mark_failed(
    db: AsyncSession, settings: Settings, failures: Sequence[tuple[Claimed, str]]
) -> None:
    if not failures:
        return
    async with db.begin():
        for message, error in failures:
            gave_up = message.attempts >= settings.outbox_max_attempts
            values = (
                {"status": OutboxStatus.FAILED, "locked_until": None}
                if gave_up
                else {
                    "status": OutboxStatus.PENDING,
                    "locked_until": None,
                    "next_attempt_at": utcnow() + retry_delay(settings, message.attempts),
                }
            )
            # Only while it is still ours: never undo another worker's "sent".
            await db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message.id, OutboxMessage.status == OutboxStatus.SENDING)
                .values(last_error=error[:2000], **values)
            )
            log.warning(
                "message %s to %s not sent (try %s): %s",
                message.message_id,
                message.recipient,
                message.attempts,
                error,
            )


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession], backend: Backend, settings: Settings
) -> int:
    """Send one batch of due messages over connections of its own; return how many were
    claimed."""
    claimed, connections = await _deliver(sessions, backend, settings, [])
    await _close(connections)
    return claimed


async def _close(connections: Sequence[Connection]) -> None:
    for connection in connections:
        with contextlib.suppress(OSError, aiosmtplib.SMTPException):
            await connection.close()


async def _connected(
    backend: Backend, connections: list[Connection], wanted: int
) -> tuple[list[Connection], str]:
    """The connections given and new ones, up to `wanted`; and why the last attempt failed,
    if it did. A server that refuses a further connection leaves the worker sending over
    those it has."""
    connections = list(connections)
    while len(connections) < wanted:
        try:
            connections.append(await backend.connect())
        except (OSError, aiosmtplib.SMTPException) as exc:
            return connections, f"{type(exc).__name__}: {exc}"
    return connections, ""


async def _send_over(
    connection: Connection,
    queue: Iterator[Claimed],
    recorder: Recorder,
    failed: Callable[[list[tuple[Claimed, str]]], Awaitable[None]],
    stop: asyncio.Event | None,
) -> bool:
    """Send messages from the shared queue over one connection until it is empty or a stop
    is asked; each envelope goes while another connection sends content or the message
    before is recorded. Return whether the connection still serves."""
    for message in queue:
        if stop is not None and stop.is_set():
            return True
        try:
            await connection.envelope(message)
            async with recorder.turn():
                await connection.content(message)
                recorder.accepted(message)
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as exc:
            # The server refused this message; the connection still serves the next.
            await failed([(message, f"refused: {exc}")])
        except (OSError, aiosmtplib.SMTPException) as exc:
            # The connection is gone: this message waits for a retry, the other
            # connections send the rest (if none is left, the rest is given back).
            await failed([(message, f"{type(exc).__name__}: {exc}")])
            connection.abort()
            return False
    return True


async def _together(sending: list[Coroutine[Any, Any, bool]]) -> list[bool]:
    """Run the connections' sending together; the first to fail stops the others, and its
    error is raised as itself (the callers' handlers know no exception groups)."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coroutine) for coroutine in sending]
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


async def _deliver(
    sessions: async_sessionmaker[AsyncSession],
    backend: Backend,
    settings: Settings,
    connections: list[Connection],
    stop: asyncio.Event | None = None,
) -> tuple[int, list[Connection]]:
    """Send one batch over the given connections and new ones, up to the setting, each
    taking the next message when it is free, recording each message as soon as the server
    has it; stop between messages when asked. Return how many were claimed and the
    connections still open."""
    async with sessions() as db:
        batch = await claim(db, settings.outbox_batch_size)
    if not batch:
        return 0, connections
    settled: set[int] = set()  # recorded as sent or as failed

    async def failed(failures: list[tuple[Claimed, str]]) -> None:
        async with sessions() as db:  # a session each: two connections may fail at once
            await _mark_failed(db, settings, failures)
        settled.update(message.id for message, _ in failures)

    try:
        connections, error = await _connected(backend, connections, settings.outbox_connections)
        if not connections:
            await failed([(message, error) for message in batch])
            return len(batch), []
        async with sessions() as db, _autocommitting(_engine(db)) as marks:
            recorder = Recorder(await SentMarks.on(marks), settled)
            queue = iter(batch)
            try:
                serving = await _together(
                    [_send_over(c, queue, recorder, failed, stop) for c in connections]
                )
            except BaseException:
                await recorder.finish(quietly=True)  # what was accepted is recorded if it can be
                raise
            await recorder.finish()
        connections = [c for c, serves in zip(connections, serving, strict=True) if serves]
    except BaseException:
        for connection in connections:  # cancelled mid-send, or the database failed
            connection.abort()
        raise
    finally:
        if len(settled) < len(batch):
            await _give_back(sessions, [m for m in batch if m.id not in settled])
    return len(batch), connections


async def run_worker(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    backend: Backend | None = None,
    grace: float = STOP_GRACE,
) -> None:
    """Deliver until stopped: at once when woken, otherwise every poll interval. Once
    stopped, the message in hand has `grace` seconds before it is abandoned and given back."""
    work = asyncio.create_task(
        _work(sessions, settings, stop, wake or asyncio.Event(), backend or backend_for(settings))
    )
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([work, stopped], return_when=asyncio.FIRST_COMPLETED)
        await asyncio.wait([work], timeout=grace)
    finally:
        stopped.cancel()
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work


async def _work(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
    wake: asyncio.Event,
    backend: Backend,
) -> None:
    while not stop.is_set():
        # The connections serve batch after batch while there is mail, and close when idle.
        connections: list[Connection] = []
        try:
            while True:
                claimed, connections = await _deliver(
                    sessions, backend, settings, connections, stop
                )
                if not claimed or stop.is_set():
                    break
        except (SQLAlchemyError, OSError) as exc:  # the database is away for a while: try later
            log.warning("outbox worker cannot reach the database: %s", exc)
        except Exception:  # a bug must not stop the mail for good
            log.exception("outbox worker failed; trying again after a pause")
        finally:
            await _close(connections)
        wake.clear()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
        await asyncio.wait(
            waiters, timeout=settings.outbox_poll_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        for waiter in waiters:
            waiter.cancel()
