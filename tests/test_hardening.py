"""Hardening: security headers and HEAD on every answer, our own API page, no secrets in
logs, private files, an append-only audit log, and sign-in that returns to the page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from medvirkning.audit import AuditEvent
from medvirkning.auth.models import Role
from medvirkning.db import create_engine
from medvirkning.people.models import Group
from medvirkning.region.models import Municipality
from medvirkning.security import redact
from tests.support import database, post_form, sign_in_as

SAMPLE = [
    "/",
    "/logg-inn",
    "/health",
    "/static/site.css",
    "/api/municipalities",
    "/finnes-ikke",
    "/schema",
    "/tilgjengelighet",
]


async def admin_token(client) -> dict[str, str]:
    made = await client.post("/api/api-tokens", json={"name": "Skript", "role": "admin"})
    return {"Authorization": f"Bearer {made.json()['secret']}"}


async def test_every_answer_carries_the_security_headers(client):
    bearer = await admin_token(client)
    answers = {path: await client.get(path, headers=bearer) for path in SAMPLE}
    answers["422 form"] = await post_form(client, "/logg-inn", {"email": "uten-krøllalfa"})
    client.cookies.clear()
    answers["anonymous page"] = await client.get("/admin/people", follow_redirects=False)
    assert answers["/finnes-ikke"].status_code == 404
    assert answers["422 form"].status_code == 422
    for name, response in answers.items():
        policy = response.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy, name
        assert "script-src 'self'" in policy, name
        assert "unsafe-inline" not in policy, name
        assert response.headers.get("x-content-type-options") == "nosniff", name
        assert response.headers.get("referrer-policy") == "no-referrer", name
        if name != "/static/site.css":
            assert response.headers.get("cache-control") == "no-store", name


async def test_head_answers_wherever_get_does_without_a_body(client):
    # Every GET route of the app without a path parameter, so a new one cannot slip past.
    paths = {r.path for r in client.app.routes if "GET" in r.methods and "{" not in r.path}
    assert {"/health", "/", "/logg-inn", "/schema", "/api/me"} <= paths
    for path in sorted(paths | {"/static/site.css"}):
        got = await client.get(path)
        head = await client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path


async def test_no_page_has_inline_script_or_style_the_policy_would_block(client):
    for path in ["/", "/admin/people", "/admin/meetings/new", "/admin/audit", "/schema"]:
        page = (await client.get(path)).text
        assert "<script" not in page, path
        assert not re.search(r"\sstyle=|\son[a-z]+=", page), path


async def test_the_api_page_is_our_own_norwegian_page_with_nothing_from_other_sites(client):
    page = await client.get("/schema")
    assert page.status_code == 200
    assert '<html lang="nb">' in page.text
    assert "/schema/openapi.json" in page.text
    assert "/api/municipalities" in page.text
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page.text)
    assert (await client.get("/schema/openapi.json")).json()["paths"]


def test_secret_parts_of_links_are_hidden_in_what_is_logged():
    token = "Zq3xL0v_9-kPpQ2rStUvWxYz0123456789abcdEFGH"
    logged = [
        f'"GET /logg-inn/{token} HTTP/1.1" 200',
        f'"POST /svar/12/{"a1" * 16}?svar=yes HTTP/1.1" 200',
        f'"GET /kalender/group/3/{"f0" * 20}.ics HTTP/1.1" 200',
        f'"GET /undersokelse/{token} HTTP/1.1" 200',
    ]
    for line in logged:
        assert "***" in redact(line), line
        assert not re.search(r"[0-9a-zA-Z_-]{20,}", redact(line)), redact(line)
    assert redact("GET /admin/risk-factors?page=2") == "GET /admin/risk-factors?page=2"


async def test_database_errors_carry_no_bound_values(database_url):
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            with pytest.raises(IntegrityError) as refused:
                await connection.execute(
                    insert(Municipality).values(
                        number="3303", name="Hemmelig-verdi", language_form="bokmal"
                    )
                )
    finally:
        await engine.dispose()
    assert "Hemmelig-verdi" not in str(refused.value)


# --- the audit log ---------------------------------------------------------------------------


async def test_the_database_refuses_to_truncate_the_audit_log(client, settings):
    if settings.is_sqlite:
        pytest.skip("SQLite has no TRUNCATE; DELETE is refused (test_audit.py)")
    async with database(client) as db:
        before = len((await db.scalars(select(AuditEvent.id))).all())
        with pytest.raises(DBAPIError, match="append-only"):
            await db.execute(text("TRUNCATE audit_event"))
        await db.rollback()
        assert len((await db.scalars(select(AuditEvent.id))).all()) == before > 0


@pytest.mark.parametrize(
    "off_by", [timedelta(days=-400), timedelta(minutes=-5), timedelta(hours=2)]
)
async def test_the_database_refuses_an_entry_not_dated_now(client, off_by):
    row = {"actor_label": "x", "action": "create", "entity": "person", "entity_id": 1}
    async with database(client) as db:
        with pytest.raises(DBAPIError, match="dated now"):
            await db.execute(insert(AuditEvent).values(at=datetime.now(UTC) + off_by, **row))
        await db.rollback()
        await db.execute(insert(AuditEvent).values(at=datetime.now(UTC), **row))
        await db.commit()


def readme_grants() -> list[str]:
    """The GRANT and REVOKE statements the README's Audit log section gives."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Audit log", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sql\n(.*?)```", section, re.S)
    assert block, "the Audit log section has no SQL block"
    return [
        line.rstrip(";")
        for line in block.group(1).splitlines()
        if line.startswith(("GRANT", "REVOKE"))
    ]


async def test_the_readme_grants_let_the_service_role_only_add_and_read_entries(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("roles and grants are PostgreSQL's")
    import asyncpg

    role = f"app_{uuid.uuid4().hex[:8]}"
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    owner = await asyncpg.connect(dsn)
    try:
        await owner.execute(f"CREATE ROLE {role} LOGIN")
        for statement in readme_grants():
            await owner.execute(statement.replace("medvirkning_app", role))
        app = await asyncpg.connect(dsn.replace("//postgres@", f"//{role}@"))
        try:
            await app.execute(
                "INSERT INTO audit_event (at, actor_label, action, entity) "
                "VALUES (now(), 'skript', 'create', 'person')"
            )
            assert await app.fetchval("SELECT count(*) FROM audit_event") > 1
            await app.execute("UPDATE person SET name = name WHERE false")  # other tables: yes
            for statement in [
                "UPDATE audit_event SET actor_label = 'x'",
                "DELETE FROM audit_event",
                "TRUNCATE audit_event",
            ]:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await app.execute(statement)
        finally:
            await app.close()
    finally:
        await owner.execute(f"DROP OWNED BY {role}")
        await owner.execute(f"DROP ROLE {role}")
        await owner.close()


# --- sign-in returns to the page --------------------------------------------------------------


def sign_in_link(message) -> str:
    text_part = message.get_body(("plain",)).get_content()
    match = re.search(r"http://\S+(/logg-inn/\S+)", text_part)
    assert match, text_part
    return match.group(1)


async def sign_in_by_mail(client, smtp, address: str, count: int):
    await post_form(client, "/logg-inn", {"email": address})
    messages = await smtp.mailbox.wait_for(count)
    link = sign_in_link(messages[-1])
    return await post_form(client, link, {}, follow_redirects=False)


async def test_after_sign_in_the_person_lands_on_the_page_they_were_going_to(mail_client, smtp):
    address = "kari.nordmann@notodden.kommune.no"
    await sign_in_as(mail_client, Role.MEMBER, email=address)
    mail_client.cookies.clear()
    stopped = await mail_client.get("/moter?visning=alle&x=æ", follow_redirects=False)
    assert stopped.headers["location"] == "/logg-inn"
    used = await sign_in_by_mail(mail_client, smtp, address, 1)
    assert used.status_code == 303
    assert used.headers["location"] == "/moter?visning=alle&x=%C3%A6"
    assert (await mail_client.get(used.headers["location"])).status_code == 200

    # Only once: the next sign-in goes to the front page.
    mail_client.cookies.clear()
    again = await sign_in_by_mail(mail_client, smtp, address, 2)
    assert again.headers["location"] == "/"

    # A planted page that is not one of ours is never followed.
    planted = ["//evil.example/", "https://evil.example/", "/\\evil.example"]  # 5 mails a quarter
    for count, page in enumerate(planted, start=3):
        mail_client.cookies.clear()
        mail_client.cookies.set("medvirkning_neste", page, path="/logg-inn")
        used = await sign_in_by_mail(mail_client, smtp, address, count)
        assert used.headers["location"] == "/", page


# --- pages ----------------------------------------------------------------------------------


async def test_the_accessibility_statement_names_whom_to_contact_and_where_to_complain(
    anonymous, settings
):
    page = (await anonymous.get("/tilgjengelighet")).text
    assert f'href="mailto:{settings.organizer_email}"' in page
    assert "https://www.uutilsynet.no/" in page


def title(page) -> str:
    match = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert match, page.text
    return " ".join(match.group(1).split())


async def test_audit_pages_and_member_lists_each_have_their_own_title(client):
    for name in ["Styringsgruppa", "Prosjektgruppa"]:
        group = await client.post("/api/groups", json={"name": name, "kind": "project_group"})
        me = (await client.get("/api/me")).json()
        await client.post(
            "/api/memberships",
            json={
                "group_id": group.json()["id"],
                "person_id": me["person_id"],
                "role": "member",
                "starts_on": "2024-01-01",
            },
        )
    async with database(client) as db:
        groups = {g.name: g.id for g in await db.scalars(select(Group))}
    titles = [
        title(await client.get("/admin/audit")),
        title(await client.get("/admin/audit", params={"entity": "group"})),
        title(await client.get("/admin/audit", params={"page": 2})),
        title(
            await client.get("/admin/memberships", params={"group_id": groups["Styringsgruppa"]})
        ),
        title(
            await client.get("/admin/memberships", params={"group_id": groups["Prosjektgruppa"]})
        ),
        title(await client.get("/admin/memberships")),
    ]
    assert len(set(titles)) == len(titles), titles
    assert "Styringsgruppa" in titles[3]
    assert "side 2" in titles[2]


# --- the service process: its log and its files -------------------------------------------------


def test_the_running_service_logs_no_link_secret_and_keeps_its_files_private(tmp_path):
    import email
    import email.policy
    import os
    import signal
    import stat
    import subprocess
    import sys
    import time

    import httpx

    from tests.conftest import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDVIRKNING_")}
    env |= {"MEDVIRKNING_DATA_DIR": str(data), "MEDVIRKNING_PORT": str(port)}
    cli = [sys.executable, "-m", "medvirkning"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*cli, "create-admin", "--name", "Pia", "--email", "pia@kongsbergregionen.no"],
        env=env,
        check=True,
        capture_output=True,
    )
    log = tmp_path / "service.log"
    with log.open("w") as out:
        service = subprocess.Popen([*cli, "run"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert service.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        with httpx.Client(base_url=base) as browser:
            browser.get("/logg-inn")
            csrf = {"_csrf_token": browser.cookies["csrftoken"]}
            browser.post("/logg-inn", data={"email": "pia@kongsbergregionen.no", **csrf})
            while not list((data / "mail").glob("*.eml")):
                assert time.monotonic() < deadline + 30
                time.sleep(0.2)
            [eml] = (data / "mail").glob("*.eml")
            message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
            link = sign_in_link(message)
            secrets = [link.rsplit("/", 1)[1], "a1" * 16, "f0" * 20]
            assert browser.get(link).status_code == 200
            assert browser.post(link, data=csrf).status_code == 303
            browser.get(f"/svar/1/{secrets[1]}")
            browser.get(f"/kalender/person/1/{secrets[2]}.ics")
            modes = {
                path.name: stat.S_IMODE(path.stat().st_mode)
                for path in [
                    data,
                    data / "mail",
                    eml,
                    data / "secret_key",
                    *data.glob("*.sqlite3*"),
                ]
            }
    finally:
        service.send_signal(signal.SIGINT)
        service.wait(timeout=30)
    logged = log.read_text()
    assert "/logg-inn/***" in logged
    assert "/svar/1/***" in logged
    for secret in secrets:
        assert secret not in logged
    assert {"medvirkning.sqlite3-wal", "medvirkning.sqlite3-shm"} <= set(modes)
    for name, mode in modes.items():
        expected = 0o700 if name in ("data", "mail") else 0o600
        assert mode == expected, f"{name}: {oct(mode)}"
