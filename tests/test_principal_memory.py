"""Who is behind a session or token is kept a few seconds in each process's memory: a
change made in this process counts at once, one made in another within those seconds."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import select, update

from medvirkning.auth.middleware import SESSION_COOKIE
from medvirkning.auth.models import Role, RoleGrant
from medvirkning.people.models import Person
from tests.conftest import free_port
from tests.support import database, post_form, sign_in_as

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 2.0  # the other process's memory, MEDVIRKNING_PRINCIPAL_CACHE_SECONDS


@contextmanager
def other_process(settings, tmp_path: Path) -> Iterator[str]:
    """The same service on the same database, in a server process of its own."""
    port = free_port()
    env = os.environ | {
        "MEDVIRKNING_DATA_DIR": str(tmp_path / "other"),
        "MEDVIRKNING_DATABASE_URL": settings.database_url,
        "MEDVIRKNING_SECRET_KEY": settings.secret_key,
        "MEDVIRKNING_PORT": str(port),
        "MEDVIRKNING_LOG_LEVEL": "warning",
        "MEDVIRKNING_OUTBOX_WORKER": "false",
        "MEDVIRKNING_PRINCIPAL_CACHE_SECONDS": str(SECONDS),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "medvirkning", "run", "--no-migrate"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _healthy(base):
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the other process did not start"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


async def _status(url: str, cookie: str) -> int:
    async with httpx.AsyncClient(cookies={SESSION_COOKIE: cookie}, timeout=10) as other:
        return (await other.get(url)).status_code


async def test_a_signed_out_session_is_refused_at_once_here_and_within_seconds_elsewhere(
    client, settings, tmp_path
):
    cookie = client.cookies[SESSION_COOKIE]
    with other_process(settings, tmp_path) as other:
        assert (
            await _status(f"{other}/api/me", cookie) == 200
        )  # the other process now knows the session
        assert (await client.get("/api/me")).status_code == 200
        await post_form(client, "/logg-ut", {})
        client.cookies.set(SESSION_COOKIE, cookie)
        assert (await client.get("/api/me")).status_code == 401
        await asyncio.sleep(SECONDS)
        assert await _status(f"{other}/api/me", cookie) == 401


async def test_a_withdrawn_role_is_refused_at_once_here_and_within_seconds_elsewhere(
    client, settings, tmp_path
):
    steering = await sign_in_as(client, Role.STEERING, Role.ADMIN)
    cookie = client.cookies[SESSION_COOKIE]
    with other_process(settings, tmp_path) as other:
        assert await _status(f"{other}/admin/people", cookie) == 200
        assert (await client.get("/admin/people")).status_code == 200
        async with database(client) as db, db.begin():
            await db.execute(
                update(RoleGrant)
                .where(RoleGrant.person_id == steering, RoleGrant.role == Role.ADMIN)
                .values(active=False)
            )
        assert (await client.get("/admin/people")).status_code == 403
        assert (await client.get("/api/me")).json()["roles"] == ["steering"]
        await asyncio.sleep(SECONDS)
        assert await _status(f"{other}/admin/people", cookie) == 403


async def test_a_revoked_token_and_a_renamed_person_count_at_once(client):
    token = (
        await client.post("/api/api-tokens", json={"name": "Rapport", "role": "steering"})
    ).json()
    bearer = {"Authorization": f"Bearer {token['secret']}"}
    cookie = client.cookies.pop(SESSION_COOKIE)
    assert (await client.get("/api/me", headers=bearer)).status_code == 200
    client.cookies.set(SESSION_COOKIE, cookie)
    me = (await client.get("/api/me")).json()
    assert (await client.post(f"/api/api-tokens/{token['token']['id']}/revoke")).is_success
    client.cookies.pop(SESSION_COOKIE)
    assert (await client.get("/api/me", headers=bearer)).status_code == 401
    client.cookies.set(SESSION_COOKIE, cookie)
    async with database(client) as db, db.begin():
        person = await db.scalar(select(Person).where(Person.id == me["person_id"]))
        assert person is not None
        person.name = "Nytt Navn"
    assert (await client.get("/api/me")).json()["label"].startswith("Nytt Navn <")
