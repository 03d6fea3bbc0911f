"""Deny by default: every route of the app against every role, on both databases.

The test walks the app's own route list, so a new route without an access rule, or with a
rule that lets the wrong role in, fails here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from litestar import get
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from medvirkning.app import create_app
from medvirkning.auth.access import PUBLIC, SIGNED_IN
from medvirkning.auth.middleware import SESSION_COOKIE
from medvirkning.auth.models import Role
from medvirkning.db import utcnow
from tests import scenario
from tests.support import database, post_form, sign_in_as

ROLES = [Role.ADMIN, Role.STEERING, Role.MEMBER, Role.UNION_REP]
# Path parameters name no record: a request is refused or allowed before anything is found.
PARAMETER_VALUES = {"int": "999999", "str": "noe", "path": "designsystemet/theme.css"}


def concrete(path: str) -> str:
    return re.sub(r"\{\w+:(\w+)\}", lambda m: PARAMETER_VALUES[m.group(1)], path)


def every_endpoint(app: Any) -> list[tuple[str, str, Any]]:
    endpoints = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                endpoints.append((method, route.path, handler))
    # Sign-out last: it ends the session the other requests use.
    return sorted(endpoints, key=lambda e: (e[1] == "/logg-ut", e[1], e[0]))


def test_every_route_has_an_access_rule(client):
    missing = [
        f"{method} {path}"
        for method, path, handler in every_endpoint(client.app)
        if "allow" not in handler.opt
    ]
    assert missing == []


def expected_to_pass(rule: Any, role: Role | None) -> bool:
    if rule == PUBLIC:
        return True
    if role is None:
        return False
    return rule == SIGNED_IN or role in rule


async def call(client: Any, method: str, path: str) -> int:
    url = concrete(path)
    if method == "GET":
        response = await client.get(url, follow_redirects=False)
    elif path.startswith("/api/"):
        response = await client.request(method, url, json={})
    else:
        response = await post_form(client, url, {}, follow_redirects=False)
    return response.status_code


def refused(status: int, role: Role | None, path: str) -> bool:
    if role is None and not path.startswith("/api/"):
        return status == 303  # a browser is sent to sign in
    return status in (401, 403)


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "anonymous"])
async def test_each_role_reaches_exactly_the_routes_its_rule_allows(anonymous, role):
    client = anonymous
    if role is not None:
        await sign_in_as(client, role, union="Fagforbundet", municipality="Rollag")
    wrong = []
    for method, path, handler in every_endpoint(client.app):
        status = await call(client, method, path)
        allowed = expected_to_pass(handler.opt["allow"], role)
        if allowed and (status in (401, 403) or (role is None and status == 303 and path != "/")):
            wrong.append(f"{method} {path}: {status}, but the rule lets {role or 'anyone'} in")
        if not allowed and not refused(status, role, path):
            wrong.append(f"{method} {path}: {status}, but the rule keeps {role or 'anyone'} out")
    assert wrong == []


async def test_a_route_added_without_a_rule_is_refused_even_to_an_admin(settings):
    @get("/uten-regel", sync_to_thread=False)
    def no_rule() -> str:
        return "hemmelig"

    app = create_app(settings)  # its own: the route must not stay for other tests
    app.register(no_rule)
    async with AsyncTestClient(app=app) as client:
        await sign_in_as(client, Role.ADMIN)
        response = await client.get("/uten-regel")
    assert response.status_code == 403
    assert "hemmelig" not in response.text


async def test_people_and_audit_are_not_shown_to_steering_or_members(anonymous):
    await sign_in_as(anonymous, Role.STEERING, Role.MEMBER)
    for path in [
        "/api/people",
        "/admin/people",
        "/api/audit-events",
        "/admin/audit",
        "/api/outbox",
    ]:
        assert (await anonymous.get(path)).status_code == 403, path
    menu = (await anonymous.get("/")).text
    assert 'href="/admin/people"' not in menu
    assert 'href="/admin/municipalities"' in menu


async def test_anonymous_pages_send_the_browser_to_sign_in(anonymous):
    response = await anonymous.get("/admin/municipalities", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/logg-inn"
    api = await anonymous.get("/api/municipalities")
    assert api.status_code == 401
    assert api.json()["code"] == "unauthorized"
    assert api.json()["message"] == "Du må logge inn."
    assert SESSION_COOKIE not in anonymous.cookies


async def test_an_api_write_from_another_sites_page_does_not_get_the_session(client):
    body = {"name": "Fra fremmed side", "role": "admin"}
    forged = await client.post(
        "/api/api-tokens", json=body, headers={"origin": "https://angriper.example"}
    )
    assert forged.status_code == 401
    fetched = await client.post(
        "/api/api-tokens", json=body, headers={"sec-fetch-site": "cross-site"}
    )
    assert fetched.status_code == 401
    assert (await client.get("/api/api-tokens")).json() == []
    own = await client.post(
        "/api/api-tokens", json=body, headers={"origin": "http://127.0.0.1:8000"}
    )
    assert own.status_code == 201


# --- the second walk: records outside a role's scope --------------------------------------

OUT_OF_SCOPE_TITLE = "Utenfor rekkevidde: budsjettmøte"
SCOPED_PARAMETERS = ("meeting_id", "invitation_id")


async def _meetings_in_and_out_of_scope(client: Any, person_id: int) -> dict[str, str]:
    """A meeting the user is invited to, and one they are not: the ids of the second."""
    async with database(client) as db, db.begin():
        rollag = (await scenario.municipality_ids(db))["Rollag"]
        others = await scenario.add_people(db, 3, rollag, prefix="annen")
        soon = utcnow() + timedelta(days=10)
        await scenario.add_meeting(db, "Innenfor: referansegruppe", soon, [person_id])
        meeting_id, invitations = await scenario.add_meeting(
            db, OUT_OF_SCOPE_TITLE, soon + timedelta(days=1), others
        )
    return {"meeting_id": str(meeting_id), "invitation_id": str(invitations[0])}


def _scoped(path: str, ids: dict[str, str], person_id: int) -> str:
    def value(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        return ids.get(name) or (str(person_id) if name == "person_id" else PARAMETER_VALUES[kind])

    return re.sub(r"\{(\w+):(\w+)\}", value, path)


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_is_refused_or_not_shown_the_records_outside_its_scope(anonymous, role):
    client = anonymous
    person_id = await sign_in_as(client, role, union="Fagforbundet", municipality="Rollag")
    ids = await _meetings_in_and_out_of_scope(client, person_id)
    sees_everything = role == Role.ADMIN
    wrong = []
    for method, path, handler in every_endpoint(client.app):
        if path == "/logg-ut" or not expected_to_pass(handler.opt["allow"], role):
            continue  # the first walk covers the route rules
        if any(f"{{{name}:" in path for name in SCOPED_PARAMETERS):
            url = _scoped(path, ids, person_id)
            if method == "GET":
                response = await client.get(url, follow_redirects=False)
            elif path.startswith("/api/"):
                response = await client.post(url, json={"answer": "accepted"})
            else:
                response = await post_form(
                    client, url, {"svar": "accepted"}, follow_redirects=False
                )
            if not sees_everything and response.status_code not in (403, 404):
                wrong.append(f"{method} {url}: {response.status_code} for {role}")
        elif method == "GET" and "{" not in path and not path.startswith("/schema"):
            response = await client.get(path, follow_redirects=False)
            if not sees_everything and OUT_OF_SCOPE_TITLE in response.text:
                wrong.append(f"GET {path} shows a meeting {role} is not invited to")
    assert wrong == []
    # The walk reached the records: the user's own meeting is there, the other is not.
    mine = (await client.get("/api/my/meetings")).json()
    assert [m["meeting"]["title"] for m in mine] == ["Innenfor: referansegruppe"]
