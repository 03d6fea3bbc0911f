"""Sign-in by e-mail link through a real SMTP server, sessions, sign-out and API tokens."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import msgspec
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from medvirkning.app import create_app
from medvirkning.auth.middleware import SESSION_COOKIE
from medvirkning.auth.models import ApiToken, Role, SignInLink, UserSession
from medvirkning.auth.services import hashed
from medvirkning.cli import main
from medvirkning.db import utcnow
from medvirkning.mail.models import OutboxMessage
from medvirkning.people.models import Person
from tests.support import database, post_form, sign_in_as

ADDRESS = "kari.nordmann@notodden.kommune.no"


async def register_person(client, address: str = ADDRESS) -> int:
    async with database(client) as db, db.begin():
        person = Person(name="Kari Nordmann", email=address, municipality_id=2)
        db.add(person)
        await db.flush()
        return person.id


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(r"http://\S+(/logg-inn/\S+)", text)
    assert match, text
    html = message.get_body(("html",)).get_content()
    assert match.group(1) in html
    return match.group(1)


async def ask_for_link(client, address: str = ADDRESS):
    return await post_form(client, "/logg-inn", {"email": address})


async def test_a_link_arrives_works_once_and_not_twice(mail_client, smtp):
    await register_person(mail_client)
    asked = await ask_for_link(mail_client)
    assert asked.status_code == 200
    assert "Sjekk e-posten din" in asked.text
    [message] = await smtp.mailbox.wait_for(1)
    assert message["To"] == ADDRESS
    assert message["Subject"] == "Lenke for å logge inn i Medvirkning"
    link = link_in(message)

    # Looking at the link (as a mail scanner does) spends nothing.
    assert (await mail_client.get(link)).status_code == 200
    assert (await mail_client.get(link)).status_code == 200
    used = await post_form(mail_client, link, {}, follow_redirects=False)
    assert used.status_code == 303
    cookie = used.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # the base URL is http here
    front = await mail_client.get("/")
    assert front.status_code == 200
    assert "Kari Nordmann" in front.text

    mail_client.cookies.delete(SESSION_COOKIE)
    again = await post_form(mail_client, link, {}, follow_redirects=False)
    assert again.status_code == 410
    assert "allerede brukt" in again.text
    assert SESSION_COOKIE not in again.headers.get("set-cookie", "")


async def test_a_link_is_valid_for_15_minutes_and_not_after(mail_client, smtp):
    await register_person(mail_client)
    await ask_for_link(mail_client)
    link = link_in((await smtp.mailbox.wait_for(1))[0])
    async with database(mail_client) as db, db.begin():
        stored = await db.scalar(select(SignInLink))
        assert stored.expires_at - stored.created_at == timedelta(minutes=15)
        # Fifteen minutes pass.
        await db.execute(
            update(SignInLink).values(
                created_at=stored.created_at - timedelta(minutes=15),
                expires_at=stored.expires_at - timedelta(minutes=15),
            )
        )
    assert (await mail_client.get(link)).status_code == 410
    refused = await post_form(mail_client, link, {}, follow_redirects=False)
    assert refused.status_code == 410
    assert "utløpt" in refused.text


async def test_a_newer_link_voids_the_older_one(mail_client, smtp):
    await register_person(mail_client)
    await ask_for_link(mail_client)
    await ask_for_link(mail_client)
    first, second = (link_in(m) for m in await smtp.mailbox.wait_for(2))
    assert first != second
    assert (await post_form(mail_client, first, {}, follow_redirects=False)).status_code == 410
    assert (await post_form(mail_client, second, {}, follow_redirects=False)).status_code == 303


async def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(mail_client, smtp):
    await register_person(mail_client)
    known = await ask_for_link(mail_client, ADDRESS)
    unknown = await ask_for_link(mail_client, "ukjent@example.no")
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    await smtp.mailbox.wait_for(1)
    async with database(mail_client) as db:
        assert [m.recipient for m in await db.scalars(select(OutboxMessage))] == [ADDRESS]


async def test_mail_to_one_address_is_limited_known_or_not_without_refusing(mail_client, smtp):
    await register_person(mail_client)
    for address in (ADDRESS, "ukjent@example.no"):
        answers = [(await ask_for_link(mail_client, address)).status_code for _ in range(6)]
        assert answers == [200] * 6
    beyond = await ask_for_link(mail_client, ADDRESS.upper())
    assert beyond.status_code == 200
    assert "Sjekk e-posten din" in beyond.text
    await smtp.mailbox.wait_for(5)
    await asyncio.sleep(0.3)
    assert len(smtp.mailbox.messages) == len(smtp.mailbox.to(ADDRESS)) == 5


async def test_asking_too_often_is_limited_per_client(mail_client):
    answers = [
        (await ask_for_link(mail_client, f"nr{n}@example.no")).status_code for n in range(31)
    ]
    assert answers[:30] == [200] * 30
    assert answers[30] == 429


async def test_a_sign_in_link_is_not_kept_once_sent(mail_client, smtp):
    await register_person(mail_client)
    await ask_for_link(mail_client)
    await smtp.mailbox.wait_for(1)
    async with database(mail_client) as db:
        for _ in range(50):
            message = await db.scalar(select(OutboxMessage))
            if message.status == "sent":
                break
            await db.rollback()
            await asyncio.sleep(0.1)
        assert message.status == "sent"
        assert message.mime is None
        stored = await db.scalar(select(SignInLink))
        assert len(stored.token_hash) == 64  # only the hash is kept


async def test_sign_out_ends_the_session(client):
    assert (await client.get("/")).status_code == 200
    out = await post_form(client, "/logg-ut", {}, follow_redirects=False)
    assert out.status_code == 303
    # Even with the old cookie the session is over.
    client.cookies.set(SESSION_COOKIE, client.cookies.get(SESSION_COOKIE) or "gammel")
    after = await client.get("/", follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"] == "/logg-inn"
    assert (await client.get("/api/me")).status_code == 401


async def test_a_session_ends_after_8_idle_hours(client):
    assert (await client.get("/api/me")).status_code == 200
    async with database(client) as db, db.begin():
        await db.execute(
            update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=8, minutes=1))
        )
    assert (await client.get("/api/me")).status_code == 401
    assert (await client.get("/admin/people", follow_redirects=False)).headers[
        "location"
    ] == "/logg-inn"


async def test_a_deactivated_person_is_signed_out(client):
    me = (await client.get("/api/me")).json()
    async with database(client) as db, db.begin():
        await db.execute(update(Person).where(Person.id == me["person_id"]).values(active=False))
    assert (await client.get("/api/me")).status_code == 401


async def test_forms_without_the_csrf_token_are_refused(client):
    response = await client.post("/admin/municipalities/new", data={"number": "3399", "name": "X"})
    assert response.status_code == 403
    assert (await client.get("/api/municipalities", params={"q": "3399", "total": True})).json()[
        "total"
    ] == 0


async def test_cookies_are_secure_when_the_service_is_on_https(settings):
    https = msgspec.structs.replace(settings, base_url="https://medvirkning.example.no")
    async with AsyncTestClient(
        app=create_app(https), base_url="https://testserver.local"
    ) as client:
        person_id = await register_person(client)
        async with database(client) as db, db.begin():
            db.add(
                SignInLink(
                    person_id=person_id,
                    token_hash=hashed("kjent-lenke"),
                    expires_at=utcnow() + timedelta(minutes=15),
                )
            )
        used = await post_form(client, "/logg-inn/kjent-lenke", {}, follow_redirects=False)
        assert used.status_code == 303
        session_cookie = next(
            c for c in used.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
        )
        assert "Secure" in session_cookie
        assert "HttpOnly" in session_cookie


async def test_api_token_is_shown_once_stored_hashed_used_and_revoked(client, anonymous):
    created = await client.post(
        "/api/api-tokens", json={"name": "Rapportskript", "role": "steering"}
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert secret.startswith("mv_")
    listed = await client.get("/api/api-tokens")
    assert secret not in listed.text
    async with database(client) as db:
        stored = await db.scalar(select(ApiToken))
        assert secret not in stored.token_hash
        assert len(stored.token_hash) == 64

    script = {"authorization": f"Bearer {secret}"}
    client.cookies.clear()
    me = await client.get("/api/me", headers=script)
    assert me.json() == {
        "label": "API-nøkkel «Rapportskript»",
        "roles": ["steering"],
        "person_id": None,
    }
    assert (await client.get("/api/municipalities", headers=script)).status_code == 200
    # A steering token may read, not change.
    assert (await client.post("/api/municipalities", headers=script, json={})).status_code == 403

    await sign_in_as(client, Role.ADMIN)
    revoked = await client.post(f"/api/api-tokens/{created.json()['token']['id']}/revoke")
    assert revoked.json()["revoked_at"]
    client.cookies.clear()
    assert (await client.get("/api/me", headers=script)).status_code == 401
    assert (
        await client.get("/api/me", headers={"authorization": "Bearer mv_feil"})
    ).status_code == 401


async def test_api_tokens_page_shows_the_new_token_once(client):
    page = await post_form(
        client, "/admin/api-tokens", {"name": "Nattlig eksport", "role": "admin"}
    )
    assert page.status_code == 200
    secret = re.search(r'<code class="secret">(mv_[^<]+)</code>', page.text).group(1)
    again = await client.get("/admin/api-tokens")
    assert "Nattlig eksport" in again.text
    assert secret not in again.text


async def test_create_admin_command_grants_the_role_once(settings, anonymous):
    env = {
        "MEDVIRKNING_DATABASE_URL": settings.database_url,
        "MEDVIRKNING_DATA_DIR": str(settings.data_dir),
    }
    args = ["create-admin", "--name", "Pia Prosjektleder", "--email", "pia@kongsbergregionen.no"]
    first = await asyncio.to_thread(CliRunner().invoke, main, args, env=env)
    assert first.exit_code == 0, first.output
    assert "is now an admin" in first.stdout
    assert "/logg-inn" in first.stdout
    second = await asyncio.to_thread(CliRunner().invoke, main, args, env=env)
    assert "was already an admin" in second.stdout
    async with database(anonymous) as db:
        person = await db.scalar(select(Person).where(Person.email == "pia@kongsbergregionen.no"))
        assert person.organisation_id is not None


async def test_create_admin_on_a_folder_never_set_up_says_what_to_do_and_writes_nothing(tmp_path):
    folder = tmp_path / "ikke-satt-opp"
    env = {"MEDVIRKNING_DATA_DIR": str(folder), "MEDVIRKNING_DATABASE_URL": ""}
    args = ["create-admin", "--name", "Pia", "--email", "pia@kongsbergregionen.no"]
    result = await asyncio.to_thread(CliRunner().invoke, main, args, env=env)
    assert result.exit_code == 1
    assert "medvirkning migrate" in result.output
    assert "Traceback" not in result.output
    assert not folder.exists()


async def test_create_admin_on_an_empty_database_says_migrate_first(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "secret_key").write_text("k" * 48)
    env = {
        "MEDVIRKNING_DATA_DIR": str(folder),
        "MEDVIRKNING_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'tom.sqlite3'}",
    }
    args = ["create-admin", "--name", "Pia", "--email", "pia@kongsbergregionen.no"]
    result = await asyncio.to_thread(CliRunner().invoke, main, args, env=env)
    assert result.exit_code == 1
    assert "run `medvirkning migrate` first" in result.output
    assert not (folder / "tom.sqlite3").exists()


async def test_create_admin_names_the_address_the_running_service_gave(settings, anonymous):
    (settings.data_dir / "address").write_text("http://127.0.0.1:8123\n")
    env = {
        "MEDVIRKNING_DATABASE_URL": settings.database_url,
        "MEDVIRKNING_DATA_DIR": str(settings.data_dir),
    }
    args = ["create-admin", "--name", "Pia", "--email", "pia@kongsbergregionen.no"]
    result = await asyncio.to_thread(CliRunner().invoke, main, args, env=env)
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/logg-inn" in result.output


async def test_asking_for_a_link_redirects_so_a_reload_sends_nothing_more(anonymous):
    asked = await post_form(
        anonymous, "/logg-inn", {"email": "noen@kommune.no"}, follow_redirects=False
    )
    assert asked.status_code == 303
    assert asked.headers["location"] == "/logg-inn?sendt=true"
    assert "Sjekk e-posten din" in (await anonymous.get(asked.headers["location"])).text


async def test_a_new_api_token_is_shown_once_after_a_redirect_and_revoking_asks_first(client):
    made = await post_form(
        client, "/admin/api-tokens", {"name": "Eksport", "role": "steering"}, follow_redirects=False
    )
    assert made.status_code == 303
    shown = await client.get("/admin/api-tokens")
    secret = re.search(r'<code class="secret">(mv_[^<]+)</code>', shown.text).group(1)
    reloaded = await client.get("/admin/api-tokens")
    assert secret not in reloaded.text
    assert len((await client.get("/api/api-tokens")).json()) == 1
    token_id = (await client.get("/api/api-tokens")).json()[0]["id"]
    question = await client.get(f"/admin/api-tokens/{token_id}/revoke")
    assert "Trekke tilbake «Eksport»?" in question.text
    assert (await client.get("/api/api-tokens")).json()[0]["revoked_at"] is None
    await post_form(client, f"/admin/api-tokens/{token_id}/revoke", {})
    assert (await client.get("/api/api-tokens")).json()[0]["revoked_at"] is not None
