"""The outbox worker stopped and killed in the middle of its work: every message arrives,
none twice after a normal stop, at most one twice for each worker killed, and a stop takes
less than the 10 seconds a container stop allows."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import msgspec
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from medvirkning.app import create_app
from medvirkning.db import create_engine, create_sessionmaker, utcnow
from medvirkning.mail.models import OutboxMessage, OutboxStatus
from medvirkning.mail.worker import run_worker
from medvirkning.settings import Settings
from tests.conftest import free_port
from tests.test_outbox import offline_settings, queue, statuses

FAN_OUT = 500


def serve(handler: Any, port: int) -> Any:
    """A real SMTP server (aiosmtpd, in a thread of its own) with this handler."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


class SlowRelay:
    """An SMTP server's handler that keeps each message, noting its Message-ID, and then
    takes 50 ms to answer, as a busy relay does: a worker killed meanwhile never hears that
    the message went."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self._lock:
            self.message_ids.append(str(headers["Message-ID"]))
        await asyncio.sleep(0.05)
        return "250 OK"

    def count(self) -> int:
        with self._lock:
            return len(self.message_ids)

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(120):
            # The server's thread fills the list; polling is the simple bridge.
            while self.count() < count:  # noqa: ASYNC110
                await asyncio.sleep(0.02)


async def start_worker(settings: Settings, port: int, log: Path) -> asyncio.subprocess.Process:
    """`medvirkning worker` in a process of its own, sending through the test's server."""
    env = os.environ | {
        "MEDVIRKNING_DATABASE_URL": settings.database_url,
        "MEDVIRKNING_DATA_DIR": str(settings.data_dir),
        "MEDVIRKNING_LOG_LEVEL": "warning",
        "MEDVIRKNING_MAIL_BACKEND": "smtp",
        "MEDVIRKNING_SMTP_HOST": "127.0.0.1",
        "MEDVIRKNING_SMTP_PORT": str(port),
        "MEDVIRKNING_SMTP_SECURITY": "none",
        "MEDVIRKNING_OUTBOX_POLL_SECONDS": "0.2",
    }
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "medvirkning", "worker", env=env, stdout=out, stderr=out
        )


async def stop_worker(process: asyncio.subprocess.Process, log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(10):  # a container runtime kills after 10 s
            await process.wait()
    except TimeoutError:
        process.kill()
        raise AssertionError("the worker did not stop within 10 s of SIGTERM") from None
    assert process.returncode == 0, output(log)


def output(log: Path) -> str:
    return log.read_text()


async def expire_leases(settings: Settings) -> None:
    """Stands in for the five minutes after which a dead worker's claims may be taken."""
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            await db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.SENDING)
                .values(locked_until=utcnow())
            )
    finally:
        await engine.dispose()


async def wait_until_all_sent(settings: Settings, count: int) -> None:
    async with asyncio.timeout(120):
        # Other processes change the database; polling is the simple bridge.
        while await statuses(settings) != {"sent": count}:  # noqa: ASYNC110
            await asyncio.sleep(0.2)


async def test_a_fan_out_survives_sigterm_and_sigkill_with_at_most_one_double_per_kill(
    settings, tmp_path
):
    relay = SlowRelay()
    port = free_port()
    controller = serve(relay, port)
    log = tmp_path / "worker.log"
    try:
        sent_ids = await queue(settings, FAN_OUT)

        # A normal stop partway: the worker finishes the message in hand and stops.
        worker = await start_worker(settings, port, log)
        await relay.wait_for(150)
        before = relay.count()
        await stop_worker(worker, log)
        after_term = relay.count()
        # The message in flight, and one more the count may have missed as the signal went.
        assert after_term - before <= 2
        assert max(Counter(relay.message_ids).values()) == 1
        # What it claimed but did not send is given back, not held for the lease.
        left = await statuses(settings)
        assert "sending" not in left
        assert left == {"sent": after_term, "pending": FAN_OUT - after_term}

        # Started again, it goes on at once; then it is killed partway.
        worker = await start_worker(settings, port, log)
        await relay.wait_for(350)
        worker.kill()
        await worker.wait()

        await expire_leases(settings)
        worker = await start_worker(settings, port, log)
        await wait_until_all_sent(settings, FAN_OUT)
        await stop_worker(worker, log)
    finally:
        controller.stop()

    counts = Counter(relay.message_ids)
    assert set(counts) == set(sent_ids)  # every invitee got the invitation
    doubles = sum(n - 1 for n in counts.values())
    assert doubles <= 1, f"{doubles} messages sent twice after one kill"


class SilentRelay:
    """An SMTP server that takes a message's data and never answers."""

    def __init__(self) -> None:
        self.receiving = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.receiving.set()
        await asyncio.sleep(60)
        return "250 OK"


async def attempts(settings: Settings) -> list[int]:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as db:
            return list(await db.scalars(select(OutboxMessage.attempts)))
    finally:
        await engine.dispose()


async def test_a_worker_asked_to_stop_sends_the_message_in_hand_and_gives_back_the_rest(
    settings,
):
    relay = SlowRelay()
    port = free_port()
    controller = serve(relay, port)
    settings = offline_settings(settings, port)
    try:
        await queue(settings, 40)
        stop = asyncio.Event()
        engine = create_engine(settings.database_url)
        worker = asyncio.create_task(run_worker(create_sessionmaker(engine), settings, stop))
        await relay.wait_for(3)
        before = relay.count()
        stop.set()
        async with asyncio.timeout(10):
            await worker
        await engine.dispose()
    finally:
        controller.stop()
    sent = relay.count()
    assert sent - before <= 1  # only the message that was in flight
    # The rest is due again at once, for this worker's successor or another, not counted
    # as a failed try.
    assert await statuses(settings) == {"sent": sent, "pending": 40 - sent}
    assert sorted(await attempts(settings)) == [0] * (40 - sent) + [1] * sent


async def test_the_service_stops_within_10_seconds_though_the_smtp_server_hangs(settings):
    relay = SilentRelay()
    port = free_port()
    controller = serve(relay, port)
    settings = msgspec.structs.replace(
        offline_settings(settings, port), outbox_worker=True, outbox_poll_seconds=0.1
    )
    try:
        await queue(settings, 3)
        async with AsyncTestClient(app=create_app(settings)) as client:
            assert (await client.get("/health")).status_code == 200
            async with asyncio.timeout(10):
                while not relay.receiving.is_set():  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            stopping = asyncio.get_running_loop().time()
        stopped = asyncio.get_running_loop().time()
    finally:
        controller.stop()
    assert stopped - stopping < 10, "a container stop would have killed the service"
    # The message in hand and the two after it wait for the next worker, now.
    assert await statuses(settings) == {"pending": 3}
