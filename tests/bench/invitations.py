"""Benchmark: one meeting for 2,000 invitees, from the click to every message accepted by a
local SMTP server, against sending the same 2,000 messages with plain aiosmtplib.

Requirement: the click (POST /api/meetings through the real app, with the in-service outbox
worker delivering) takes at most 1.25 times as long as sending 2,000 ready-made messages with
plain aiosmtplib over one connection, measured in the same run, with a peak memory of at
most 100 MiB.

The service runs as it does in production, on uvicorn in a process of its own (the peak is
that process's, from start-up through the clicks), and is called over HTTP with an API token.

The SMTP server is aiosmtpd in a process of its own, so its work is not charged to ours. It
only counts: told to expect N messages, it answers `done N <time>` when it has accepted the
Nth, with the time of that acceptance from the system's monotonic clock (the same clock as
`time.monotonic()` here), so the end of each timing is the server's own moment.

Run alone: `python -m tests.bench.invitations` from the repository root.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import statistics
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from medvirkning.auth.models import Role, RoleGrant
from medvirkning.auth.services import create_api_token
from medvirkning.db import create_engine, create_sessionmaker
from medvirkning.formats import OSLO
from medvirkning.mail.models import OutboxMessage, OutboxStatus
from medvirkning.people.models import GroupKind
from medvirkning.settings import load_settings
from tests import scenario
from tests.bench.databases import fresh_database
from tests.bench.serving import server_process

INVITEES = 2_000
TARGET = 1.25
MEMORY_TARGET_MIB = 100
# A-B-B-A blocks for the ratio: four runs of each side.
ROUNDS = 2
WAIT = 300.0  # seconds: the longest any one wait may take before the benchmark gives up
ROOT = Path(__file__).resolve().parents[2]


# --- the SMTP server, in a process of its own ---------------------------------------------


class _Counter:
    """An aiosmtpd handler that accepts everything and reports when the Nth has arrived."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        if self.count == self.target:
            print(f"done {self.count} {time.monotonic()!r}", flush=True)
        return "250 OK"


async def _sink() -> None:
    """The server process: `expect N` on stdin arms the counter; EOF on stdin ends it."""
    from aiosmtpd.smtp import SMTP

    loop = asyncio.get_running_loop()
    counter = _Counter()
    # A hostname given, so aiosmtpd does not ask DNS for this machine's name.
    server = await loop.create_server(
        lambda: SMTP(counter, hostname="localhost", ident="bench-sink"), "127.0.0.1", 0
    )
    print(f"ready {server.sockets[0].getsockname()[1]}", flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        async with asyncio.timeout(3600):  # never outlive a forgotten benchmark by much
            while line := await reader.readline():
                words = line.split()
                if words[:1] == [b"expect"]:
                    counter.count, counter.target = 0, int(words[1])
                    print("armed", flush=True)
    finally:
        server.close()


class Sink:
    """The parent's handle on the server process."""

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.port = 0

    def _pipes(self) -> tuple[asyncio.StreamWriter, asyncio.StreamReader]:
        if self.process is None or self.process.stdin is None or self.process.stdout is None:
            raise RuntimeError("the SMTP sink is not running")
        return self.process.stdin, self.process.stdout

    async def _words(self) -> list[str]:
        line = await asyncio.wait_for(self._pipes()[1].readline(), WAIT)
        if not line:
            raise RuntimeError("the SMTP sink ended unexpectedly")
        return line.decode().split()

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bench.invitations",
            "sink",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        words = await self._words()
        if words[:1] != ["ready"]:
            raise RuntimeError(f"the SMTP sink said {words}")
        self.port = int(words[1])

    async def expect(self, count: int) -> None:
        """Reset the count; the next `accepted` returns when `count` more have arrived."""
        stdin = self._pipes()[0]
        stdin.write(f"expect {count}\n".encode())
        await stdin.drain()
        if await self._words() != ["armed"]:
            raise RuntimeError("the SMTP sink did not arm")

    async def accepted(self, count: int) -> float:
        """The monotonic time at which the server accepted the `count`th message."""
        words = await self._words()
        if words[:2] != ["done", str(count)]:
            raise RuntimeError(f"the SMTP sink said {words}")
        return float(words[2])

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        if self.process.stdin:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            self.process.kill()
            await asyncio.wait_for(self.process.wait(), 5)


@contextlib.asynccontextmanager
async def running_sink() -> AsyncIterator[Sink]:
    sink = Sink()
    try:
        await sink.start()
        yield sink
    finally:
        await sink.stop()


# --- peak memory: the server process's peak RSS -------------------------------------------


def _status_mib(pid: int, field: str) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else 0.0


@dataclass
class Peak:
    before: float = 0.0  # RSS when the block began, MiB
    peak: float = 0.0  # the highest RSS while it ran, MiB
    method: str = ""


@contextlib.contextmanager
def peak_rss(pid: int) -> Iterator[Peak]:
    """The peak resident memory of process `pid` while the block runs. Linux resets VmHWM to
    the current RSS on writing 5 to clear_refs; where it cannot, a thread samples."""
    result = Peak(before=_status_mib(pid, "VmRSS"))
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        result.method = "VmHWM reset before"
    except OSError:
        result.method = "VmRSS sampled every 5 ms"
    stop = threading.Event()
    samples = [result.before]

    def sample() -> None:
        while not stop.wait(0.005):
            samples.append(_status_mib(pid, "VmRSS"))

    sampler = None
    if result.method.startswith("VmRSS"):
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    try:
        yield result
    finally:
        stop.set()
        if sampler:
            sampler.join(timeout=5)
        result.peak = max(samples) if sampler else _status_mib(pid, "VmHWM")


# --- the database ------------------------------------------------------------------------


async def fill_database(folder: Path, invitees: int = INVITEES) -> tuple[str, int, str]:
    """A migrated SQLite file with `invitees` people, all members of one group since 2024
    (built in bulk by the tests' scenario builder), and a project leader's API token."""
    url = await fresh_database(folder, "invitations")
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            people = await scenario.add_people(
                db,
                invitees,
                1,
                prefix="invitert",
                # One in four reads nynorsk: both templates are used, as in the region.
                each=lambda n: {
                    "name": f"{'Øystein Ås' if n % 2 else 'Kari Nordmann'} {n}",
                    "title": "Konsulent",
                    "language_form": "nynorsk" if n % 4 == 0 else "bokmal",
                },
            )
            group_id = await scenario.add_group(
                db,
                "Alle ansatte i ERP-kommunene",
                people,
                kind=GroupKind.NETWORK,
                starts_on=date(2024, 1, 1),
            )
            [leader] = await scenario.add_people(db, 1, 1, prefix="prosjektleder")
            db.add(RoleGrant(person_id=leader, role=Role.ADMIN))
            _, token = await create_api_token(db, "Benchmark", Role.ADMIN, created_by=leader)
    finally:
        await engine.dispose()
    return url, group_id, token


async def _last_outbox_id(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.max(OutboxMessage.id))) or 0)


async def _settled(engine: AsyncEngine, after: int, invitees: int) -> None:
    """Wait until the worker has marked every message after `after` sent; fail on failures."""
    async with asyncio.timeout(WAIT):
        while True:
            async with engine.connect() as connection:
                rows = dict(
                    (
                        await connection.execute(
                            select(OutboxMessage.status, func.count())
                            .where(OutboxMessage.id > after)
                            .group_by(OutboxMessage.status)
                        )
                    ).all()
                )
            if rows.get(OutboxStatus.FAILED):
                raise RuntimeError(f"messages failed: {rows}")
            if not rows.get(OutboxStatus.PENDING) and not rows.get(OutboxStatus.SENDING):
                if rows.get(OutboxStatus.SENT) != invitees:
                    raise RuntimeError(f"expected {invitees} messages, the outbox has {rows}")
                return
            await asyncio.sleep(0.05)


# --- the two paths -------------------------------------------------------------------------


async def click(
    client: httpx.AsyncClient, engine: AsyncEngine, sink: Sink, group_id: int, invitees: int
) -> tuple[float, float, int]:
    """Our path: POST /api/meetings until the server has all 2,000. Returns the seconds until
    the POST returned, the seconds until the last acceptance, and the first outbox id."""
    after = await _last_outbox_id(engine)
    await sink.expect(invitees)
    starts = (datetime.now(OSLO) + timedelta(days=7)).replace(
        hour=13, minute=0, second=0, microsecond=0
    )
    body = {
        "title": "Informasjonsmøte om ny ERP-løsning",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "group_ids": [group_id],
        "place": "Kongsberg rådhus, bystyresalen",
        "agenda": "1. Status i prosjektet\n2. Opplæringsplan\n3. Spørsmål",
    }
    start = time.monotonic()
    response = await client.post("/api/meetings", json=body, timeout=WAIT)
    returned = time.monotonic()
    if response.status_code != 201:
        raise RuntimeError(f"POST /api/meetings: {response.status_code} {response.text[:500]}")
    if len(response.json()["invitations"]) != invitees:
        raise RuntimeError(f"the meeting does not have {invitees} invitations")
    accepted = await sink.accepted(invitees)
    await _settled(engine, after, invitees)  # outside the timing: the next run starts from quiet
    return returned - start, accepted - start, after


async def ready_made(engine: AsyncEngine, after: int, invitees: int) -> list[tuple[str, bytes]]:
    """The recipients and bytes of the messages our service sent after outbox id `after`."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(OutboxMessage.recipient, OutboxMessage.mime)
                .where(OutboxMessage.id > after)
                .order_by(OutboxMessage.id)
            )
        ).all()
    messages = [(r.recipient, r.mime) for r in rows if r.mime]
    if len(messages) != invitees:
        raise RuntimeError(f"found {len(messages)} stored messages, not {invitees}")
    return messages


async def plain_aiosmtplib(sink: Sink, sender: str, messages: list[tuple[str, bytes]]) -> float:
    """The baseline: the same messages over one aiosmtplib connection, from the first connect
    to the server's acceptance of the last."""
    await sink.expect(len(messages))
    start = time.monotonic()
    smtp = aiosmtplib.SMTP(
        hostname="127.0.0.1", port=sink.port, use_tls=False, start_tls=False, timeout=30
    )
    await smtp.connect()
    try:
        for recipient, mime in messages:
            await smtp.sendmail(sender, [recipient], mime)
        accepted = await sink.accepted(len(messages))
    finally:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await smtp.quit()
    return accepted - start


def service_env(folder: Path, url: str, port: int) -> dict[str, str]:
    return {
        "MEDVIRKNING_DATA_DIR": str(folder),
        "MEDVIRKNING_DATABASE_URL": url,
        "MEDVIRKNING_MAIL_BACKEND": "smtp",
        "MEDVIRKNING_SMTP_HOST": "127.0.0.1",
        "MEDVIRKNING_SMTP_PORT": str(port),
        "MEDVIRKNING_SMTP_SECURITY": "none",
        "MEDVIRKNING_LOG_LEVEL": "warning",
        # The worker stays on: delivering is part of the path being measured.
        "MEDVIRKNING_OUTBOX_POLL_SECONDS": "0.05",
    }


async def bench_invitations(folder: Path, invitees: int = INVITEES) -> dict[str, float]:
    """One meeting for 2,000 invitees: click to all accepted, against plain aiosmtplib."""
    url, group_id, token = await fill_database(folder, invitees)
    engine = create_engine(url)
    try:
        async with running_sink() as sink:
            env = service_env(folder, url, sink.port)
            sender = load_settings(env).mail_from
            with server_process("service", env) as (service, address):
                started = _status_mib(service.pid, "VmRSS")
                headers = {"Authorization": f"Bearer {token}"}
                async with httpx.AsyncClient(base_url=address, headers=headers) as client:
                    # A first click, left out of the timing, warms what a running service has
                    # warm (templates, statement caches) and gives the messages the baseline
                    # sends. Its memory counts: Python keeps what it once took.
                    with peak_rss(service.pid) as first:
                        _, cold, after = await click(client, engine, sink, group_id, invitees)
                    messages = await ready_made(engine, after, invitees)
                    # Then A-B-B-A (baseline, ours, ours, baseline), twice: neither gets the
                    # better place in the run, a machine that slows or speeds up evenly
                    # affects both alike, and the medians leave out a run a neighbour slowed.
                    plain: list[float] = []
                    ours: list[tuple[float, float, int]] = []
                    peaks = [first]
                    for _ in range(ROUNDS):
                        plain.append(await plain_aiosmtplib(sink, sender, messages))
                        for _ in range(2):
                            with peak_rss(service.pid) as peak:
                                ours.append(await click(client, engine, sink, group_id, invitees))
                            peaks.append(peak)
                        plain.append(await plain_aiosmtplib(sink, sender, messages))
    finally:
        await engine.dispose()

    mine = statistics.median(total for _, total, _ in ours)
    request = statistics.median(returned for returned, _, _ in ours)
    base = statistics.median(plain)
    size = sum(len(mime) for _, mime in messages) / len(messages) / 1024
    print(
        f"invitations to {invitees}: click-to-accepted {mine:.2f} s, plain aiosmtplib "
        f"{base:.2f} s (medians of {len(ours)} runs each), ratio {mine / base:.2f} "
        f"(target <= {TARGET}); "
        f"peak memory {max(p.peak for p in peaks):.1f} MiB (target <= {MEMORY_TARGET_MIB}; "
        f"peak RSS of the server process during the clicks, {first.method} each; it started "
        f"at {started:.0f} MiB, the first click took it to {first.peak:.0f} MiB)"
    )
    print(
        f"  of which: request {request:.2f} s (until the POST returned), then "
        f"{mine - request:.2f} s until all were accepted; runs: ours "
        f"{', '.join(f'{t:.2f}' for _, t, _ in ours)} s, plain "
        f"{', '.join(f'{t:.2f}' for t in plain)} s; first (cold) click {cold:.2f} s; "
        f"{size:.1f} KiB a message"
    )
    highest = max(p.peak for p in peaks)
    return {"ours_s": mine, "baseline_s": base, "ratio": mine / base, "peak_mib": highest}


def main() -> None:
    import tempfile

    from tests.bench.steady import steady_cpus

    with steady_cpus(), tempfile.TemporaryDirectory() as name:
        asyncio.run(bench_invitations(Path(name)))


if __name__ == "__main__":
    if sys.argv[1:] == ["sink"]:
        asyncio.run(_sink())
    else:
        main()
