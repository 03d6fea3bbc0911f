"""Phases, milestones and risk factors through the JSON API, on both databases."""

from __future__ import annotations

import pytest

from tests.support import assert_refused, find_id, total


async def test_the_mandates_three_phases_and_their_milestones_are_seeded(client):
    phases = (await client.get("/api/phases")).json()["items"]
    assert [p["number"] for p in phases] == [1, 2, 3]
    assert phases[1]["name"] == "Anskaffe felles ERP-løsning"
    milestones = (await client.get("/api/milestones", params={"limit": 100})).json()["items"]
    by_phase = {
        n: [m for m in milestones if m["phase"]["id"] == phases[n - 1]["id"]] for n in (1, 2, 3)
    }
    assert all(by_phase.values())
    assert "Lyse ut konkurransen" in [m["name"] for m in by_phase[2]]
    assert any("sluttrapport" in m["name"] for m in by_phase[3])
    # Ordered by date, so the plan reads as a timeline.
    dates = [m["due_on"] for m in milestones]
    assert dates == sorted(dates)


async def test_the_five_critical_success_factors_are_seeded_with_follow_up(client):
    factors = (await client.get("/api/risk-factors")).json()["items"]
    assert [f["number"] for f in factors] == [1, 2, 3, 4, 5]
    assert factors[0]["risk"].startswith("Manglende forankring")
    assert "KDU" in factors[0]["follow_up"]
    assert "½ år" in factors[3]["follow_up"]
    assert "sluttrapport" in factors[4]["follow_up"]


async def test_phase_create_edit_deactivate(client):
    created = await client.post(
        "/api/phases",
        json={
            "number": 4,
            "name": "Forvaltning",
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
        },
    )
    assert created.status_code == 201, created.text
    edited = await client.patch(
        f"/api/phases/{created.json()['id']}", json={"ends_on": "2028-06-30"}
    )
    assert edited.json()["ends_on"] == "2028-06-30"
    gone = await client.post(f"/api/phases/{created.json()['id']}/deactivate")
    assert gone.json()["active"] is False


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (
            {"number": 4, "name": "X", "starts_on": "2027-02-01", "ends_on": "2027-01-01"},
            422,
            "ends_on",
        ),
        (
            {"number": 1, "name": "X", "starts_on": "2027-01-01", "ends_on": "2027-02-01"},
            409,
            "number",
        ),
        (
            {"number": 0, "name": "X", "starts_on": "2027-01-01", "ends_on": "2027-02-01"},
            400,
            "number",
        ),
        (
            {"number": 4, "name": "X", "starts_on": "i morgen", "ends_on": "2027-02-01"},
            400,
            "starts_on",
        ),
    ],
)
async def test_bad_phase_is_refused(client, body, status, field):
    before = await total(client, "phases")
    assert_refused(await client.post("/api/phases", json=body), status, field)
    assert await total(client, "phases") == before


async def test_editing_a_phase_to_end_before_it_starts_is_refused(client):
    phase = await find_id(client, "phases", q="Implementere")
    response = await client.patch(f"/api/phases/{phase}", json={"ends_on": "2020-01-01"})
    assert_refused(response, 422, "ends_on")
    assert (await client.get(f"/api/phases/{phase}")).json()["ends_on"] == "2026-12-31"


async def test_milestone_create_move_and_deactivate(client):
    phase = await find_id(client, "phases", q="Implementere")
    created = await client.post(
        "/api/milestones",
        json={
            "phase_id": phase,
            "name": "Evaluering etter seks måneders drift",
            "due_on": "2026-10-31",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["phase"]["id"] == phase
    moved = await client.patch(
        f"/api/milestones/{created.json()['id']}", json={"due_on": "2026-11-30"}
    )
    assert moved.json()["due_on"] == "2026-11-30"
    listed = await client.get("/api/milestones", params={"phase_id": phase, "q": "seks måneders"})
    assert len(listed.json()["items"]) == 1
    gone = await client.post(f"/api/milestones/{created.json()['id']}/deactivate")
    assert gone.json()["active"] is False


async def test_milestone_needs_a_phase_that_exists(client):
    before = await total(client, "milestones")
    response = await client.post(
        "/api/milestones", json={"phase_id": 9999, "name": "X", "due_on": "2026-01-01"}
    )
    assert_refused(response, 422, "phase_id")
    assert await total(client, "milestones") == before


async def test_risk_factor_create_edit_and_rules(client):
    created = await client.post(
        "/api/risk-factors",
        json={"number": 6, "risk": "Leverandøren leverer sent", "follow_up": "Dagmulkt"},
    )
    assert created.status_code == 201, created.text
    edited = await client.patch(
        f"/api/risk-factors/{created.json()['id']}",
        json={"follow_up": "Tett oppfølging og dagmulkt"},
    )
    assert edited.json()["follow_up"] == "Tett oppfølging og dagmulkt"
    before = await total(client, "risk-factors")
    assert_refused(
        await client.post("/api/risk-factors", json={"number": 1, "risk": "X", "follow_up": "Y"}),
        409,
        "number",
    )
    assert_refused(
        await client.post("/api/risk-factors", json={"number": 7, "risk": " ", "follow_up": "Y"}),
        400,
        "risk",
    )
    assert await total(client, "risk-factors") == before
