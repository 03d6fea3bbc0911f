"""Sessions across deactivation, the cookie renewed with the session, the CSRF token rotated
at sign-in; API tokens that answer to their creator and may expire."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from sqlalchemy import select, update

from medvirkning.auth.middleware import SESSION_COOKIE
from medvirkning.auth.models import ApiToken, Role, RoleGrant, SignInLink, UserSession
from medvirkning.auth.services import hashed
from medvirkning.db import utcnow
from medvirkning.formats import OSLO
from medvirkning.region.models import Organisation
from tests.support import database, post_form, sign_in_as
from tests.test_sign_in import register_person

IDLE_SECONDS = 8 * 3600


def set_cookies(response, name: str) -> list[str]:
    return [c for c in response.headers.get_list("set-cookie") if c.startswith(name + "=")]


async def test_a_reactivated_person_does_not_get_the_old_session_back(client):
    member_id = await sign_in_as(client, Role.MEMBER)
    member_session = client.cookies[SESSION_COOKIE]
    assert (await client.get("/api/me")).json()["person_id"] == member_id
    await sign_in_as(client, Role.ADMIN)
    assert (await client.post(f"/api/people/{member_id}/deactivate")).status_code == 200
    assert (await client.post(f"/api/people/{member_id}/reactivate")).status_code == 200

    client.cookies.set(SESSION_COOKIE, member_session)
    assert (await client.get("/api/me")).status_code == 401


async def test_the_cookie_is_renewed_as_the_session_is_extended(client):
    # Within the minute after sign-in nothing is written, and the cookie is left alone.
    secret = client.cookies[SESSION_COOKIE]
    first = await client.get("/api/me")
    assert first.status_code == 200
    assert set_cookies(first, SESSION_COOKIE) == []
    # Seven hours of work later: the server extends the session, and so the cookie.
    async with database(client) as db, db.begin():
        await db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=7)))
    later = await client.get("/api/me")
    assert later.status_code == 200
    [cookie] = set_cookies(later, SESSION_COOKIE)
    assert f"Max-Age={IDLE_SECONDS}" in cookie
    assert "HttpOnly" in cookie
    assert cookie.startswith(f"{SESSION_COOKIE}={secret};")  # the same session, extended

    # Signing out when the session is due for extension still deletes the cookie.
    async with database(client) as db, db.begin():
        await db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
    out = await post_form(client, "/logg-ut", {}, follow_redirects=False)
    [deleted] = set_cookies(out, SESSION_COOKIE)
    assert secret not in deleted


async def test_sign_in_gives_a_new_csrf_token(anonymous):
    person_id = await register_person(anonymous)
    assert (await anonymous.get("/logg-inn")).status_code == 200
    before = anonymous.cookies["csrftoken"]
    async with database(anonymous) as db, db.begin():
        db.add(
            SignInLink(
                person_id=person_id,
                token_hash=hashed("kjent-lenke"),
                expires_at=utcnow() + timedelta(minutes=15),
            )
        )
    used = await post_form(anonymous, "/logg-inn/kjent-lenke", {}, follow_redirects=False)
    assert used.status_code == 303
    [csrf] = set_cookies(used, "csrftoken")
    after = anonymous.cookies["csrftoken"]
    assert after != before
    assert after in csrf
    # The new token works for the next form, the one from before sign-in does not.
    stale = await anonymous.post("/logg-ut", data={"_csrf_token": before})
    assert stale.status_code == 403
    out = await post_form(anonymous, "/logg-ut", {}, follow_redirects=False)
    assert out.status_code == 303


async def _token(client, **fields) -> tuple[int, dict[str, str]]:
    created = await client.post("/api/api-tokens", json={"name": "Skript", **fields})
    assert created.status_code == 201, created.text
    body = created.json()
    return body["token"]["id"], {"authorization": f"Bearer {body['secret']}"}


async def _me(client, script: dict[str, str]) -> int:
    cookie = client.cookies.pop(SESSION_COOKIE, None)
    try:
        return (await client.get("/api/me", headers=script)).status_code
    finally:
        if cookie:
            client.cookies.set(SESSION_COOKIE, cookie)


async def test_a_token_stops_working_when_its_creator_loses_the_admin_role(client):
    creator = (await client.get("/api/me")).json()
    _, script = await _token(client, role="steering")
    assert await _me(client, script) == 200
    await sign_in_as(client, Role.ADMIN)
    async with database(client) as db:
        grant = await db.scalar(
            select(RoleGrant.id).where(RoleGrant.person_id == creator["person_id"])
        )
    assert (await client.post(f"/api/role-grants/{grant}/deactivate")).status_code == 200
    assert await _me(client, script) == 401
    # The admins see why.
    [listed] = (await client.get("/api/api-tokens")).json()
    assert listed["works"] is False
    assert "Virker ikke" in (await client.get("/admin/api-tokens")).text


async def test_a_token_stops_working_when_its_creator_is_deactivated(client):
    creator = (await client.get("/api/me")).json()
    _, script = await _token(client, role="admin")
    # A token made with that token answers to the same person.
    made = await client.post(
        "/api/api-tokens", json={"name": "Under", "role": "member"}, headers=script
    )
    assert made.json()["token"]["created_by"]["id"] == creator["person_id"]
    second = {"authorization": f"Bearer {made.json()['secret']}"}
    assert await _me(client, second) == 200

    await sign_in_as(client, Role.ADMIN)
    assert (await client.post(f"/api/people/{creator['person_id']}/deactivate")).status_code == 200
    assert await _me(client, script) == 401
    assert await _me(client, second) == 401


async def test_a_token_shows_its_creator_and_last_use(client):
    creator = (await client.get("/api/me")).json()
    token_id, script = await _token(client, role="steering")
    [listed] = (await client.get("/api/api-tokens")).json()
    assert listed["created_by"]["id"] == creator["person_id"]
    assert listed["last_used_at"] is None
    assert listed["works"] is True
    assert await _me(client, script) == 200
    [listed] = (await client.get("/api/api-tokens")).json()
    assert listed["id"] == token_id
    assert listed["last_used_at"]
    page = await client.get("/admin/api-tokens")
    assert "Laget av" in page.text
    assert creator["label"].split(" <")[0] in page.text


async def test_a_token_with_an_expiry_date_works_through_that_day_and_not_after(client):
    today = datetime.now(OSLO).date()
    token_id, script = await _token(client, role="steering", expires_on=today.isoformat())
    [listed] = (await client.get("/api/api-tokens")).json()
    # Midnight after that day, Norwegian time.
    end = datetime.combine(today + timedelta(days=1), time(), OSLO)
    assert datetime.fromisoformat(listed["expires_at"]) == end
    assert await _me(client, script) == 200
    async with database(client) as db, db.begin():
        await db.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert await _me(client, script) == 401


async def test_an_expiry_date_in_the_past_is_refused(client):
    yesterday = (datetime.now(OSLO).date() - timedelta(days=1)).isoformat()
    refused = await client.post(
        "/api/api-tokens", json={"name": "Gammel", "role": "steering", "expires_on": yesterday}
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["expires_on"]
    page = await post_form(
        client,
        "/admin/api-tokens",
        {"name": "Gammel", "role": "steering", "expires_on": yesterday},
    )
    assert page.status_code == 422
    assert "Utløpsdatoen kan ikke være passert" in page.text
    too_far = await client.post(
        "/api/api-tokens", json={"name": "Evig", "role": "steering", "expires_on": "9999-12-31"}
    )
    assert too_far.status_code == 422
    assert [e["field"] for e in too_far.json()["errors"]] == ["expires_on"]


async def test_the_page_makes_a_union_representatives_token(client):
    page = await client.get("/admin/api-tokens")
    async with database(client) as db:
        union = await db.scalar(select(Organisation).where(Organisation.kind == "union"))
    # The lists are filled: the union can be chosen.
    assert re.search(
        rf'<option value="{union.id}"[^>]*>{re.escape(union.name)}</option>', page.text
    )
    assert '<option value="2"' in page.text.split('id="municipality_id"')[1]
    made = await post_form(
        client,
        "/admin/api-tokens",
        {"name": "Tillitsvalgt-skript", "role": "union_rep", "union_id": str(union.id)},
    )
    assert made.status_code == 200, made.text
    assert '<code class="secret">mv_' in made.text
    async with database(client) as db:
        token = await db.scalar(select(ApiToken).where(ApiToken.name == "Tillitsvalgt-skript"))
        assert token.union_id == union.id
        assert token.municipality_id is None
        assert token.expires_at is None


async def test_a_union_representatives_token_needs_a_union_that_exists(client):
    async with database(client) as db:
        union = await db.scalar(select(Organisation.id).where(Organisation.kind == "union"))
        not_a_union = await db.scalar(select(Organisation.id).where(Organisation.kind == "network"))
    assert union
    assert not_a_union
    cases = [
        ({"role": "union_rep"}, "union_id"),
        ({"role": "union_rep", "union_id": 999_999}, "union_id"),
        ({"role": "union_rep", "union_id": not_a_union}, "union_id"),
        ({"role": "union_rep", "union_id": union, "municipality_id": 999_999}, "municipality_id"),
        ({"role": "steering", "municipality_id": 2}, "union_id"),
    ]
    for fields, field in cases:
        refused = await client.post("/api/api-tokens", json={"name": "Skript", **fields})
        assert refused.status_code == 422, (fields, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert (await client.get("/api/api-tokens")).json() == []
