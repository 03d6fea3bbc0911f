"""The audit log: an entry for each kind of change, written with the change, readable by
admins, and no way to change an entry."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from medvirkning.audit import AuditEvent
from medvirkning.cli import main
from tests.support import database, edit_version, find_id, post_form

ADMIN_LABEL = "Test prosjektleder <prosjektleder@kongsbergregionen.no>"


async def events(client, **filters) -> list[dict]:
    response = await client.get("/api/audit-events", params={"limit": 500, **filters})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_create_update_deactivate_reactivate_are_logged_with_who_and_what(client):
    created = await client.post(
        "/api/municipalities", json={"number": "3399", "name": "Prøve", "language_form": "bokmal"}
    )
    record_id = created.json()["id"]
    await client.patch(f"/api/municipalities/{record_id}", json={"name": "Prøve II"})
    await client.post(f"/api/municipalities/{record_id}/deactivate")
    await client.post(f"/api/municipalities/{record_id}/reactivate")

    logged = await events(client, entity="municipality", entity_id=record_id)
    assert [e["action"] for e in reversed(logged)] == [
        "create",
        "update",
        "deactivate",
        "reactivate",
    ]
    assert {e["actor_label"] for e in logged} == {ADMIN_LABEL}
    create, update, deactivate, _ = reversed(logged)
    assert create["before"] is None
    assert create["after"] == {
        "id": record_id,
        "number": "3399",
        "name": "Prøve",
        "language_form": "bokmal",
        "active": True,
    }
    assert update["before"] == {"name": "Prøve"}
    assert update["after"] == {"name": "Prøve II"}
    assert deactivate["before"] == {"active": True}
    assert deactivate["after"] == {"active": False}


async def test_changes_through_pages_are_logged_too(client):
    tinn = await find_id(client, "municipalities", q="Tinn")
    version = await edit_version(client, f"/admin/municipalities/{tinn}")
    await post_form(
        client,
        f"/admin/municipalities/{tinn}",
        {"number": "4026", "name": "Tinn", "language_form": "nynorsk", "version": version},
    )
    [seeded, logged] = reversed(await events(client, entity="municipality", entity_id=tinn))
    assert (seeded["action"], seeded["actor_label"]) == ("create", "system")
    assert logged["action"] == "update"
    assert logged["before"] == {"language_form": "neutral"}
    assert logged["after"] == {"language_form": "nynorsk"}


async def test_a_refused_change_leaves_no_entry(client):
    before = len(await events(client))
    response = await client.post(
        "/api/municipalities", json={"number": "3303", "name": "Kopi", "language_form": "bokmal"}
    )
    assert response.status_code == 409
    assert len(await events(client)) == before


async def test_memberships_roles_and_tokens_are_logged_and_secrets_are_not(client):
    group = await client.post(
        "/api/groups", json={"name": "Prosjektgruppa", "kind": "project_group"}
    )
    me = (await client.get("/api/me")).json()
    await client.post(
        "/api/memberships",
        json={
            "group_id": group.json()["id"],
            "person_id": me["person_id"],
            "role": "leader",
            "starts_on": "2024-01-01",
        },
    )
    await client.post("/api/role-grants", json={"person_id": me["person_id"], "role": "steering"})
    token = await client.post("/api/api-tokens", json={"name": "Eksport", "role": "steering"})
    await client.post(f"/api/api-tokens/{token.json()['token']['id']}/revoke")

    entities = {(e["entity"], e["action"]) for e in await events(client)}
    assert {
        ("group", "create"),
        ("membership", "create"),
        ("role_grant", "create"),
        ("api_token", "create"),
        ("api_token", "update"),
        ("person", "sign_in"),
    } <= entities
    token_events = await events(client, entity="api_token")
    assert all("token_hash" not in (e["after"] or {}) for e in token_events)
    assert token.json()["secret"] not in str(token_events)


async def test_imported_people_are_logged_with_the_command_as_actor(client, settings, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_text("Navn;E-post;Kommune\nAnne;anne@rollag.kommune.no;Rollag\n", encoding="utf-8")
    env = {
        "MEDVIRKNING_DATABASE_URL": settings.database_url,
        "MEDVIRKNING_DATA_DIR": str(settings.data_dir),
    }
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["import-people", str(path)], env=env
    )
    assert result.exit_code == 0, result.output
    [logged] = [
        e
        for e in await events(client, entity="person", action="create")
        if e["after"]["email"] == "anne@rollag.kommune.no"
    ]
    assert logged["actor_label"] == "kommandolinjen (import-people hr.csv)"
    assert logged["after"]["email"] == "anne@rollag.kommune.no"


async def test_sign_out_is_logged(client):
    await post_form(client, "/logg-ut", {})
    async with database(client) as db:
        actions = list(await db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["sign_in", "sign_out"]


async def test_admins_read_and_filter_the_log_as_a_page(client):
    await client.post(
        "/api/municipalities", json={"number": "3399", "name": "Prøve", "language_form": "bokmal"}
    )
    page = await client.get("/admin/audit", params={"entity": "municipality", "action": "create"})
    assert page.status_code == 200
    assert "Prøve" in page.text
    assert "opprettet" in page.text
    assert "Test prosjektleder" in page.text
    bad = await client.get("/admin/audit", params={"since": "i går"})
    assert bad.status_code == 400
    assert "since" in bad.text


def test_no_route_of_the_app_can_change_the_log(client):
    for route in client.app.routes:
        if "audit" in route.path:
            assert route.methods <= {"GET", "HEAD", "OPTIONS"}, route.path


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_event SET actor_label = 'x'", "DELETE FROM audit_event"]
)
async def test_the_database_itself_refuses_to_edit_or_delete_an_entry(client, statement):
    async with database(client) as db:
        count = await db.scalar(select(func.count()).select_from(AuditEvent))
        assert count > 0
        with pytest.raises(DBAPIError, match="append-only"):
            await db.execute(text(statement))
        await db.rollback()
        assert await db.scalar(select(func.count()).select_from(AuditEvent)) == count
