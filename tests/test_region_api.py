"""The municipality and organisation registers through the JSON API, on both databases."""

from __future__ import annotations

import pytest

from tests.support import assert_refused, find_id, total


async def test_the_eight_municipalities_are_seeded_with_number_and_language_form(client):
    response = await client.get("/api/municipalities")
    assert response.status_code == 200
    items = {m["name"]: m for m in response.json()["items"]}
    assert {name: (m["number"], m["language_form"]) for name, m in items.items()} == {
        "Kongsberg": ("3303", "bokmal"),
        "Notodden": ("4005", "neutral"),
        "Tinn": ("4026", "neutral"),
        "Sigdal": ("3332", "bokmal"),
        "Nore og Uvdal": ("3338", "neutral"),
        "Flesberg": ("3334", "bokmal"),
        "Hjartdal": ("4024", "nynorsk"),
        "Rollag": ("3336", "neutral"),
    }


async def test_municipality_create_read_update_deactivate_and_reactivate(client):
    created = await client.post(
        "/api/municipalities",
        json={"number": "3399", "name": "Prøvekommune", "language_form": "nynorsk"},
    )
    assert created.status_code == 201, created.text
    municipality_id = created.json()["id"]
    read = await client.get(f"/api/municipalities/{municipality_id}")
    assert read.json() == created.json() | {"active": True}

    updated = await client.patch(
        f"/api/municipalities/{municipality_id}", json={"name": "Prøvekommune II"}
    )
    assert updated.status_code == 200
    assert updated.json()["name"] == "Prøvekommune II"
    assert updated.json()["number"] == "3399"

    deactivated = await client.post(f"/api/municipalities/{municipality_id}/deactivate")
    assert deactivated.json()["active"] is False
    listed = await client.get("/api/municipalities")
    assert "Prøvekommune II" not in [m["name"] for m in listed.json()["items"]]
    everything = await client.get("/api/municipalities", params={"include_inactive": True})
    assert "Prøvekommune II" in [m["name"] for m in everything.json()["items"]]
    # Deactivated, not deleted: it can still be read and brought back.
    assert (await client.get(f"/api/municipalities/{municipality_id}")).status_code == 200
    reactivated = await client.post(f"/api/municipalities/{municipality_id}/reactivate")
    assert reactivated.json()["active"] is True


async def test_municipality_search_finds_by_name_and_number(client):
    by_name = await client.get("/api/municipalities", params={"q": "uvdal"})
    assert [m["name"] for m in by_name.json()["items"]] == ["Nore og Uvdal"]
    by_number = await client.get("/api/municipalities", params={"q": "4024"})
    assert [m["name"] for m in by_number.json()["items"]] == ["Hjartdal"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"number": "33", "name": "X", "language_form": "bokmal"}, 400, "number"),
        ({"number": 3390, "name": "X", "language_form": "bokmal"}, 400, "number"),
        ({"number": "3390", "name": "  ", "language_form": "bokmal"}, 400, "name"),
        ({"number": "3390", "language_form": "bokmal"}, 400, "name"),
        ({"number": "3390", "name": "X", "language_form": "samisk"}, 400, "language_form"),
        (
            {"number": "3390", "name": "X", "language_form": "bokmal", "fylke": "Buskerud"},
            400,
            "fylke",
        ),
        ({"number": "3303", "name": "Ny", "language_form": "bokmal"}, 409, "number"),
        ({"number": "3390", "name": "KONGSBERG", "language_form": "bokmal"}, 409, "name"),
    ],
)
async def test_bad_municipality_is_refused_with_the_field_named_and_nothing_written(
    client, body, status, field
):
    before = await total(client, "municipalities")
    response = await client.post("/api/municipalities", json=body)
    assert_refused(response, status, field)
    assert await total(client, "municipalities") == before


async def test_municipality_update_to_a_taken_number_changes_nothing(client):
    tinn = await find_id(client, "municipalities", q="Tinn")
    response = await client.patch(f"/api/municipalities/{tinn}", json={"number": "3303"})
    assert_refused(response, 409, "number")
    assert (await client.get(f"/api/municipalities/{tinn}")).json()["number"] == "4026"


async def test_unknown_municipality_id_is_404_in_norwegian(client):
    response = await client.get("/api/municipalities/9999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "kommune" in response.json()["message"]


async def test_the_regional_bodies_and_unions_are_seeded(client):
    response = await client.get("/api/organisations", params={"limit": 100})
    by_name = {o["name"]: o for o in response.json()["items"]}
    for name in [
        "Kommunedirektørutvalget",
        "Sekretariatet i Kongsbergregionen",
        "HR-nettverket",
        "Økonomisjefnettverket",
        "K-IKT",
        "Regional innkjøper",
        "Personvernombud",
        "Arkivnettverket",
        "LO Kommune",
        "Unio",
        "YS Kommune",
        "Akademikerne",
    ]:
        assert name in by_name, name
    assert by_name["Fagforbundet"]["kind"] == "union"
    assert by_name["Fagforbundet"]["parent"]["name"] == "LO Kommune"
    assert by_name["Kommunedirektørutvalget"]["short_name"] == "KDU"


async def test_organisation_create_update_deactivate(client):
    unio = await find_id(client, "organisations", q="Unio", kind="union_federation")
    created = await client.post(
        "/api/organisations",
        json={"name": "Norsk Ergoterapeutforbund", "kind": "union", "parent_id": unio},
    )
    assert created.status_code == 201, created.text
    assert created.json()["parent"] == {"id": unio, "name": "Unio"}
    organisation_id = created.json()["id"]
    updated = await client.patch(
        f"/api/organisations/{organisation_id}", json={"short_name": "Ergoterapeutene"}
    )
    assert updated.json()["short_name"] == "Ergoterapeutene"
    gone = await client.post(f"/api/organisations/{organisation_id}/deactivate")
    assert gone.json()["active"] is False


async def test_bad_organisations_are_refused(client):
    kdu = await find_id(client, "organisations", q="Kommunedirektørutvalget")
    unio = await find_id(client, "organisations", q="Unio", kind="union_federation")
    before = await total(client, "organisations")
    # Only a union sits under a federation, and only under a federation.
    assert_refused(
        await client.post(
            "/api/organisations", json={"name": "Nettverk X", "kind": "network", "parent_id": unio}
        ),
        422,
        "parent_id",
    )
    assert_refused(
        await client.post(
            "/api/organisations", json={"name": "Forbund X", "kind": "union", "parent_id": kdu}
        ),
        422,
        "parent_id",
    )
    assert_refused(
        await client.post(
            "/api/organisations", json={"name": "Forbund Y", "kind": "union", "parent_id": 9999}
        ),
        422,
        "parent_id",
    )
    assert_refused(
        await client.post("/api/organisations", json={"name": "k-ikt", "kind": "it_service"}),
        409,
        "name",
    )
    assert_refused(
        await client.post("/api/organisations", json={"name": "X", "kind": "klubb"}),
        400,
        "kind",
    )
    assert await total(client, "organisations") == before
