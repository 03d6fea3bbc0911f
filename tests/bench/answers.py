"""Benchmarks of surveys: answers submitted through the running service, and 2,000 personal
links from the click to the last message accepted.

Answers: a one-section survey answered through personal links (`POST /undersokelse/{token}`,
each link once) under a concurrent load client, on SQLite and on PostgreSQL, divided by the
combined limit 1/(1/a + 1/b): a is a trivial Litestar endpoint on uvicorn (uvloop, httptools)
and b single-row insert transactions through the same driver (aiosqlite, asyncpg) with no
framework, both measured in the same run with the same client. The survey's answers and
marks are rewritten in random order about once a second while answers arrive
(`medvirkning/surveys/mixing.py`), a cost that grows with the answers: the figure says how
many were there at the end.

Links: `POST /api/surveys/{id}/links` for 2,000 recipients with the in-service outbox worker
delivering to a local SMTP server (aiosmtpd in its own process), against plain aiosmtplib
sending the same kind of ready-made letters over one connection.

Run alone: `python -m tests.bench.answers` from the repository root.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from litestar.testing import AsyncTestClient
from sqlalchemy import insert

from medvirkning.app import create_app
from medvirkning.auth.models import Role
from medvirkning.choices import WrittenForm
from medvirkning.db import create_engine, create_sessionmaker
from medvirkning.mail.outbox import letter_bytes
from medvirkning.settings import load_settings
from medvirkning.surveys.answering import token_hash
from medvirkning.surveys.invitations import letter
from medvirkning.surveys.models import Survey
from medvirkning.surveys.respondents import SurveyLink, SurveyRecipient
from medvirkning.surveys.store import create_survey, publish
from surveys.definition import parse_definition
from tests.bench.databases import fresh_database
from tests.bench.invitations import ROUNDS, plain_aiosmtplib, running_sink
from tests.bench.invitations import service_env as mail_env
from tests.bench.serving import (
    CONNECTIONS,
    Load,
    _ms,
    load_client,
    postgres_database,
    server,
    service_env,
    trivial,
)
from tests.support import sign_in_as

ANSWER_TARGET = 0.6
LINKS = 2_000
LINK_TARGET = 1.25
SHORT = {
    "title": "Pilot: hvordan gikk det?",
    "sections": [
        {
            "title": "Piloten",
            "questions": [
                {
                    "type": "single_choice",
                    "id": "rolle",
                    "text": "Hvilken rolle hadde du?",
                    "options": ["Lønn", "Regnskap", "Leder"],
                },
                {
                    "type": "likert",
                    "id": "nytte",
                    "text": "Piloten var nyttig.",
                    "labels": ["Helt uenig", "Litt uenig", "Nøytral", "Litt enig", "Helt enig"],
                },
            ],
        }
    ],
}
ANSWER = {"svar.rolle": "Lønn", "svar.nytte": "4", "del": "1", "handling": "send"}


async def _survey_with_links(url: str, settings: Any, count: int) -> tuple[int, list[str]]:
    """A published survey and `count` recipients with links; the tokens, as letters hold them."""
    engine = create_engine(url)
    tokens = [secrets.token_urlsafe(32) for _ in range(count)]
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            survey = await create_survey(db, parse_definition(SHORT))
            await publish(db, survey.id)
            rows = [
                {"survey_id": survey.id, "email": f"ansatt{n}@kommune.no", "municipality_id": 1}
                for n in range(count)
            ]
            ids = list(
                await db.scalars(
                    insert(SurveyRecipient).returning(
                        SurveyRecipient.id, sort_by_parameter_order=True
                    ),
                    rows,
                )
            )
            await db.execute(
                insert(SurveyLink),
                [
                    {"recipient_id": rid, "token_hash": token_hash(settings, token)}
                    for rid, token in zip(ids, tokens, strict=True)
                ],
            )
            return survey.id, tokens
    finally:
        await engine.dispose()


async def submit_load(base: str, tokens: list[str], seconds: float) -> tuple[Load, int]:
    """Answers a second from CONNECTIONS concurrent tasks, each link once; and how many."""
    latencies: list[float] = []
    queue = iter(tokens)
    end = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        await client.get("/tilgjengelighet")
        form = {**ANSWER, "_csrf_token": client.cookies["csrftoken"]}

        async def worker() -> None:
            for token in queue:
                if time.perf_counter() >= end:
                    return
                start = time.perf_counter()
                response = await client.post(f"/undersokelse/{token}", data=form)
                if response.status_code != 303:
                    raise RuntimeError(f"an answer got {response.status_code}")
                latencies.append(time.perf_counter() - start)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - start
    if not latencies:
        raise RuntimeError("no answer was stored")
    latencies.sort()
    load = Load(
        len(latencies) / elapsed,
        latencies[len(latencies) // 2] * 1000,
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "httpx, 16 tasks",
    )
    return load, len(latencies)


# Each request takes the next link from the file; wrk's own Lua runs it, one thread.
WRK_SCRIPT = """
local tokens, next = {}, 0
init = function(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  wrk.method = "POST"
  wrk.body = args[2]
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "csrftoken=" .. args[3]
end
request = function()
  next = next + 1
  return wrk.format(nil, "/undersokelse/" .. (tokens[next] or "brukt-opp"))
end
"""


def wrk_load(base: str, tokens: list[str], seconds: float, folder: Path) -> tuple[Load, int]:
    """Answers a second from `wrk -t1 -c16`, each link once."""
    with httpx.Client(base_url=base) as client:
        client.get("/tilgjengelighet")
        csrf = client.cookies["csrftoken"]
    (folder / "tokens.txt").write_text("\n".join(tokens) + "\n")
    (folder / "answers.lua").write_text(WRK_SCRIPT)
    body = urlencode({**ANSWER, "_csrf_token": csrf})
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency"]
    command += ["-s", str(folder / "answers.lua"), base, "--", str(folder / "tokens.txt")]
    out = subprocess.run(
        [*command, body, csrf], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failed answers:\n{out}")
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    if done > len(tokens):
        raise RuntimeError("wrk ran out of links: give it more")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)  # type: ignore[union-attr]
    return Load(rps, _ms(p50), _ms(p99), "wrk -t1 -c16, a Lua script giving each link once"), done


async def raw_inserts(url: str, seconds: float) -> float:
    """Single-row insert transactions a second through the driver alone, on one connection."""
    count, end = 0, time.perf_counter() + seconds
    payload = '{"rolle":"Lønn","nytte":4}'
    if url.startswith("sqlite"):
        import aiosqlite

        async with aiosqlite.connect(url.split(":///", 1)[1]) as connection:
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):
                await connection.execute(f"PRAGMA {pragma}")
            await connection.execute("CREATE TABLE bench_row (id TEXT PRIMARY KEY, body TEXT)")
            await connection.commit()
            start = time.perf_counter()
            while time.perf_counter() < end:
                await connection.execute(
                    "INSERT INTO bench_row VALUES (?, ?)", (secrets.token_hex(16), payload)
                )
                await connection.commit()
                count += 1
            return count / (time.perf_counter() - start)
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute("CREATE TABLE bench_row (id TEXT PRIMARY KEY, body TEXT)")
        start = time.perf_counter()
        while time.perf_counter() < end:
            await connection.execute(
                "INSERT INTO bench_row VALUES ($1, $2)", secrets.token_hex(16), payload
            )
            count += 1
        return count / (time.perf_counter() - start)
    finally:
        await connection.close()


async def bench_answers(
    folder: Path,
    url: str,
    a: float,
    seconds: float = 5.0,
    respondents: int = 20_000,
    client: str = "httpx",
) -> dict[str, float]:
    """Answers a second through the service on one database, against 1/(1/a + 1/b)."""
    name = "postgresql" if url.startswith("postgresql") else "sqlite"
    env = service_env(folder, url)
    settings = load_settings(env)  # makes the secret key the server process will read
    _, tokens = await _survey_with_links(url, settings, respondents)
    scratch = (
        await fresh_database(folder, "raw-inserts")
        if name == "sqlite"
        else await postgres_database(url.rsplit("/", 1)[0] + "/postgres", "bench_raw_inserts")
    )
    b = await raw_inserts(scratch, seconds)
    with server("app", env) as base:
        warm = max(1, respondents // 100)
        await submit_load(base, tokens[:warm], seconds)  # warm-up, left out
        if client == "wrk":
            ours, stored = await asyncio.to_thread(wrk_load, base, tokens[warm:], seconds, folder)
        else:
            ours, stored = await submit_load(base, tokens[warm:], seconds)
    limit = 1 / (1 / a + 1 / b)
    ratio = ours.rps / limit
    print(
        f"{name} answers through the service: {ours.rps:.0f}/s (p50 {ours.p50_ms:.1f} ms, p99 "
        f"{ours.p99_ms:.1f} ms, {ours.client}), a {a:.0f}/s, b {b:.0f}/s, limit {limit:.0f}/s, "
        f"ratio {ratio:.2f} (target >= {ANSWER_TARGET}); {warm + stored} answers stored at "
        "the end, mixed about once a second"
    )
    return {"rps": ours.rps, "a": a, "b": b, "ratio": ratio, "p50_ms": ours.p50_ms}


async def bench_links(folder: Path, recipients: int = LINKS) -> dict[str, float]:
    """2,000 personal links: click to every message accepted, against plain aiosmtplib."""
    url = await fresh_database(folder, "links")
    async with running_sink() as sink:
        settings = load_settings(mail_env(folder, url, sink.port))
        engine = create_engine(url)
        try:
            async with create_sessionmaker(engine)() as db, db.begin():
                survey = await create_survey(db, parse_definition(SHORT))
                await publish(db, survey.id)
                survey_id = survey.id
        finally:
            await engine.dispose()
        async with AsyncTestClient(app=create_app(settings)) as client:
            await sign_in_as(client, Role.ADMIN, email="prosjektleder@kongsbergregionen.no")

            returned: list[float] = []

            async def click(count: int, tag: str) -> float:
                emails = [f"{tag}{n}@kommune.no" for n in range(count)]
                added = await client.post(
                    f"/api/surveys/{survey_id}/audience", json={"emails": emails}
                )
                if added.status_code != 201:
                    raise RuntimeError(f"audience: {added.status_code} {added.text[:300]}")
                await sink.expect(count)
                start = time.monotonic()
                sent = await client.post(f"/api/surveys/{survey_id}/links", timeout=300)
                returned.append(time.monotonic() - start)
                if sent.json() != {"sent": count}:
                    raise RuntimeError(f"links: {sent.text[:300]}")
                return await sink.accepted(count) - start

            await click(max(1, recipients // 20), "oppvarming")  # warm-up, left out
            shown = Survey(title=SHORT["title"], language_form=WrittenForm.BOKMAL, threshold=5)
            ready = [
                (
                    f"klar{n}@kommune.no",
                    letter_bytes(
                        settings,
                        letter(
                            settings, shown, f"klar{n}@kommune.no", secrets.token_urlsafe(32), False
                        ),
                    )[1],
                )
                for n in range(recipients)
            ]
            # A-B-B-A twice, as the invitations: neither side gets the better place in the
            # run, and the medians leave out a run a neighbour on the machine slowed.
            plain: list[float] = []
            ours: list[float] = []
            for round_ in range(ROUNDS):
                plain.append(await plain_aiosmtplib(sink, settings.mail_from, ready))
                ours += [await click(recipients, f"{tag}{round_}-") for tag in ("ansatt", "leder")]
                plain.append(await plain_aiosmtplib(sink, settings.mail_from, ready))
    mine, base = statistics.median(ours), statistics.median(plain)
    request = statistics.median(returned[1:])
    print(
        f"survey links to {recipients}: click-to-accepted {mine:.2f} s, plain aiosmtplib "
        f"{base:.2f} s (medians of {len(ours)} runs each), ratio {mine / base:.2f} "
        f"(target <= {LINK_TARGET}); of which the request {request:.2f} s, then "
        f"{mine - request:.2f} s until all were accepted; runs: "
        f"ours {', '.join(f'{t:.2f}' for t in ours)} s, plain "
        f"{', '.join(f'{t:.2f}' for t in plain)} s"
    )
    return {"ours_s": mine, "baseline_s": base, "ratio": mine / base}


async def bench_all(
    folder: Path, postgres_url: str | None, seconds: float = 5.0
) -> dict[str, float]:
    """Answers on each database and the 2,000 links; their ratios by name."""
    client = load_client()
    a = (await trivial(seconds, client, ("trivial",)))["trivial"].rps
    sqlite_url = await fresh_database(folder, "answers")
    ratios = {
        f"sqlite survey answers (target >= {ANSWER_TARGET})": (
            await bench_answers(folder, sqlite_url, a, seconds, client=client)
        )["ratio"]
    }
    if postgres_url:
        url = await postgres_database(postgres_url, "bench_answers")
        answers = await bench_answers(folder, url, a, seconds, client=client)
        ratios[f"postgresql survey answers (target >= {ANSWER_TARGET})"] = answers["ratio"]
    else:
        print("postgresql answers: skipped (no PostgreSQL server)")
    links = await bench_links(folder)
    ratios[f"survey links (target <= {LINK_TARGET})"] = links["ratio"]
    return ratios


def main() -> None:
    import tempfile

    from tests.__main__ import throwaway_postgres
    from tests.bench.steady import steady_cpus

    with (
        steady_cpus(),
        throwaway_postgres(required="--require-postgres" in sys.argv) as postgres_url,
        tempfile.TemporaryDirectory() as name,
    ):
        asyncio.run(bench_all(Path(name), postgres_url))


if __name__ == "__main__":
    main()
