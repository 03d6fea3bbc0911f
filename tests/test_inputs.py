"""The input register with its follow-up, "you said, we did", decisions and learning points."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert, select

from medvirkning.auth.models import Role
from medvirkning.people.models import GroupKind, Membership, MembershipRole
from medvirkning.region.models import Municipality
from tests import scenario
from tests.support import assert_refused, database, find_id, post_form, sign_in_as


async def tinn_meeting_with_a_point(client) -> tuple[int, int, int]:
    """A held meeting of Tinn's reference group with one point raised: meeting, point, group."""
    async with database(client) as db, db.begin():
        tinn = await db.scalar(select(Municipality.id).where(Municipality.name == "Tinn"))
        people = await scenario.add_people(db, 2, tinn, prefix="tinn")
        group_id = await scenario.add_group(
            db, "Referansegruppe Tinn", people, GroupKind.REFERENCE_GROUP, municipality_id=tinn
        )
        meeting_id, _ = await scenario.add_meeting(
            db, "Referansegruppemøte", datetime(2025, 10, 1, 8, tzinfo=UTC), people, [group_id]
        )
    saved = await post_form(
        client,
        f"/admin/meetings/{meeting_id}/points",
        {"text": "Lønnsslippen må kunne leses på mobil", "raised_by": "Kari"},
    )
    assert saved.status_code == 200, saved.text
    point_id = (await client.get(f"/api/meetings/{meeting_id}")).json()["points"][0]["id"]
    return meeting_id, point_id, group_id


async def test_a_meeting_point_becomes_an_input_in_one_step(client):
    meeting_id, point_id, group_id = await tinn_meeting_with_a_point(client)
    taken = await post_form(
        client, f"/admin/meetings/{meeting_id}/points/{point_id}/input", {}, follow_redirects=False
    )
    assert taken.status_code == 303
    input_id = int(taken.headers["location"].split("/")[3].split("?")[0])
    created = (await client.get(f"/api/inputs/{input_id}")).json()
    assert created["text"] == "Lønnsslippen må kunne leses på mobil"
    assert created["municipality"]["name"] == "Tinn"
    assert created["group"]["id"] == group_id
    assert created["source_kind"] == "meeting_point"
    assert created["theme"]["name"] == "Annet"
    assert created["phase"]["name"] == "Implementere felles ERP-løsning"
    assert created["received_on"] == "2025-10-01"
    assert created["status"] == "received"
    page = (await client.get(f"/admin/meetings/{meeting_id}")).text
    assert f'href="/admin/inputs/{input_id}">Registrert som innspill' in page
    assert f"/points/{point_id}/delete" not in page
    again = await post_form(client, f"/admin/meetings/{meeting_id}/points/{point_id}/input", {})
    assert again.status_code == 409
    assert "Punktet er allerede registrert som innspill." in again.text


async def test_follow_up_asks_for_a_reference_or_a_reason(client):
    theme = await find_id(client, "themes", q="Lønn")
    created = await client.post(
        "/api/inputs",
        json={
            "text": "Vi trenger opplæring før lønnskjøringen",
            "stakeholder_kind": "union",
            "theme_id": theme,
            "source_kind": "email",
            "source_note": "E-post fra Fagforbundet",
        },
    )
    assert created.status_code == 201, created.text
    input_id = created.json()["id"]
    assert_refused(
        await client.patch(f"/api/inputs/{input_id}", json={"status": "taken_in"}), 422, "reference"
    )
    assert_refused(
        await client.patch(f"/api/inputs/{input_id}", json={"status": "rejected"}), 422, "reason"
    )
    assert_refused(
        await client.patch(f"/api/inputs/{input_id}", json={"source_kind": "meeting_point"}),
        422,
        "source_kind",
    )
    taken = await client.patch(
        f"/api/inputs/{input_id}",
        json={"status": "taken_in", "reference": "Opplæringsplanen, punkt 3"},
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "taken_in"


async def test_you_said_we_did_is_read_by_the_groups_members_only(client, anonymous):
    meeting_id, point_id, group_id = await tinn_meeting_with_a_point(client)
    taken = await post_form(
        client, f"/admin/meetings/{meeting_id}/points/{point_id}/input", {}, follow_redirects=False
    )
    input_id = int(taken.headers["location"].split("/")[3].split("?")[0])
    await client.patch(
        f"/api/inputs/{input_id}",
        json={"status": "taken_in", "reference": "Krav 7.1 i konkurransegrunnlaget"},
    )
    tinn = await find_id(client, "municipalities", q="Tinn")
    for_municipality = await client.get(f"/innspill/kommuner/{tinn}")
    assert "Dere sa, vi gjorde: Tinn" in for_municipality.text
    assert "Tatt inn i Krav 7.1 i konkurransegrunnlaget." in for_municipality.text

    member = await sign_in_as(anonymous, Role.MEMBER)
    async with database(client) as db, db.begin():
        await db.execute(
            insert(Membership).values(
                group_id=group_id,
                person_id=member,
                role=MembershipRole.MEMBER,
                starts_on=date(2025, 1, 1),
            )
        )
        other = await scenario.add_group(db, "Arbeidsgruppe lønn")
    index = await anonymous.get("/innspill")
    assert f'href="/innspill/grupper/{group_id}"' in index.text
    assert f'href="/innspill/grupper/{other}"' not in index.text
    own = await anonymous.get(f"/innspill/grupper/{group_id}")
    assert own.status_code == 200
    assert "Lønnsslippen må kunne leses på mobil" in own.text
    assert "Tatt inn i Krav 7.1" in own.text
    assert (await anonymous.get(f"/innspill/grupper/{other}")).status_code == 404
    # The member belongs to no municipality (the secretariat): no municipality's page.
    assert (await anonymous.get(f"/innspill/kommuner/{tinn}")).status_code == 404
    assert (await anonymous.get("/api/inputs")).status_code == 403


async def test_the_decision_register_holds_kdus_two_decisions(client):
    items = (await client.get("/api/decisions")).json()["items"]
    assert [(d["decided_on"], d["body"], d["case_number"]) for d in items] == [
        ("2023-08-25", "kdu", ""),
        ("2023-04-28", "kdu", "035/23"),
    ]
    # KDU's decisions concern all eight municipalities.
    assert all(len(d["municipality_ids"]) == 8 for d in items)
    assert all(len(d["municipalities"]) == 8 for d in items)
    page = await client.get("/admin/decisions")
    assert "28.04.2023" in page.text
    assert "Alle åtte kommuner" in page.text


async def test_a_member_records_a_learning_point_and_steering_only_reads(anonymous, client):
    phase = await find_id(client, "phases", q="Anskaffe")
    member = await sign_in_as(anonymous, Role.MEMBER)
    saved = await post_form(
        anonymous,
        "/admin/learning-points/new",
        {
            "kind": "negative",
            "what_happened": "Tilbudsfristen var for kort",
            "known_risk": "yes",
            "phase_id": str(phase),
            "priority": "high",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    point = (await client.get("/api/learning-points")).json()["items"][0]
    assert point["recorded_by"]["id"] == member
    assert point["phase"]["id"] == phase
    refused = await post_form(anonymous, "/admin/learning-points/new", {"kind": "negative"})
    assert refused.status_code == 422
    assert 'id="what_happened-error"' in refused.text
    await sign_in_as(anonymous, Role.STEERING)
    assert (await anonymous.get("/admin/learning-points")).status_code == 200
    blocked = await post_form(anonymous, "/admin/learning-points/new", {}, follow_redirects=False)
    assert blocked.status_code == 403


async def test_the_api_takes_a_point_in_as_input_and_the_input_links_back(client):
    meeting_id, point_id, _ = await tinn_meeting_with_a_point(client)
    created = await client.post(f"/api/meetings/{meeting_id}/points/{point_id}/input")
    assert created.status_code == 201, created.text
    assert created.json()["source_kind"] == "meeting_point"
    assert created.json()["meeting_point_id"] == point_id
    again = await client.post(f"/api/meetings/{meeting_id}/points/{point_id}/input")
    assert again.status_code == 409
    assert again.json()["code"] == "point_already_input"
    page = await client.get(f"/admin/inputs/{created.json()['id']}")
    assert f'href="/admin/meetings/{meeting_id}">Møtet der punktet ble tatt opp' in page.text
