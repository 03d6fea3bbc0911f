"""Two people editing one record: the second save, made on the version both read, is refused
(409 `stale_edit`) and the first save stays; through the API, the pages and the service."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from medvirkning import register as service
from medvirkning.people.registers import GROUPS
from medvirkning.people.schemas import GroupUpdate
from tests.support import database, edit_version, find_id, post_form

STALE = "mens du redigerte. Se endringene deres nedenfor, og lagre på nytt."


async def first_id(client: Any, slug: str) -> int:
    return int((await client.get(f"/api/{slug}")).json()["items"][0]["id"])


async def record_to_edit(client: Any, slug: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """A record of the register, and two different changes two people make to it."""
    kongsberg = await find_id(client, "municipalities", q="Kongsberg")
    tinn = await find_id(client, "municipalities", q="Tinn")
    if slug in ("municipalities", "organisations"):
        return await first_id(client, slug), {"name": "Navn A"}, {"name": "Navn B"}
    if slug == "phases":
        return await first_id(client, slug), {"goal": "Mål A"}, {"goal": "Mål B"}
    if slug == "milestones":
        return await first_id(client, slug), {"description": "A"}, {"description": "B"}
    if slug == "risk-factors":
        return await first_id(client, slug), {"follow_up": "A"}, {"follow_up": "B"}
    if slug == "themes":
        return await first_id(client, slug), {"name": "Tema A"}, {"name": "Tema B"}
    if slug == "decisions":  # the set of municipalities it concerns
        return await first_id(client, slug), {"municipality_ids": [kongsberg]}, {"summary": "B"}
    person = await client.post(
        "/api/people",
        json={"name": "Kari", "email": f"kari.{slug}@kommune.no", "municipality_id": kongsberg},
    )
    if slug == "people":
        return person.json()["id"], {"title": "Rådgiver"}, {"title": "Leder"}
    group = await client.post("/api/groups", json={"name": slug, "kind": "reference_group"})
    if slug == "groups":
        return group.json()["id"], {"purpose": "A"}, {"purpose": "B"}
    if slug == "memberships":
        created = await client.post(
            "/api/memberships",
            json={
                "group_id": group.json()["id"],
                "person_id": person.json()["id"],
                "role": "member",
                "starts_on": "2026-01-01",
            },
        )
        return created.json()["id"], {"role": "leader"}, {"role": "secretary"}
    union = await find_id(client, "organisations", q="Fagforbundet")
    grant = await client.post(
        "/api/role-grants",
        json={"person_id": person.json()["id"], "role": "union_rep", "union_id": union},
    )
    assert grant.status_code == 201, grant.text
    return grant.json()["id"], {"municipality_id": kongsberg}, {"municipality_id": tinn}


REGISTERS = [
    "municipalities",
    "organisations",
    "people",
    "groups",
    "memberships",
    "phases",
    "milestones",
    "risk-factors",
    "role-grants",
    "themes",
    "decisions",
]


async def test_every_register_refuses_a_patch_on_a_version_someone_else_saved_over(client):
    for slug in REGISTERS:
        record_id, first, second = await record_to_edit(client, slug)
        url = f"/api/{slug}/{record_id}"
        seen = (await client.get(url)).json()["version"]
        # Both read the same version; the first save passes and moves the version on.
        saved = await client.patch(url, json={**first, "version": seen})
        assert saved.status_code == 200, (slug, saved.text)
        assert saved.json()["version"] != seen, slug
        refused = await client.patch(url, json={**second, "version": seen})
        assert refused.status_code == 409, (slug, refused.text)
        body = refused.json()
        assert body["code"] == "stale_edit", slug
        assert body["message"].startswith("Noen andre har endret "), slug
        assert body["message"].endswith(STALE), slug
        # The other person's version comes with the refusal, and it is what is stored.
        stored = (await client.get(url)).json()
        assert body["current"] == stored, slug
        for name, value in first.items():
            key = name.removesuffix("_id")
            assert (stored[key]["id"] if name.endswith("_id") else stored[key]) == value, slug
        # Saving on the version the refusal showed passes.
        again = await client.patch(url, json={**second, "version": stored["version"]})
        assert again.status_code == 200, (slug, again.text)


async def test_a_patch_without_a_version_still_saves_for_scripts(client):
    tinn = await find_id(client, "municipalities", q="Tinn")
    response = await client.patch(f"/api/municipalities/{tinn}", json={"name": "Tinn"})
    assert response.status_code == 200, response.text


async def test_a_malformed_version_is_refused_with_the_field_named(client):
    tinn = await find_id(client, "municipalities", q="Tinn")
    response = await client.patch(
        f"/api/municipalities/{tinn}", json={"name": "Tinn", "version": "i går"}
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["version"]


def input_value(html: str, field: str) -> str:
    match = re.search(rf'<input[^>]*value="([^"]*)"[^>]*id="{field}"', html)
    assert match, f"no input for {field}"
    return match.group(1)


async def test_two_tabs_on_the_edit_page_the_second_save_shows_the_first_and_keeps_the_typing(
    client,
):
    tinn = await find_id(client, "municipalities", q="Tinn")
    url = f"/admin/municipalities/{tinn}"
    tab_one = await edit_version(client, url)
    tab_two = await edit_version(client, url)
    form = {"number": "4026", "language_form": "nynorsk"}
    first = await post_form(
        client, url, {**form, "name": "Tinn kommune", "version": tab_one}, follow_redirects=False
    )
    assert first.status_code == 303
    second = await post_form(client, url, {**form, "name": "Tinn herad", "version": tab_two})
    assert second.status_code == 409
    assert "Noen andre har endret Tinn kommune mens du redigerte." in second.text
    # What this user typed is kept; what the other saved is shown beside it.
    assert input_value(second.text, "name") == "Tinn herad"
    assert re.search(r'id="name-stored">Lagret av den andre: <strong>Tinn kommune<', second.text)
    assert 'aria-describedby="name-stored"' in second.text
    assert "autofocus" in second.text
    stored = (await client.get(f"/api/municipalities/{tinn}")).json()
    assert stored["name"] == "Tinn kommune"
    # The form now carries the other person's version: saving again is a choice made seeing it.
    newer = re.search(r'name="version" value="([^"]+)"', second.text)
    assert newer
    assert newer.group(1) == stored["version"]
    third = await post_form(
        client,
        url,
        {**form, "name": "Tinn herad", "version": newer.group(1)},
        follow_redirects=False,
    )
    assert third.status_code == 303
    assert (await client.get(f"/api/municipalities/{tinn}")).json()["name"] == "Tinn herad"


async def test_an_edit_form_without_its_version_is_refused_and_changes_nothing(client):
    tinn = await find_id(client, "municipalities", q="Tinn")
    response = await post_form(
        client,
        f"/admin/municipalities/{tinn}",
        {"number": "4026", "name": "Annet", "language_form": "nynorsk"},
    )
    assert response.status_code == 400
    assert "Last siden på nytt" in response.text
    assert (await client.get(f"/api/municipalities/{tinn}")).json()["name"] == "Tinn"


@pytest.mark.parametrize("commit_first", [True, False], ids=["one-after-other", "overlapping"])
async def test_two_sessions_saving_one_version_at_once_only_the_first_passes(client, commit_first):
    group = await client.post("/api/groups", json={"name": "Lønn", "kind": "reference_group"})
    group_id, seen = group.json()["id"], group.json()["version"]
    async with database(client) as first, database(client) as second:
        await service.get_record(first, GROUPS, group_id)
        await service.get_record(second, GROUPS, group_id)
        await service.update_record(
            first, GROUPS, group_id, GroupUpdate(purpose="Først", version=seen)
        )
        if commit_first:
            await first.commit()
            late = service.update_record(
                second, GROUPS, group_id, GroupUpdate(purpose="Sist", version=seen)
            )
            with pytest.raises(service.StaleEdit):
                await late
        else:
            # The second save waits for the first's row, then finds the version moved on.
            late_task = asyncio.ensure_future(
                service.update_record(
                    second, GROUPS, group_id, GroupUpdate(purpose="Sist", version=seen)
                )
            )
            await asyncio.sleep(0.2)
            await first.commit()
            with pytest.raises(service.StaleEdit):
                await late_task
        await second.rollback()
    assert (await client.get(f"/api/groups/{group_id}")).json()["purpose"] == "Først"
