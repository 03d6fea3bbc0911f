"""The outbox worker: claims due messages, sends them through a backend, marks them.

Several workers may share one PostgreSQL database: a claim takes rows with
`FOR UPDATE SKIP LOCKED` and then sets them to `sending` only if they are still due, so
no two workers hold the same message. A claim is a lease: a worker that dies mid-batch
leaves its messages to be claimed again when the lease runs out.

Each message is recorded as sent in its own small transaction as soon as the server has
accepted it. Asked to stop, the worker finishes the message in hand, gives back the rest of
its claim at once, and is done within seconds.

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
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta

import aiosmtplib
from sqlalchemy import ColumnElement, and_, bindparam, case, null, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from medvirkning.db import utcnow
from medvirkning.mail.backends import Backend, Claimed, Connection, backend_for
from medvirkning.mail.models import OutboxMessage, OutboxStatus
from medvirkning.settings import Settings

log = logging.getLogger("medvirkning.outbox")

LEASE = timedelta(minutes=5)
# Once asked to stop, how long the message in hand may take: a container stop allows 10 s.
STOP_GRACE = 5.0


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.locked_until < now),
    )


async def claim(db: AsyncSession, limit: int) -> list[Claimed]:
    """Take up to `limit` due messages for this worker, in one short transaction."""
    now = utcnow()
    async with db.begin():
        candidates = (
            (
                await db.execute(
                    select(OutboxMessage.id)
                    .where(_due(now))
                    .order_by(OutboxMessage.id)
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
            await db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(candidates), _due(now))
                .values(
                    status=OutboxStatus.SENDING,
                    locked_until=now + LEASE,
                    attempts=OutboxMessage.attempts + 1,
                )
                .returning(
                    OutboxMessage.id,
                    OutboxMessage.message_id,
                    OutboxMessage.recipient,
                    OutboxMessage.mime,
                    OutboxMessage.attempts,
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


# One statement per message accepted, on a connection the batch holds: cheap enough to
# record each message the moment the server has it.
_SENT = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("sent_id"), OutboxMessage.status == OutboxStatus.SENDING)
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("sent_at"),
        locked_until=None,
        last_error="",
        # A sign-in link is a secret: once the server has it, we need not keep it.
        mime=case((OutboxMessage.purge_after_send.is_(True), null()), else_=OutboxMessage.mime),
    )
)


async def _mark_sent(connection: AsyncConnection, message_id: int) -> None:
    # The connection autocommits: the one UPDATE is its own transaction, with no BEGIN or
    # COMMIT round trips of its own.
    await connection.execute(_SENT, {"sent_id": message_id, "sent_at": utcnow()})


async def _envelope_recording(
    connection: Connection, message: Claimed, marks: AsyncConnection, accepted: Claimed | None
) -> None:
    """Send the message's envelope while the one before it is recorded as sent. Both end
    before the content goes, so at most one message is ever accepted and not recorded."""
    if accepted is None:
        await connection.envelope(message)
        return
    recording = asyncio.ensure_future(_mark_sent(marks, accepted.id))
    try:
        await connection.envelope(message)
    finally:
        await recording


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
    """Send one batch of due messages over a connection of its own; return how many were
    claimed."""
    claimed, connection = await _deliver(sessions, backend, settings, None)
    await _close(connection)
    return claimed


async def _close(connection: Connection | None) -> None:
    if connection is not None:
        with contextlib.suppress(OSError, aiosmtplib.SMTPException):
            await connection.close()


async def _deliver(
    sessions: async_sessionmaker[AsyncSession],
    backend: Backend,
    settings: Settings,
    connection: Connection | None,
    stop: asyncio.Event | None = None,
) -> tuple[int, Connection | None]:
    """Send one batch over the given connection (opened if None), recording each message as
    soon as the server has it; stop between messages when asked. Return how many were
    claimed and the connection, still open unless it broke."""
    async with sessions() as db:
        batch = await claim(db, settings.outbox_batch_size)
    if not batch:
        return 0, connection
    settled = 0  # how many of the batch are recorded as sent or failed
    try:
        async with sessions() as db, _autocommitting(_engine(db)) as marks:
            try:
                connection = connection or await backend.connect()
            except (OSError, aiosmtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
                await _mark_failed(db, settings, [(message, error) for message in batch])
                settled = len(batch)
                return len(batch), None
            accepted: Claimed | None = None  # accepted by the server, not yet recorded
            for index, message in enumerate(batch):
                if stop is not None and stop.is_set():
                    break
                try:
                    await _envelope_recording(connection, message, marks, accepted)
                    accepted, settled = None, index
                    await connection.content(message)
                except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as exc:
                    # The server refused this message; the connection still serves the next.
                    await _mark_failed(db, settings, [(message, f"refused: {exc}")])
                    accepted, settled = None, index + 1  # the one before was recorded already
                except (OSError, aiosmtplib.SMTPException) as exc:
                    # The connection is gone: this and the rest of the batch wait for a retry.
                    error = f"{type(exc).__name__}: {exc}"
                    await _mark_failed(db, settings, [(m, error) for m in batch[index:]])
                    settled = len(batch)
                    await _close(connection)
                    return len(batch), None
                else:
                    accepted = message
            if accepted is not None:
                await _mark_sent(marks, accepted.id)
                settled += 1
    except BaseException:
        if connection is not None:  # cancelled mid-send, or the database failed
            connection.abort()
        raise
    finally:
        if settled < len(batch):
            await _give_back(sessions, batch[settled:])
    return len(batch), connection


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
        # One connection serves batch after batch while there is mail, and closes when idle.
        connection: Connection | None = None
        try:
            while True:
                claimed, connection = await _deliver(sessions, backend, settings, connection, stop)
                if not claimed or stop.is_set():
                    break
        except (SQLAlchemyError, OSError) as exc:  # the database is away for a while: try later
            log.warning("outbox worker cannot reach the database: %s", exc)
        except Exception:  # a bug must not stop the mail for good
            log.exception("outbox worker failed; trying again after a pause")
        finally:
            await _close(connection)
        wake.clear()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
        await asyncio.wait(
            waiters, timeout=settings.outbox_poll_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        for waiter in waiters:
            waiter.cancel()
