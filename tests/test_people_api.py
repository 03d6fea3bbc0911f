"""The people, group and membership registers through the JSON API, on both databases."""

from __future__ import annotations

import pytest

from tests.support import assert_refused, find_id, total


@pytest.fixture
async def kongsberg(client) -> int:
    return await find_id(client, "municipalities", q="Kongsberg")


async def _person(client, municipality_id: int, email: str = "kari.nordmann@kongsberg.kommune.no"):
    response = await client.post(
        "/api/people",
        json={
            "name": "Kari Nordmann",
            "email": email,
            "municipality_id": municipality_id,
            "title": "Lønnskonsulent",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_person_create_read_update_deactivate(client, kongsberg):
    fagforbundet = await find_id(client, "organisations", q="Fagforbundet")
    person = await _person(client, kongsberg)
    assert person["municipality"] == {"id": kongsberg, "name": "Kongsberg"}
    assert person["language_form"] == "bokmal"

    updated = await client.patch(
        f"/api/people/{person['id']}",
        json={"union_id": fagforbundet, "language_form": "nynorsk", "title": "Hovedtillitsvalgt"},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["union"] == {"id": fagforbundet, "name": "Fagforbundet"}
    assert updated.json()["language_form"] == "nynorsk"
    assert updated.json()["email"] == person["email"]

    found = await client.get("/api/people", params={"q": "nordmann"})
    assert [p["id"] for p in found.json()["items"]] == [person["id"]]
    by_union = await client.get("/api/people", params={"union_id": fagforbundet})
    assert [p["id"] for p in by_union.json()["items"]] == [person["id"]]

    gone = await client.post(f"/api/people/{person['id']}/deactivate")
    assert gone.json()["active"] is False
    assert (await client.get("/api/people", params={"q": "nordmann", "total": True})).json()[
        "total"
    ] == 0


async def test_person_in_a_regional_body_needs_no_municipality(client):
    k_ikt = await find_id(client, "organisations", q="K-IKT")
    response = await client.post(
        "/api/people",
        json={"name": "Ola Drift", "email": "ola@k-ikt.no", "organisation_id": k_ikt},
    )
    assert response.status_code == 201, response.text
    assert response.json()["municipality"] is None
    assert response.json()["organisation"]["name"] == "K-IKT"


async def test_email_is_unique_whatever_its_case(client, kongsberg):
    await _person(client, kongsberg)
    before = await total(client, "people")
    response = await client.post(
        "/api/people",
        json={
            "name": "Kari N.",
            "email": "Kari.Nordmann@Kongsberg.Kommune.no",
            "municipality_id": kongsberg,
        },
    )
    body = assert_refused(response, 409, "email")
    assert "e-post" in body["errors"][0]["message"]
    assert await total(client, "people") == before


async def test_changing_email_to_a_taken_one_changes_nothing(client, kongsberg):
    first = await _person(client, kongsberg)
    second = await _person(client, kongsberg, email="per@kongsberg.kommune.no")
    response = await client.patch(
        f"/api/people/{second['id']}", json={"email": first["email"].upper()}
    )
    assert_refused(response, 409, "email")
    assert (await client.get(f"/api/people/{second['id']}")).json()["email"] == second["email"]


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"municipality_id": 9999}, 422, "municipality_id"),
        ({"municipality_id": None}, 422, "municipality_id"),
        ({"email": "ikke-en-adresse"}, 400, "email"),
        ({"name": ""}, 400, "name"),
        ({"union_id": "Fagforbundet"}, 400, "union_id"),
        ({"language_form": "neutral"}, 400, "language_form"),
        ({"shoe_size": 42}, 400, "shoe_size"),
    ],
)
async def test_bad_person_is_refused_with_the_field_named_and_nothing_written(
    client, kongsberg, changes, status, field
):
    body = {"name": "Nils", "email": "nils@rollag.kommune.no", "municipality_id": kongsberg}
    before = await total(client, "people")
    response = await client.post("/api/people", json=body | changes)
    assert_refused(response, status, field)
    assert await total(client, "people") == before


async def test_a_union_must_be_a_union(client, kongsberg):
    kdu = await find_id(client, "organisations", q="Kommunedirektørutvalget")
    response = await client.post(
        "/api/people",
        json={
            "name": "Nils",
            "email": "nils@rollag.kommune.no",
            "municipality_id": kongsberg,
            "union_id": kdu,
        },
    )
    assert_refused(response, 422, "union_id")


async def test_a_deactivated_municipality_cannot_be_chosen_for_new_people(client):
    rollag = await find_id(client, "municipalities", q="Rollag")
    await client.post(f"/api/municipalities/{rollag}/deactivate")
    response = await client.post(
        "/api/people",
        json={"name": "Nils", "email": "nils@rollag.kommune.no", "municipality_id": rollag},
    )
    assert_refused(response, 422, "municipality_id")


async def test_group_create_update_deactivate(client, kongsberg):
    phase = await find_id(client, "phases", q="Anskaffe")
    regional = await client.post(
        "/api/groups",
        json={"name": "Referansegruppe lønn", "kind": "reference_group", "phase_id": phase},
    )
    assert regional.status_code == 201, regional.text
    assert regional.json()["municipality"] is None  # the whole region
    local = await client.post(
        "/api/groups",
        json={
            "name": "Lokal arbeidsgruppe Kongsberg",
            "kind": "working_group",
            "municipality_id": kongsberg,
            "purpose": "Rutiner for attestasjon",
        },
    )
    assert local.status_code == 201, local.text
    assert local.json()["municipality"]["name"] == "Kongsberg"
    by_kind = await client.get("/api/groups", params={"kind": "working_group"})
    assert [g["name"] for g in by_kind.json()["items"]] == ["Lokal arbeidsgruppe Kongsberg"]
    updated = await client.patch(
        f"/api/groups/{local.json()['id']}", json={"municipality_id": None}
    )
    assert updated.json()["municipality"] is None
    gone = await client.post(f"/api/groups/{local.json()['id']}/deactivate")
    assert gone.json()["active"] is False


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "G", "kind": "reference_group", "municipality_id": 9999}, 422, "municipality_id"),
        ({"name": "G", "kind": "reference_group", "phase_id": 9999}, 422, "phase_id"),
        ({"name": "G", "kind": "fotballag"}, 400, "kind"),
        ({"kind": "reference_group"}, 400, "name"),
        ({"name": "G", "kind": "reference_group", "phase_id": "én"}, 400, "phase_id"),
    ],
)
async def test_bad_group_is_refused(client, body, status, field):
    before = await total(client, "groups")
    assert_refused(await client.post("/api/groups", json=body), status, field)
    assert await total(client, "groups") == before


async def test_group_names_are_unique(client):
    await client.post("/api/groups", json={"name": "Prosjektgruppa", "kind": "project_group"})
    response = await client.post(
        "/api/groups", json={"name": "PROSJEKTGRUPPA", "kind": "project_group"}
    )
    assert_refused(response, 409, "name")


@pytest.fixture
async def group_and_person(client, kongsberg) -> tuple[int, int]:
    group = await client.post(
        "/api/groups", json={"name": "Prosjektgruppa", "kind": "project_group"}
    )
    person = await _person(client, kongsberg)
    return group.json()["id"], person["id"]


async def test_membership_create_update_and_end(client, group_and_person):
    group_id, person_id = group_and_person
    created = await client.post(
        "/api/memberships",
        json={
            "group_id": group_id,
            "person_id": person_id,
            "role": "union_rep",
            "starts_on": "2024-01-15",
        },
    )
    assert created.status_code == 201, created.text
    membership = created.json()
    assert membership["group"]["name"] == "Prosjektgruppa"
    assert membership["person"]["name"] == "Kari Nordmann"
    assert membership["ends_on"] is None
    ended = await client.patch(
        f"/api/memberships/{membership['id']}", json={"ends_on": "2025-06-30"}
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["ends_on"] == "2025-06-30"
    listed = await client.get("/api/memberships", params={"group_id": group_id})
    assert [m["id"] for m in listed.json()["items"]] == [membership["id"]]


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"starts_on": "2025-01-01", "ends_on": "2024-12-31"}, 422, "ends_on"),
        ({"person_id": 9999}, 422, "person_id"),
        ({"group_id": 9999}, 422, "group_id"),
        ({"role": "kaptein"}, 400, "role"),
        ({"starts_on": "31.12.2024"}, 400, "starts_on"),
    ],
)
async def test_bad_membership_is_refused(client, group_and_person, changes, status, field):
    group_id, person_id = group_and_person
    body = {
        "group_id": group_id,
        "person_id": person_id,
        "role": "member",
        "starts_on": "2024-01-01",
    }
    before = await total(client, "memberships")
    assert_refused(await client.post("/api/memberships", json=body | changes), status, field)
    assert await total(client, "memberships") == before


async def test_membership_cannot_end_before_it_starts_on_update(client, group_and_person):
    group_id, person_id = group_and_person
    created = await client.post(
        "/api/memberships",
        json={
            "group_id": group_id,
            "person_id": person_id,
            "role": "member",
            "starts_on": "2024-03-01",
        },
    )
    membership_id = created.json()["id"]
    response = await client.patch(
        f"/api/memberships/{membership_id}", json={"ends_on": "2024-02-01"}
    )
    assert_refused(response, 422, "ends_on")
    assert (await client.get(f"/api/memberships/{membership_id}")).json()["ends_on"] is None


async def test_overlapping_membership_in_the_same_group_is_refused(client, group_and_person):
    group_id, person_id = group_and_person
    body = {
        "group_id": group_id,
        "person_id": person_id,
        "role": "member",
        "starts_on": "2024-01-01",
    }
    assert (
        await client.post("/api/memberships", json=body | {"ends_on": "2024-06-30"})
    ).status_code == 201
    assert_refused(
        await client.post("/api/memberships", json=body | {"starts_on": "2024-06-01"}),
        422,
        "person_id",
    )
    # A later, separate period is fine.
    later = await client.post("/api/memberships", json=body | {"starts_on": "2024-07-01"})
    assert later.status_code == 201, later.text


async def test_a_membership_keeps_its_group_and_person(client, group_and_person):
    group_id, person_id = group_and_person
    created = await client.post(
        "/api/memberships",
        json={
            "group_id": group_id,
            "person_id": person_id,
            "role": "member",
            "starts_on": "2024-01-01",
        },
    )
    response = await client.patch(f"/api/memberships/{created.json()['id']}", json={"group_id": 1})
    assert_refused(response, 400, "group_id")


@pytest.mark.parametrize(
    "name",
    [
        "Kari N\u043erdmann",  # a Cyrillic o among Latin letters
        "Ｋａｒｉ Nordmann",  # fullwidth letters
        "Kari\u00a0Nordmann",  # a no-break space
    ],
    ids=["cyrillic-o", "fullwidth", "no-break-space"],
)
async def test_a_name_that_could_pass_for_another_is_refused(client, name):
    hjartdal = await find_id(client, "municipalities", q="Hjartdal")
    refused = await client.post(
        "/api/people",
        json={"name": name, "email": "kari@hjartdal.kommune.no", "municipality_id": hjartdal},
    )
    assert_refused(refused, 422, "name")
    assert await total(client, "people", q="kari@hjartdal") == 0


async def test_norwegian_and_accented_latin_names_are_welcome(client):
    hjartdal = await find_id(client, "municipalities", q="Hjartdal")
    for n, name in enumerate(["Øystein Ås", "Åse Ødegård-Núñez", "Ǿyvind Ærø"]):
        created = await client.post(
            "/api/people",
            json={"name": name, "email": f"p{n}@hjartdal.kommune.no", "municipality_id": hjartdal},
        )
        assert created.status_code == 201, created.text
