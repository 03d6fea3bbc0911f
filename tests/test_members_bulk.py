"""Many people into a group at once, and person fields that stay small with 50,000 people."""

from __future__ import annotations

import html
import re
from datetime import datetime

from medvirkning.formats import OSLO
from tests import scenario
from tests.support import database, find_id, post_form, total


async def people(client, *names: str) -> dict[str, int]:
    """Registered people of Kongsberg, by name; their address is `<name>@kongsberg.kommune.no`."""
    kongsberg = await find_id(client, "municipalities", q="Kongsberg")
    ids = {}
    for name in names:
        created = await client.post(
            "/api/people",
            json={
                "name": name,
                "email": f"{name.lower()}@kongsberg.kommune.no",
                "municipality_id": kongsberg,
            },
        )
        assert created.status_code == 201, created.text
        ids[name] = created.json()["id"]
    return ids


async def new_group(client, name: str = "Referansegruppe lønn") -> int:
    created = await client.post("/api/groups", json={"name": name, "kind": "reference_group"})
    return int(created.json()["id"])


async def test_the_api_adds_picked_and_pasted_people_and_reports_who_was_a_member(client):
    ids = await people(client, "Kari", "Per", "Ola")
    group = await new_group(client)
    first = await client.post(
        f"/api/groups/{group}/members", json={"person_ids": [ids["Kari"]], "role": "leader"}
    )
    assert first.status_code == 201, first.text
    [kari] = first.json()["added"]
    assert kari["role"] == "leader"
    assert kari["starts_on"] == datetime.now(OSLO).date().isoformat()  # today by default
    response = await client.post(
        f"/api/groups/{group}/members",
        json={
            "person_ids": [ids["Per"], ids["Kari"]],
            "emails": ["OLA@kongsberg.kommune.no", "per@kongsberg.kommune.no"],
            "starts_on": "2027-01-01",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert sorted(m["person"]["name"] for m in body["added"]) == ["Ola", "Per"]
    assert {m["role"] for m in body["added"]} == {"member"}
    assert body["already_members"] == [{"id": ids["Kari"], "name": "Kari"}]
    assert await total(client, "memberships", group_id=group) == 3


async def test_the_api_refuses_the_whole_list_naming_each_unknown_person(client):
    ids = await people(client, "Kari")
    group = await new_group(client)
    response = await client.post(
        f"/api/groups/{group}/members",
        json={
            "person_ids": [ids["Kari"], 999999],
            "emails": ["kari@kongsberg.kommune.no", "ukjent@kongsberg.kommune.no"],
        },
    )
    assert response.status_code == 422, response.text
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "person_ids[1]": "Velg en person som finnes.",
        "emails[1]": "Fant ingen aktiv person med e-postadressen ukjent@kongsberg.kommune.no.",
    }
    assert await total(client, "memberships") == 0


async def test_picking_on_the_page_searches_then_adds_the_ticked_and_redirects(client):
    ids = await people(client, "Kari", "Karianne", "Per")
    group = await new_group(client)
    url = f"/admin/groups/{group}/members"
    page = await client.get(url)
    assert page.status_code == 200
    assert f'value="{datetime.now(OSLO).date().isoformat()}"' in page.text
    by_address = await client.get(url, params={"q": "karianne"})  # a search may be linked
    assert "1 treff." in by_address.text
    found = await post_form(client, url, {"q": "kari", "_search": "1", "role": "leader"})
    assert found.status_code == 200
    assert "2 treff." in found.text
    assert f'name="person_ids" id="person-{ids["Kari"]}"' in found.text
    assert f'id="person-{ids["Per"]}"' not in found.text
    # Tick Kari, search again for Per: Kari stays ticked, and the role stays chosen.
    again = await post_form(
        client,
        url,
        {"q": "per", "_search": "1", "person_ids": [str(ids["Kari"])], "role": "leader"},
    )
    assert re.search(rf'id="person-{ids["Kari"]}" value="{ids["Kari"]}" checked', again.text)
    assert '<option value="leader" selected>' in again.text
    saved = await post_form(
        client,
        url,
        {
            "q": "per",
            "person_ids": [str(ids["Kari"]), str(ids["Per"])],
            "role": "leader",
            "starts_on": "2027-02-08",
            "emails": "",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    done = await client.get(saved.headers["location"])
    assert "2 personer er lagt til i gruppen fra 08.02.2027." in done.text
    assert await total(client, "memberships", group_id=group) == 2


async def test_pasted_addresses_are_added_and_a_member_already_is_named_not_doubled(client):
    await people(client, "Kari", "Per")
    group = await new_group(client)
    url = f"/admin/groups/{group}/members"
    pasted = "kari@kongsberg.kommune.no\n\n  per@kongsberg.kommune.no  \n"
    first = await post_form(client, url, {"emails": pasted, "role": "member"})
    assert "2 personer er lagt til i gruppen" in first.text
    second = await post_form(client, url, {"emails": "per@kongsberg.kommune.no", "role": "member"})
    assert "0 personer er lagt til" in second.text
    assert "1 var allerede medlem, og er ikke lagt til på nytt" in second.text
    assert "Per (Kongsberg)" in second.text
    assert await total(client, "memberships", group_id=group) == 2


async def test_a_bad_paste_names_each_line_keeps_the_text_and_writes_nothing(client):
    await people(client, "Kari")
    group = await new_group(client)
    pasted = "kari@kongsberg.kommune.no\nikke en adresse\nukjent@kongsberg.kommune.no"
    response = await post_form(
        client,
        f"/admin/groups/{group}/members",
        {"emails": pasted, "role": "member", "starts_on": "32.13.2027"},
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    summary = text.split('class="ds-error-summary"', 1)[1].split("</div>", 1)[0]
    assert "autofocus" in response.text.split('class="ds-error-summary"', 1)[1][:60]
    # Every error at once, at the top and at its field.
    assert "Linje 2: «ikke en adresse» er ikke en e-postadresse." in summary
    assert "Linje 3: Fant ingen aktiv person med e-postadressen ukjent@" in summary
    assert "Skriv datoen som dd.mm.åååå" in summary
    assert re.search(r'id="emails-error">.*Linje 2.*Linje 3', text, re.S)
    assert 'id="starts_on-error"' in text
    assert f">{pasted}</textarea>" in text
    assert await total(client, "memberships") == 0


async def test_with_50000_people_the_person_forms_stay_small_and_search_finds_one(client):
    async with database(client) as db, db.begin():
        numbers = await scenario.municipality_ids(db)
        await scenario.add_people(db, 50_000, numbers["Flesberg"])
        [synnove] = await scenario.add_people(db, 1, numbers["Rollag"], prefix="synnøve")
        group = await scenario.add_group(db, "Referansegruppe lønn")
    for url in (
        "/admin/memberships/new",
        "/admin/role-grants/new",
        f"/admin/groups/{group}/members",
    ):
        page = await client.get(url)
        assert page.status_code == 200, url
        assert len(page.content) < 200_000, (url, len(page.content))
    # The person field of the membership and role forms: search, then pick.
    for slug in ("memberships", "role-grants"):
        found = await post_form(
            client, f"/admin/{slug}/new", {"person_id__q": "synnøve", "_search": "person_id"}
        )
        assert found.status_code == 200
        assert f'name="person_id" id="person_id-{synnove}" value="{synnove}"' in found.text
        assert "Synnøve 0 (Rollag" in found.text
    many = await post_form(
        client, "/admin/memberships/new", {"person_id__q": "person", "_search": "person_id"}
    )
    assert "Viser 50 av 50000 treff." in many.text
    assert len(many.content) < 200_000
    saved = await post_form(
        client,
        "/admin/memberships/new",
        {
            "group_id": str(group),
            "person_id": str(synnove),
            "role": "member",
            "starts_on": "2027-01-01",
            "ends_on": "",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    shown = await client.get(saved.headers["location"])
    assert "Synnøve 0 (Rollag)" in shown.text


async def test_the_new_membership_form_says_nytt_medlemskap(client):
    form = await client.get("/admin/memberships/new")
    assert '<h1 class="ds-heading" data-size="lg">Nytt medlemskap</h1>' in form.text
    assert "Ny medlemskap" not in form.text
    listing = await client.get("/admin/memberships")
    assert ">Nytt medlemskap</a>" in listing.text
    assert ">Ny person</a>" in (await client.get("/admin/people")).text
