"""The outbox worker: claims due messages, sends them through a backend, marks them.

Several workers may share one PostgreSQL database: a claim takes rows with
`FOR UPDATE SKIP LOCKED` and then sets them to `sending` only if they are still due, so
no two workers hold the same message. A claim is a lease: a worker that dies mid-batch
leaves its messages to be claimed again when the lease runs out.

The one window for a second delivery: the server has accepted a message and the worker
dies (or the database is unreachable) before it records that. The message is then sent
again when the lease runs out, byte for byte the same, with the same Message-ID, so mail
clients show it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import aiosmtplib
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from medvirkning.db import utcnow
from medvirkning.mail.models import OutboxMessage, OutboxStatus
from medvirkning.settings import Settings

log = logging.getLogger("medvirkning.outbox")

LEASE = timedelta(minutes=5)
SMTP_TIMEOUT = 30


@dataclass(frozen=True)
class Claimed:
    id: int
    message_id: str
    recipient: str
    mime: bytes
    attempts: int


class Connection(Protocol):
    async def send(self, message: Claimed) -> None: ...

    async def close(self) -> None: ...


class Backend(Protocol):
    async def connect(self) -> Connection: ...


class FolderBackend:
    """Writes each message as an .eml file a person can open; the name is its Message-ID."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def connect(self) -> FolderBackend:
        await asyncio.to_thread(self.folder.mkdir, mode=0o700, parents=True, exist_ok=True)
        return self

    async def send(self, message: Claimed) -> None:
        name = message.message_id.strip("<>").replace("/", "_") + ".eml"
        await asyncio.to_thread(_write_once, self.folder / name, message.mime)

    async def close(self) -> None:
        return None


def _write_once(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(".tmp")
    # Sign-in e-mails hold working links: only the service's user may read them.
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
        file.write(data)
    os.replace(temporary, path)


class SmtpBackend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def connect(self) -> SmtpConnection:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            timeout=SMTP_TIMEOUT,
        )
        await client.connect()
        if s.smtp_username:
            await client.login(s.smtp_username, s.smtp_password)
        return SmtpConnection(client, s.mail_from)


class SmtpConnection:
    def __init__(self, client: aiosmtplib.SMTP, sender: str) -> None:
        self.client = client
        self.sender = sender

    async def send(self, message: Claimed) -> None:
        await self.client.sendmail(self.sender, [message.recipient], message.mime)

    async def close(self) -> None:
        try:
            await self.client.quit()
        except aiosmtplib.SMTPException:
            self.client.close()


def backend_for(settings: Settings) -> Backend:
    if settings.mail_backend == "smtp":
        return SmtpBackend(settings)
    assert settings.mail_folder is not None
    return FolderBackend(settings.mail_folder)


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


async def _mark_sent(db: AsyncSession, ids: Sequence[int]) -> None:
    if not ids:
        return
    async with db.begin():
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.SENDING)
            .values(status=OutboxStatus.SENT, sent_at=utcnow(), locked_until=None, last_error="")
        )
        # A sign-in link is a secret: once the server has it, we need not keep it.
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.purge_after_send.is_(True))
            .values(mime=None)
        )


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
) -> tuple[int, Connection | None]:
    """Send one batch over the given connection (opened if None); return how many were
    claimed and the connection, still open unless it broke."""
    async with sessions() as db:
        batch = await claim(db, settings.outbox_batch_size)
    if not batch:
        return 0, connection
    sent: list[int] = []
    failures: list[tuple[Claimed, str]] = []
    try:
        connection = connection or await backend.connect()
    except (OSError, aiosmtplib.SMTPException) as exc:
        failures = [(message, f"{type(exc).__name__}: {exc}") for message in batch]
    else:
        for index, message in enumerate(batch):
            try:
                await connection.send(message)
                sent.append(message.id)
            except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as exc:
                # The server refused this message; the connection still serves the next.
                failures.append((message, f"refused: {exc}"))
            except (OSError, aiosmtplib.SMTPException) as exc:
                # The connection is gone: this and the rest of the batch wait for a retry.
                failures += [(m, f"{type(exc).__name__}: {exc}") for m in batch[index:]]
                await _close(connection)
                connection = None
                break
    async with sessions() as db:
        await _mark_sent(db, sent)
        await _mark_failed(db, settings, failures)
    return len(batch), connection


async def run_worker(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    backend: Backend | None = None,
) -> None:
    """Deliver until stopped: at once when woken, otherwise every poll interval."""
    backend = backend or backend_for(settings)
    wake = wake or asyncio.Event()
    while not stop.is_set():
        # One connection serves batch after batch while there is mail, and closes when idle.
        connection: Connection | None = None
        try:
            while True:
                claimed, connection = await _deliver(sessions, backend, settings, connection)
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
