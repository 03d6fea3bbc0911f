"""The admin pages over HTTP: lists, search, forms with errors beside the field, deactivation."""

from __future__ import annotations

import re

import pytest

from tests.support import edit_version, find_id, post_form, total


def field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert match, f"no error shown for {field}"
    return match.group(1)


def field_value(html: str, field: str) -> str:
    match = re.search(rf'<input[^>]*value="([^"]*)"[^>]*id="{field}"', html)
    assert match, f"no input for {field}"
    return match.group(1)


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("municipalities", ["Kongsberg", "Hjartdal", "nynorsk", "4024"]),
        ("organisations", ["Kommunedirektørutvalget", "K-IKT", "Fagforbundet"]),
        ("phases", ["Anskaffe felles ERP-løsning", "01.10.2024"]),
        ("milestones", ["Lyse ut konkurransen", "31.12.2024"]),
        (
            "risk-factors",
            ["Manglende forankring", "Kommunene setter av tilstrekkelige interne ressurser"],
        ),
        ("people", ["1 treff", "prosjektleder@kongsbergregionen.no"]),
        ("groups", ["0 treff"]),
    ],
)
async def test_register_list_pages_show_the_seeded_records_in_norwegian(client, slug, expected):
    response = await client.get(f"/admin/{slug}", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="nb">' in response.text
    for text in expected:
        assert text in response.text, text


async def test_front_page_links_to_the_registers(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert "Medvirkning i ERP-prosjektet" in response.text
    assert 'href="/admin/people"' in response.text
    assert 'href="/tilgjengelighet"' in response.text


async def test_search_on_the_list_page(client):
    response = await client.get("/admin/municipalities", params={"q": "uvdal"})
    assert "Nore og Uvdal" in response.text
    assert "Kongsberg" not in response.text.split("<main", 1)[1].split("</main>", 1)[0]


async def test_creating_a_person_through_the_form(client):
    kongsberg = await find_id(client, "municipalities", q="Kongsberg")
    response = await post_form(
        client,
        "/admin/people/new",
        {
            "name": "Kari Nordmann",
            "email": "kari@kongsberg.kommune.no",
            "municipality_id": str(kongsberg),
            "organisation_id": "",
            "title": "Regnskapsleder",
            "union_id": "",
            "language_form": "bokmal",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "Endringene er lagret" in page.text
    assert field_value(page.text, "email") == "kari@kongsberg.kommune.no"
    assert await total(client, "people") == 2  # with the signed-in project leader


async def test_a_bad_form_shows_every_error_beside_its_field_keeps_the_input_and_writes_nothing(
    client,
):
    response = await post_form(
        client,
        "/admin/people/new",
        {
            "name": "Kari Nordmann",
            "email": "kari-at-kongsberg",
            "municipality_id": "",
            "organisation_id": "",
            "title": "Regnskapsleder",
            "union_id": "",
            "language_form": "bokmal",
        },
    )
    assert response.status_code == 422
    assert "Skriv en gyldig e-postadresse" in field_error(response.text, "email")
    assert field_value(response.text, "email") == "kari-at-kongsberg"
    assert field_value(response.text, "name") == "Kari Nordmann"
    assert 'aria-invalid="true"' in response.text
    assert "ds-error-summary" in response.text
    assert await total(client, "people") == 1  # only the signed-in project leader


async def test_a_rule_broken_in_a_form_is_shown_beside_the_field(client):
    response = await post_form(
        client,
        "/admin/people/new",
        {"name": "Kari", "email": "kari@kongsberg.kommune.no", "language_form": "bokmal"},
    )
    assert response.status_code == 422
    assert "kommunen eller organisasjonen" in field_error(response.text, "municipality_id")
    assert await total(client, "people") == 1  # only the signed-in project leader


async def test_a_duplicate_in_a_form_is_409_with_the_field_marked(client):
    response = await post_form(
        client,
        "/admin/municipalities/new",
        {"number": "3303", "name": "Kopi", "language_form": "bokmal"},
    )
    assert response.status_code == 409
    assert "kommunenummeret" in field_error(response.text, "number")
    assert field_value(response.text, "name") == "Kopi"


async def test_editing_through_the_form_and_a_bad_edit_changes_nothing(client):
    tinn = await find_id(client, "municipalities", q="Tinn")
    version = await edit_version(client, f"/admin/municipalities/{tinn}")
    bad = await post_form(
        client,
        f"/admin/municipalities/{tinn}",
        {"number": "12", "name": "Tinn", "language_form": "neutral", "version": version},
    )
    assert bad.status_code == 422
    assert "fire sifre" in field_error(bad.text, "number")
    assert field_value(bad.text, "number") == "12"
    assert (await client.get(f"/api/municipalities/{tinn}")).json()["number"] == "4026"
    good = await post_form(
        client,
        f"/admin/municipalities/{tinn}",
        {"number": "4026", "name": "Tinn", "language_form": "nynorsk", "version": version},
        follow_redirects=False,
    )
    assert good.status_code == 303
    assert (await client.get(f"/api/municipalities/{tinn}")).json()["language_form"] == "nynorsk"


async def test_deactivating_and_reactivating_from_the_page(client):
    rollag = await find_id(client, "municipalities", q="Rollag")
    response = await post_form(
        client,
        f"/admin/municipalities/{rollag}/active",
        {"active": "false"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = await client.get(f"/admin/municipalities/{rollag}")
    assert "Denne oppføringen er deaktivert" in page.text
    assert "Aktiver igjen" in page.text
    listing = await client.get("/admin/municipalities")
    assert "Rollag" not in listing.text
    listing = await client.get("/admin/municipalities", params={"include_inactive": "true"})
    assert "Rollag" in listing.text
    assert "Deaktivert" in listing.text
    await post_form(client, f"/admin/municipalities/{rollag}/active", {"active": "true"})
    assert (await client.get(f"/api/municipalities/{rollag}")).json()["active"] is True


async def test_membership_form_is_prefilled_from_the_group_page(client):
    group = await client.post(
        "/api/groups", json={"name": "Referansegruppe Rollag", "kind": "reference_group"}
    )
    group_id = group.json()["id"]
    page = await client.get(f"/admin/groups/{group_id}")
    assert f'href="/admin/memberships?group_id={group_id}"' in page.text
    form = await client.get("/admin/memberships/new", params={"group_id": group_id})
    assert re.search(
        rf'<option value="{group_id}" selected>Referansegruppe Rollag</option>', form.text
    )


async def test_membership_form_rejects_an_end_before_the_start(client):
    group = await client.post(
        "/api/groups", json={"name": "Arbeidsgruppe", "kind": "working_group"}
    )
    kongsberg = await find_id(client, "municipalities", q="Kongsberg")
    person = await client.post(
        "/api/people",
        json={"name": "Per", "email": "per@kongsberg.kommune.no", "municipality_id": kongsberg},
    )
    response = await post_form(
        client,
        "/admin/memberships/new",
        {
            "group_id": str(group.json()["id"]),
            "person_id": str(person.json()["id"]),
            "role": "member",
            "starts_on": "2025-03-01",
            "ends_on": "2025-02-01",
        },
    )
    assert response.status_code == 422
    assert field_error(response.text, "ends_on") == "Sluttdatoen kan ikke være før startdatoen."
    assert await total(client, "memberships") == 0


async def test_unknown_page_is_a_norwegian_404_page(client):
    response = await client.get("/admin/municipalities/9999", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "Fant ingen kommune" in response.text
    assert "<html" in response.text


async def test_accessibility_statement_is_published(client):
    response = await client.get("/tilgjengelighet")
    assert "WCAG 2.1" in response.text
    assert "uutilsynet" in response.text


async def test_the_next_page_link_keeps_the_search_and_the_filter(client):
    from tests import scenario
    from tests.support import database

    async with database(client) as db, db.begin():
        tinn = (await scenario.municipality_ids(db))["Tinn"]
        members = await scenario.add_people(db, 60, tinn, prefix="medlem")
        group_id = await scenario.add_group(db, "Referansegruppe Tinn & omegn", members)
    page = await client.get(f"/admin/memberships?group_id={group_id}&q=Medlem")
    link = re.search(r'href="([^"]+)">Neste side', page.text).group(1).replace("&amp;", "&")
    assert f"group_id={group_id}" in link
    assert "q=Medlem" in link
    assert "page=2" in link
    second = await client.get(link)
    assert second.status_code == 200
    assert "Forrige side" in second.text
    for n in range(51):  # audit entries come from changes through the app
        body = {"number": 10 + n, "risk": f"Risiko {n}", "follow_up": "Oppfølging"}
        assert (await client.post("/api/risk-factors", json=body)).status_code == 201
    audit = await client.get("/admin/audit?entity=risk_factor&action=create")
    next_audit = re.search(r'href="([^"]+)">Neste side', audit.text).group(1)
    assert "entity=risk_factor" in next_audit
    assert "action=create" in next_audit
