"""Where a request's time goes: a loop of requests through the app in-process (no server,
no load client), its milliseconds a request, SQL statements, and a profile.

On a shared machine this is steadier than a load client: it measures one process's work.
Run: `python -m tests.bench.profile [PATH] [--token] [--postgres] [--profile]`;
`--survey-submit` instead measures survey answers submitted through personal links
(`POST /undersokelse/{token}`, each link once): one at a time, and 16 at once.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from litestar import Litestar
from sqlalchemy import event

from medvirkning.app import create_app
from medvirkning.auth.middleware import SESSION_COOKIE
from medvirkning.settings import load_settings
from tests.bench.databases import fresh_database
from tests.bench.serving import fill, postgres_database, service_env


async def call(
    app: Litestar,
    path: str,
    headers: dict[str, str],
    body: bytes = b"",
    cookies: dict[str, str] | None = None,
) -> int:
    """One GET (a POST when given a body) straight through the ASGI app: no HTTP client's
    work in the figure. Cookies the response sets go into `cookies` when given."""
    raw_path, _, query = path.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST" if body else "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = [0]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]
            for name, value in message.get("headers", ()):
                if cookies is not None and name.lower() == b"set-cookie":
                    key, _, rest = value.decode().partition("=")
                    cookies[key] = rest.split(";", 1)[0]

    await app(scope, receive, send)  # type: ignore[arg-type]
    return status[0]


async def python_calls(app: Litestar, path: str, headers: dict[str, str], rounds: int) -> float:
    """Python function calls a request: a count, so others' load on the machine moves it not."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        await call(app, path, headers)
    profiler.disable()
    return sum(calls for calls, *_ in pstats.Stats(profiler).stats.values()) / rounds  # type: ignore[attr-defined]


async def profiled(app: Litestar, path: str, headers: dict[str, str], rounds: int) -> None:
    """pyinstrument when installed (it follows await), else cProfile sorted by own time."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(rounds):
            await call(app, path, headers)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
        return
    sampler = Profiler(interval=0.0002, async_mode="enabled")
    with sampler:
        for _ in range(rounds):
            await call(app, path, headers)
    print(sampler.output_text(show_all="--all" in sys.argv, short_mode=False))


async def measure(
    env: dict[str, str], path: str, headers: dict[str, str], rounds: int, profile: bool
) -> tuple[float, float, int]:
    """Milliseconds a request, wall clock and CPU (this process, the driver's thread
    included; best of three loops), and statements a request."""
    app = create_app(load_settings(env))
    async with app.lifespan():  # in this loop: asyncpg's connections belong to one loop
        for _ in range(20):  # warm-up: statement caches, templates
            if (status := await call(app, path, headers)) != 200:
                raise RuntimeError(f"GET {path}: {status}")
        best = cpu = float("inf")
        for _ in range(3):
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(rounds):
                await call(app, path, headers)
            best = min(best, (time.perf_counter() - start) / rounds)
            cpu = min(cpu, (time.process_time() - start_cpu) / rounds)
        calls = await python_calls(app, path, headers, 50)
        if profile:
            await profiled(app, path, headers, rounds)
        with Counted(app) as seen:  # last: a listener leaves the engine dispatching events
            await call(app, path, headers)
    for sql in seen:
        print("   ", " ".join(sql.split())[:150])
    print(f"    {calls:,.0f} Python function calls a request")
    return best * 1000, cpu * 1000, len(seen)


class Counted:
    """The SQL statements the engine sends while in the block."""

    def __init__(self, app: Litestar) -> None:
        self.engine = app.state.database.engine.sync_engine
        self.seen: list[str] = []

    def _count(self, _conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        self.seen.append(sql)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self.seen

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


async def timed(work: Any, loops: int) -> tuple[float, float]:
    """Best of three of `loops` awaits of work(): wall-clock and CPU milliseconds each."""
    best = cpu = float("inf")
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(loops):
            await work()
        best = min(best, (time.perf_counter() - start) / loops)
        cpu = min(cpu, (time.process_time() - start_cpu) / loops)
    return best * 1000, cpu * 1000


async def counted_calls(work: Any, loops: int) -> float:
    """Python function calls an await of work(), from cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(loops):
        await work()
    profiler.disable()
    return sum(calls for calls, *_ in pstats.Stats(profiler).stats.values()) / loops  # type: ignore[attr-defined]


async def survey_submit(
    folder: Path, url: str, argv: list[str], rounds: int = 50
) -> dict[str, float]:
    """Survey answers through personal links, each link once: one submit at a time, then
    16 at once (gathered into batches by the submit queue). Answers pile up as it runs
    (about 450 at the end), mixed about once a second, as the service does."""
    from tests.bench.answers import ANSWER, _survey_with_links

    together = 16
    env = service_env(folder, url)
    _, tokens = await _survey_with_links(url, load_settings(env), 100 + 4 * rounds + 12 * together)
    links = iter(tokens)
    app = create_app(load_settings(env))
    async with app.lifespan():
        cookies: dict[str, str] = {}
        await call(app, "/tilgjengelighet", {}, cookies=cookies)
        csrf = cookies["csrftoken"]
        body = urlencode({**ANSWER, "_csrf_token": csrf}).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
        }

        async def one() -> None:
            if (status := await call(app, f"/undersokelse/{next(links)}", headers, body)) != 303:
                raise RuntimeError(f"a submit got {status}")

        async def many() -> None:
            await asyncio.gather(*(one() for _ in range(together)))

        for _ in range(20):  # warm-up: statement caches, first batches
            await one()
        ms, cpu = await timed(one, rounds)
        calls = await counted_calls(one, rounds)
        ms_many, cpu_many = await timed(many, 3)
        calls_many = await counted_calls(many, 1)
        if "--profile" in argv:
            await profiled_work(one, 10)
        # Statements last: a listener leaves the engine dispatching events to the end.
        with Counted(app) as seen:
            await one()
        with Counted(app) as seen_many:
            await many()
        for sql in seen:
            print("   ", " ".join(sql.split())[:150])
        print(
            f"survey submit, one at a time: {ms:.2f} ms a submit, CPU {cpu:.2f} ms, "
            f"{len(seen)} statements, {calls:,.0f} Python function calls"
        )
        print(
            f"survey submit, {together} at once: {ms_many / together:.2f} ms a submit, "
            f"CPU {cpu_many / together:.2f} ms, {len(seen_many) / together:.1f} statements, "
            f"{calls_many / together:,.0f} Python function calls"
        )
    return {
        "ms": ms,
        "cpu_ms": cpu,
        "statements": len(seen),
        "calls": calls,
        "cpu_ms_together": cpu_many / together,
        "statements_together": len(seen_many) / together,
        "calls_together": calls_many / together,
    }


async def profiled_work(work: Any, loops: int) -> None:
    """cProfile of `loops` awaits of work(), sorted by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(loops):
        await work()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(40)


async def main(argv: list[str]) -> None:
    paths = [a for a in argv if a.startswith("/")] or [
        "/api/municipalities",
        "/api/people?limit=100",
        "/admin/municipalities",
    ]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if "--postgres" in argv:
            from tests.__main__ import throwaway_postgres

            with throwaway_postgres(required=True) as server_url:
                url = await postgres_database(server_url, "bench_profile")
                await run(folder, url, paths, argv)
        else:
            await run(folder, await fresh_database(folder, "profile"), paths, argv)


async def run(folder: Path, url: str, paths: list[str], argv: list[str]) -> None:
    if "--survey-submit" in argv:
        await survey_submit(folder, url, argv)
    else:
        await run_paths(folder, url, paths, argv)


async def run_paths(folder: Path, url: str, paths: list[str], argv: list[str]) -> None:
    service = await fill(url, 1_000)
    env = service_env(folder, url)
    for path in paths:
        token = "--token" in argv or path == "/api/municipalities"
        headers = (
            {"Authorization": f"Bearer {service.token}"}
            if token
            else {"Cookie": f"{SESSION_COOKIE}={service.cookie}"}
        )
        ms, cpu, statements = await measure(env, path, headers, 300, "--profile" in argv)
        print(
            f"{path} ({'token' if token else 'session'}): {ms:.2f} ms a request, CPU {cpu:.2f} ms, "
            f"{statements} statements"
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
