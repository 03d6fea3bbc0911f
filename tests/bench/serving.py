"""Benchmark: requests through the running service, under a concurrent load client, against
the combined limit of the framework and the driver measured in the same run.

a: a trivial Litestar endpoint on uvicorn with uvloop and httptools, in a process of its own;
r: raw single-row reads through the same driver (aiosqlite, asyncpg) without the framework,
in a loop on one connection. A request that reads one row could at best reach
1/(1/a + 1/r); each figure is our requests/s divided by that. The load client is `wrk`
(`apt-get install wrk`; installed when missing and we run as root), or else a small
asyncio/httpx client, which is slower than the servers it measures: the bench says which.

Beside the figures, each database's floor (`floor_app`): one row through a session begun in
a Litestar dependency, nothing else. Not a target, it says how much of a figure's distance
from 1 is the stack's, and how much our own.

Servers run in their own processes on loopback (access log off, outbox worker off), one
at a time; every load run is bounded in time. The SQL statements a request makes are
counted in-process (a `before_cursor_execute` listener), after a warm-up request.

Run alone: `python -m tests.bench.serving` from the repository root.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar, get
from litestar.di import Provide
from litestar.testing import AsyncTestClient
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.app import create_app
from medvirkning.auth.middleware import SESSION_COOKIE
from medvirkning.auth.models import Role, RoleGrant
from medvirkning.auth.services import create_api_token, start_session
from medvirkning.db import create_engine, create_sessionmaker
from medvirkning.migrate import upgrade
from medvirkning.people.models import Person
from medvirkning.region.models import Municipality
from medvirkning.settings import load_settings
from tests.__main__ import apt_install, free_port
from tests.bench.databases import fresh_database

ROOT = Path(__file__).resolve().parents[2]
CONNECTIONS = 16
ONE_ROW_TARGET = 0.5
PAGE_TARGET = 0.3


@get("/ping", sync_to_thread=False)
def ping() -> dict[str, str]:
    return {"status": "ok"}


# The framework's ceiling: one route, no middleware, no database. No logging set up: made at
# import, Litestar's default would send every importer's INFO records (the SMTP sink's, one a
# command) to stderr through a thread of its own.
trivial_app = Litestar([ping], logging_config=None)


def floor_app(url: str) -> Litestar:
    """The stack's floor for a one-row read, not a target: our engine, a session begun in a
    Litestar dependency and committed after the handler, one row read, nothing else (no
    middleware, no authentication). What a request of ours costs beyond it is our own."""
    sessions = create_sessionmaker(create_engine(url))
    one_row = select(Municipality.id, Municipality.name).where(Municipality.id == 1)

    async def provide_db() -> AsyncGenerator[AsyncSession]:
        async with sessions() as session, session.begin():
            yield session

    @get("/one-row")
    async def read(db: AsyncSession) -> dict[str, Any]:
        row = (await db.execute(one_row)).one()
        return {"id": row.id, "name": row.name}

    return Litestar([read], dependencies={"db": Provide(provide_db)})


# --- the load client -----------------------------------------------------------------------


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    client: str


def load_client() -> str:
    if not shutil.which("wrk"):
        apt_install("wrk")
    return "wrk" if shutil.which("wrk") else "httpx"


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not found:
        raise RuntimeError(f"wrk gave the latency {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def _wrk(url: str, headers: dict[str, str], seconds: float) -> Load:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failed requests to {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)  # type: ignore[union-attr]
    return Load(rps, _ms(p50), _ms(p99), "wrk -t1 -c16")


async def _httpx(url: str, headers: dict[str, str], seconds: float) -> Load:
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.perf_counter() < end:
                start = time.perf_counter()
                response = await client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {url}: {response.status_code}")
                latencies.append(time.perf_counter() - start)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return Load(
        len(latencies) / elapsed,
        latencies[len(latencies) // 2] * 1000,
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "httpx, 16 tasks",
    )


async def load(url: str, headers: dict[str, str], seconds: float, client: str) -> Load:
    if client == "wrk":
        return await asyncio.to_thread(_wrk, url, headers, seconds)
    return await _httpx(url, headers, seconds)


# --- the servers, each in a process of its own ---------------------------------------------


@contextlib.contextmanager
def server(kind: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`kind`: trivial or app, on uvicorn (uvloop, httptools) or granian, or the service as
    `medvirkning run` starts it; its base URL."""
    with server_process(kind, env) as (_, base):
        yield base


_READY = {"trivial": "/ping", "floor": "/one-row"}  # what answers once a server is up


@contextlib.contextmanager
def server_process(
    kind: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The server's process (to read its memory) and its base URL."""
    port = free_port()
    target = "tests.bench.serving:trivial_app" if kind.startswith("trivial") else None
    if kind.endswith("granian"):
        app = target or "medvirkning.app:create_app"
        command = [str(Path(sys.executable).parent / "granian"), "--interface", "asgi"]
        command += ["--loop", "uvloop", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--log-level", "warning"]  # granian logs no access by default
        command += [*(["--factory"] if target is None else []), app]
    elif kind == "service":  # as in production: `medvirkning run`, nothing of the tests
        command = [sys.executable, "-m", "medvirkning", "run", "--no-migrate"]
        env = (env or {}) | {"MEDVIRKNING_HOST": "127.0.0.1", "MEDVIRKNING_PORT": str(port)}
    else:
        command = [sys.executable, "-m", "tests.bench.serving", "serve", kind, str(port)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=os.environ | (env or {}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the {kind} server ended: {process.stderr.read()[-2000:]}")  # type: ignore[union-attr]
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(base + _READY.get(kind[:7], "/health")).is_success:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {kind} server did not start")
            time.sleep(0.1)
        yield process, base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def serve(kind: str, port: int) -> None:
    import uvicorn

    if kind == "floor":
        app: Any = floor_app(os.environ["MEDVIRKNING_DATABASE_URL"])
    else:
        app = trivial_app if kind == "trivial" else create_app()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


# --- the database and its baselines --------------------------------------------------------


@dataclass
class Service:
    url: str
    token: str
    cookie: str


async def fill(url: str, people: int) -> Service:
    """People to list, an admin with a session, and an admin's API token."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            rows = [
                {"name": f"Ansatt {n}", "email": f"ansatt{n}@kommune.no", "municipality_id": 1}
                for n in range(people)
            ]
            await db.execute(insert(Person), rows)
            admin = Person(
                name="Prosjektleder", email="prosjektleder@kongsbergregionen.no", municipality_id=1
            )
            db.add(admin)
            await db.flush()
            db.add(RoleGrant(person_id=admin.id, role=Role.ADMIN))
            cookie = await start_session(db, admin)
            _, token = await create_api_token(db, "Benchmark", Role.ADMIN, created_by=admin.id)
    finally:
        await engine.dispose()
    return Service(url, token, cookie)


async def postgres_database(server_url: str, name: str) -> str:
    import asyncpg

    dsn = server_url.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = server_url.rsplit("/", 1)[0] + "/" + name
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return url


async def raw_reads(url: str, seconds: float) -> float:
    """Single-row reads a second through the driver alone, in a loop on one connection."""
    count, end = 0, time.perf_counter() + seconds
    if url.startswith("sqlite"):
        import aiosqlite

        async with aiosqlite.connect(url.split(":///", 1)[1]) as connection:
            start = time.perf_counter()
            while time.perf_counter() < end:
                async with connection.execute(
                    "SELECT id, name FROM municipality WHERE id = ?", (1,)
                ) as cursor:
                    await cursor.fetchone()
                count += 1
            return count / (time.perf_counter() - start)
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        start = time.perf_counter()
        while time.perf_counter() < end:
            await connection.fetchrow("SELECT id, name FROM municipality WHERE id = $1", 1)
            count += 1
        return count / (time.perf_counter() - start)
    finally:
        await connection.close()


def service_env(folder: Path, url: str) -> dict[str, str]:
    return {
        "MEDVIRKNING_DATA_DIR": str(folder),
        "MEDVIRKNING_DATABASE_URL": url,
        "MEDVIRKNING_LOG_LEVEL": "warning",
        "MEDVIRKNING_OUTBOX_WORKER": "false",
    }


async def statements_per_request(env: dict[str, str], path: str, headers: dict[str, str]) -> int:
    """The SQL statements one request sends, counted in-process after a warm-up request."""
    async with AsyncTestClient(app=create_app(load_settings(env))) as client:
        if (await client.get(path, headers=headers)).status_code != 200:
            raise RuntimeError(f"GET {path} is not 200")
        engine = client.app.state.database.engine.sync_engine
        seen: list[str] = []

        def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            seen.append(sql)

        event.listen(engine, "before_cursor_execute", count)
        try:
            await client.get(path, headers=headers)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return len(seen)


# --- the benchmark -------------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    load: Load
    statements: int | None = None
    target: float | None = None


async def trivial(seconds: float, client: str, servers: tuple[str, ...]) -> dict[str, Load]:
    """The framework's ceiling on each server; `a` is the fastest uvicorn figure."""
    found = {}
    for kind in servers:
        with server(kind) as base:
            if seconds >= 2:
                await load(f"{base}/ping", {}, 1, client)  # warm-up
            found[kind] = await load(f"{base}/ping", {}, seconds, client)
    return found


ENDPOINTS = [
    ("GET /api/municipalities, API token", "/api/municipalities", "token", ONE_ROW_TARGET),
    ("GET /api/people?limit=100, session", "/api/people?limit=100", "cookie", None),
    ("GET /admin/municipalities, session", "/admin/municipalities", "cookie", PAGE_TARGET),
]


async def bench_serving(
    folder: Path,
    url: str,
    a: float,
    seconds: float = 5.0,
    people: int = 1_000,
    client: str = "",
    granian: bool = False,
) -> dict[str, float]:
    """Each endpoint on one database under load, as a ratio of the combined limit."""
    client = client or load_client()
    service = await fill(url, people)
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    r = await raw_reads(url, seconds)
    limit = 1 / (1 / a + 1 / r)
    env = service_env(folder, url)
    auth = {
        "token": {"Authorization": f"Bearer {service.token}"},
        "cookie": {"Cookie": f"{SESSION_COOKIE}={service.cookie}"},
    }
    figures: list[Figure] = []
    servers = ["app", "app-granian"] if granian else ["app"]
    for server_kind in servers:
        with server(server_kind, env) as base:
            for name, path, who, target in ENDPOINTS:
                if server_kind != "app" and who != "token":
                    continue
                if seconds >= 2:  # warm-up: statement caches, templates, the session's write
                    await load(base + path, auth[who], 1, client)
                measured = await load(base + path, auth[who], seconds, client)
                statements = await statements_per_request(env, path, auth[who])
                label = name if server_kind == "app" else f"{name} (granian)"
                figures.append(Figure(label, measured, statements, target))
    with server("floor", env) as base:
        if seconds >= 2:
            await load(f"{base}/one-row", {}, 1, client)
        floor = await load(f"{base}/one-row", {}, seconds, client)
    print(
        f"{kind}: raw one-row reads r {r:,.0f}/s, trivial endpoint a {a:,.0f}/s, combined "
        f"limit {limit:,.0f}/s; load by {figures[0].load.client}, {seconds:g} s a figure"
    )
    print(
        f"  the stack's floor, one row through a session in a Litestar dependency and nothing "
        f"else: {floor.rps:,.0f}/s, ratio {floor.rps / limit:.2f} (not a target: the best a "
        f"request on this stack reaches; p50 {floor.p50_ms:.1f} ms, p99 {floor.p99_ms:.1f} ms)"
    )
    result = {"raw_reads_per_s": r, "limit_per_s": limit, "floor": floor.rps / limit}
    for figure in figures:
        ratio = figure.load.rps / limit
        aim = f" (target >= {figure.target})" if figure.target else ""
        print(
            f"  {figure.name}: {figure.load.rps:,.0f}/s, ratio {ratio:.2f}{aim}; "
            f"p50 {figure.load.p50_ms:.1f} ms, p99 {figure.load.p99_ms:.1f} ms; "
            f"{figure.statements} SQL statements a request"
        )
        result[figure.name] = ratio
    result["ratio"] = statistics.fmean(v for k, v in result.items() if k.startswith("GET"))
    return result


async def bench_all(
    folder: Path, postgres_url: str | None, seconds: float = 5.0, granian: bool = False
) -> dict[str, dict[str, float]]:
    client = load_client()
    servers = ("trivial", "trivial-granian") if granian else ("trivial",)
    ceilings = await trivial(seconds, client, servers)
    names = {"trivial": "uvicorn (uvloop, httptools)", "trivial-granian": "granian (uvloop)"}
    for kind, figure in ceilings.items():
        print(
            f"trivial Litestar endpoint on {names[kind]}: {figure.rps:,.0f}/s, "
            f"p50 {figure.p50_ms:.1f} ms, p99 {figure.p99_ms:.1f} ms"
        )
    a = ceilings["trivial"].rps
    urls = {"sqlite": await fresh_database(folder, "serving")}
    if postgres_url:
        urls["postgresql"] = await postgres_database(postgres_url, "bench_serving")
    return {
        kind: await bench_serving(folder, url, a, seconds, client=client, granian=granian)
        for kind, url in urls.items()
    }


def main() -> None:
    import tempfile

    from tests.__main__ import throwaway_postgres
    from tests.bench.steady import steady_cpus

    with (
        steady_cpus(),
        tempfile.TemporaryDirectory() as name,
        throwaway_postgres(required=False) as pg,
    ):
        asyncio.run(bench_all(Path(name), pg, granian="--granian" in sys.argv))


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        main()
