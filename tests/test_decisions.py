"""A decision concerns a set of municipalities: the API, the filter, the form's checkboxes,
the migration that made the set from one (or no) municipality, and the anchoring record."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from medvirkning.audit import AuditEvent
from medvirkning.db import create_engine
from medvirkning.inputs.models import DecisionMunicipality
from medvirkning.migrate import alembic_config
from medvirkning.region.models import Municipality
from medvirkning.register_links import as_ids
from tests.conftest import BACKENDS, _pg_admin, _sqlalchemy_pg_url
from tests.support import assert_refused, database, edit_version, post_form


async def ids_by_name(client) -> dict[str, int]:
    async with database(client) as db:
        return dict((await db.execute(select(Municipality.name, Municipality.id))).all())


def decision(municipality_ids: list[int], **fields: object) -> dict[str, object]:
    return {
        "body": "council",
        "decided_on": "2025-06-12",
        "title": "Felles lønnssystem",
        "municipality_ids": municipality_ids,
    } | fields


async def test_a_decision_is_created_read_and_changed_with_a_set_of_municipalities(client):
    m = await ids_by_name(client)
    kongsberg, flesberg, rollag = m["Kongsberg"], m["Flesberg"], m["Rollag"]
    created = await client.post(
        "/api/decisions", json=decision([rollag, kongsberg, flesberg, kongsberg])
    )
    assert created.status_code == 201, created.text
    body = created.json()
    # The same municipality twice counts once.
    assert body["municipality_ids"] == sorted([kongsberg, flesberg, rollag])
    assert [r["name"] for r in body["municipalities"]] == ["Flesberg", "Kongsberg", "Rollag"]
    url = f"/api/decisions/{body['id']}"
    assert (await client.get(url)).json()["municipality_ids"] == body["municipality_ids"]
    # Changing only the set is a change: the version moves on, and the audit log has it.
    changed = await client.patch(url, json={"municipality_ids": [rollag]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["municipality_ids"] == [rollag]
    assert changed.json()["version"] != body["version"]
    assert (await client.get(url)).json()["municipalities"] == [{"id": rollag, "name": "Rollag"}]
    async with database(client) as db:
        stored = await db.scalars(
            select(DecisionMunicipality.municipality_id).where(
                DecisionMunicipality.decision_id == body["id"]
            )
        )
        assert list(stored) == [rollag]
        removed = await db.scalars(
            select(AuditEvent.before).where(
                AuditEvent.entity == "decision_municipality", AuditEvent.action == "delete"
            )
        )
        assert {row["municipality_id"] for row in removed} == {kongsberg, flesberg}
    # Someone who read the first version cannot save over the change.
    stale = await client.patch(url, json={"summary": "Ny", "version": body["version"]})
    assert stale.status_code == 409
    assert stale.json()["current"]["municipality_ids"] == [rollag]


async def test_a_decision_must_concern_municipalities_that_exist(client):
    m = await ids_by_name(client)
    before = (await client.get("/api/decisions", params={"total": True})).json()["total"]
    empty = await client.post("/api/decisions", json=decision([]))
    body = assert_refused(empty, 422, "municipality_ids")
    assert body["errors"][0]["message"] == "Velg minst én kommune vedtaket gjelder."
    unknown = await client.post("/api/decisions", json=decision([m["Tinn"], 99_999]))
    body = assert_refused(unknown, 422, "municipality_ids")
    assert body["errors"][0]["message"] == "Velg kommuner som finnes."
    malformed = await client.post("/api/decisions", json=decision([0]))
    assert malformed.status_code == 400
    assert [e["field"] for e in malformed.json()["errors"]] == ["municipality_ids[0]"]
    assert (await client.get("/api/decisions", params={"total": True})).json()["total"] == before
    first = (await client.get("/api/decisions")).json()["items"][0]
    cleared = await client.patch(f"/api/decisions/{first['id']}", json={"municipality_ids": []})
    assert_refused(cleared, 422, "municipality_ids")
    assert len((await client.get(f"/api/decisions/{first['id']}")).json()["municipality_ids"]) == 8


async def test_the_filter_lists_the_decisions_concerning_a_municipality(client):
    m = await ids_by_name(client)
    await client.post("/api/decisions", json=decision([m["Kongsberg"], m["Flesberg"]]))
    await client.post("/api/decisions", json=decision([m["Tinn"]], title="Tinns budsjett"))
    titles = {
        name: [
            d["title"]
            for d in (await client.get(f"/api/decisions?municipality_id={m[name]}")).json()["items"]
        ]
        for name in ("Kongsberg", "Tinn", "Rollag")
    }
    kdu = [
        "Forstudie av en fremtidig samarbeidsmodell for økonomifunksjonen",
        "Anskaffelse av felles ERP-system",
    ]
    assert titles["Kongsberg"] == ["Felles lønnssystem", *kdu]
    assert titles["Tinn"] == ["Tinns budsjett", *kdu]
    assert titles["Rollag"] == kdu
    page = await client.get(f"/admin/decisions?municipality_id={m['Tinn']}")
    assert "Tinns budsjett" in page.text
    assert "Felles lønnssystem" not in page.text
    # The list names the set, or says all eight.
    listed = (await client.get("/admin/decisions")).text
    assert "Flesberg, Kongsberg" in listed
    assert listed.count("Alle åtte kommuner") == 2


async def test_the_form_keeps_the_ticked_municipalities_when_refused(client):
    m = await ids_by_name(client)
    ticked = [str(m["Kongsberg"]), str(m["Rollag"])]
    form = {"body": "kdu", "decided_on": "2025-06-12", "title": "", "municipality_ids": ticked}
    refused = await post_form(client, "/admin/decisions/new", form)
    assert refused.status_code == 422, refused.text
    checked = set(
        re.findall(r'name="municipality_ids" id="[^"]+" value="(\d+)" checked', refused.text)
    )
    assert checked == set(ticked)
    assert "<legend" in refused.text
    saved = await post_form(
        client, "/admin/decisions/new", form | {"title": "Lønn"}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    url = saved.headers["location"].split("?")[0]
    decision_id = int(url.rsplit("/", 1)[1])
    read = (await client.get(f"/api/decisions/{decision_id}")).json()
    assert read["municipality_ids"] == sorted(int(i) for i in ticked)
    # Unticking every box is refused at the fieldset, with nothing ticked shown.
    version = await edit_version(client, url)
    unticked = await post_form(
        client,
        url,
        {k: v for k, v in form.items() if k != "municipality_ids"}
        | {"title": "Lønn", "version": version},
    )
    assert unticked.status_code == 422
    assert 'id="municipality_ids-error">Velg minst én kommune vedtaket gjelder.' in unticked.text
    assert 'value="' + ticked[0] + '" checked' not in unticked.text
    assert (await client.get(f"/api/decisions/{decision_id}")).json()["municipality_ids"] == read[
        "municipality_ids"
    ]


async def test_a_stale_save_of_the_set_shows_what_the_other_person_ticked(client):
    m = await ids_by_name(client)
    created = await client.post("/api/decisions", json=decision([m["Tinn"]]))
    url = f"/admin/decisions/{created.json()['id']}"
    tab_one = await edit_version(client, url)
    tab_two = await edit_version(client, url)
    form = {"body": "council", "decided_on": "2025-06-12", "title": "Felles lønnssystem"}
    both = [str(m["Kongsberg"]), str(m["Rollag"])]
    first = await post_form(
        client, url, form | {"municipality_ids": both, "version": tab_one}, follow_redirects=False
    )
    assert first.status_code == 303
    notodden = str(m["Notodden"])
    second = await post_form(client, url, form | {"municipality_ids": notodden, "version": tab_two})
    assert second.status_code == 409
    assert 'id="municipality_ids-stored">Lagret av den andre: <strong>Kongsberg, Rollag<' in (
        second.text
    )
    checked = re.findall(r'name="municipality_ids" id="[^"]+" value="(\d+)" checked', second.text)
    assert checked == [notodden]  # what this user ticked is kept
    assert (await client.get(f"/api/decisions/{created.json()['id']}")).json()[
        "municipality_ids"
    ] == sorted([m["Kongsberg"], m["Rollag"]])


def test_ticked_ids_are_compared_as_numbers():
    # One ticked box comes from a form as a string: "12" is twelve, not one and two.
    assert as_ids("12") == {12}
    assert as_ids(["3", "12"]) == {3, 12}
    assert as_ids([3, 12]) == {3, 12}
    assert as_ids(None) == set()


async def test_the_openapi_schema_names_the_set(client):
    schema = (await client.get("/schema/openapi.json")).json()
    create = schema["components"]["schemas"]["DecisionCreate"]
    assert create["properties"]["municipality_ids"]["type"] == "array"
    assert "municipality_ids" in create["required"]


async def test_a_decision_is_evidence_for_each_municipality_it_concerns(client):
    m = await ids_by_name(client)
    title = "Felles kontoplan for Kongsberg og Flesberg"
    created = await client.post(
        "/api/decisions",
        json=decision([m["Kongsberg"], m["Flesberg"]], title=title, decided_on="2025-06-12"),
    )
    assert created.status_code == 201, created.text
    record = (await client.get("/forankring/forankring.json")).json()

    def decisions_in(name: str) -> int:
        cell = next(c for c in record["cells"] if c["municipality"] == name and c["phase"] == 3)
        return sum(f["value"] for f in cell["figures"] if f["label"] == "vedtak")

    assert (decisions_in("Kongsberg"), decisions_in("Flesberg"), decisions_in("Tinn")) == (1, 1, 0)
    assert decisions_in("Hele regionen") == 1
    phase = next(p for p in (await client.get("/api/phases")).json()["items"] if p["number"] == 3)
    for name, listed in (("Kongsberg", True), ("Flesberg", True), ("Tinn", False)):
        cell = await client.get(f"/forankring/fase/{phase['id']}/kommune/{m[name]}")
        assert cell.status_code == 200
        assert (title in cell.text) is listed, name
    cell = (await client.get(f"/forankring/fase/{phase['id']}/kommune/{m['Kongsberg']}")).text
    assert "gjelder Flesberg, Kongsberg" in cell


@pytest.fixture(params=BACKENDS)
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables, for migrating step by step."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"empty_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    yield _sqlalchemy_pg_url(name)
    await _pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


async def test_the_migration_makes_each_decisions_municipality_its_set(empty_database):
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0011"))
            for number, name in (("3006", "Kongsberg"), ("3050", "Flesberg"), ("3052", "Rollag")):
                await connection.execute(
                    text(
                        "INSERT INTO municipality (number, name, language_form, active, "
                        f"created_at, updated_at) VALUES ('{number}', '{name}', 'bokmal', true, "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
            flesberg = await connection.scalar(
                text("SELECT id FROM municipality WHERE name = 'Flesberg'")
            )
            for title, municipality in (("For alle", "NULL"), ("For Flesberg", str(flesberg))):
                await connection.execute(
                    text(
                        "INSERT INTO decision (body, decided_on, case_number, title, summary, "
                        "municipality_id, document_url, active, created_at, updated_at) VALUES "
                        f"('kdu', '2024-01-10', '', '{title}', '', {municipality}, '', true, "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
            rows = await connection.execute(
                text(
                    "SELECT decision.title, municipality.name FROM decision_municipality "
                    "JOIN decision ON decision.id = decision_municipality.decision_id "
                    "JOIN municipality ON municipality.id = decision_municipality.municipality_id"
                )
            )
            links = sorted(tuple(row) for row in rows)
            columns = await connection.run_sync(
                lambda c: [col["name"] for col in inspect(c).get_columns("decision")]
            )
        # Back again: one municipality is kept, all of them become none.
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "0011"))
            rows = await connection.execute(text("SELECT title, municipality_id FROM decision"))
            downgraded = sorted(tuple(row) for row in rows)
    finally:
        await engine.dispose()
    assert links == [
        ("For Flesberg", "Flesberg"),
        ("For alle", "Flesberg"),
        ("For alle", "Kongsberg"),
        ("For alle", "Rollag"),
    ]
    assert "municipality_id" not in columns
    assert downgraded == [("For Flesberg", flesberg), ("For alle", None)]


@pytest.mark.parametrize("odd", [str(2**31), str(2**63), "1e9", "-1", "1\x00", "٣"])
async def test_an_odd_municipality_id_in_the_form_is_refused_and_writes_nothing(client, odd):
    form = {"body": "kdu", "decided_on": "2025-06-12", "title": "Rart", "municipality_ids": [odd]}
    refused = await post_form(client, "/admin/decisions/new", form)
    assert 400 <= refused.status_code < 500
    assert (await client.get("/api/decisions", params={"q": "Rart"})).json()["items"] == []
