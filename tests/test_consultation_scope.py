"""Who sees and acts on which consultation: two unions in two municipalities and one
regional consultation, through the pages and the API."""

from __future__ import annotations

from typing import Any

from medvirkning.auth.models import Role
from tests.consultation_support import Roles, create, ids
from tests.support import post_form

MATTERS = {
    "rollag": "Rollag: nye lønnsrutiner",
    "kongsberg": "Kongsberg: turnus i skolen",
    "region": "Regionalt: valg av ERP-system",
}
# Each representative sees exactly these consultations.
SEES = {
    "fag_rollag": {"rollag"},
    "utd_kongsberg": {"kongsberg"},
    "fag_region": {"region"},
    "utd_region": {"region"},
    # Fagforbundet takes part in Kongsberg only regionally: not at this level.
    "fag_kongsberg": set(),
    "utd_rollag": set(),
}


async def three_consultations(client: Any) -> tuple[Roles, dict[str, int]]:
    known = await ids(client)
    fag, utd = known["Fagforbundet"], known["Utdanningsforbundet"]
    made = {
        "rollag": await create(client, MATTERS["rollag"], known["Rollag"], [fag]),
        "kongsberg": await create(client, MATTERS["kongsberg"], known["Kongsberg"], [utd]),
        "region": await create(client, MATTERS["region"], None, [fag, utd]),
    }
    consultation_ids = {key: c["id"] for key, c in made.items()}
    for consultation_id in consultation_ids.values():
        url = f"/api/consultations/{consultation_id}"
        await client.put(f"{url}/protocol", json={"text": "Protokoll."})
        assert (await client.post(f"{url}/protocol/send")).status_code == 200
    roles = Roles(client)
    for name, union, municipality in [
        ("fag_rollag", "Fagforbundet", "Rollag"),
        ("utd_kongsberg", "Utdanningsforbundet", "Kongsberg"),
        ("fag_region", "Fagforbundet", None),
        ("utd_region", "Utdanningsforbundet", None),
        ("fag_kongsberg", "Fagforbundet", "Kongsberg"),
        ("utd_rollag", "Utdanningsforbundet", "Rollag"),
    ]:
        await roles.add(name, Role.UNION_REP, union=union, municipality=municipality)
    await roles.add("styring", Role.STEERING)
    return roles, consultation_ids


async def test_each_representative_sees_exactly_their_unions_consultations_at_their_level(
    client,
):
    roles, consultation_ids = await three_consultations(client)
    for name, expected in SEES.items():
        roles.be(name)
        listed = {c["matter"] for c in (await client.get("/api/consultations")).json()}
        assert listed == {MATTERS[k] for k in expected}, name
        page = (await client.get("/droftinger")).text
        for key, matter in MATTERS.items():
            assert (matter in page) == (key in expected), (name, key)
            consultation_id = consultation_ids[key]
            status = 200 if key in expected else 404
            for path in [
                f"/api/consultations/{consultation_id}",
                f"/api/consultations/{consultation_id}/log",
                f"/api/consultations/{consultation_id}/log/verify",
                f"/droftinger/{consultation_id}",
                f"/droftinger/{consultation_id}/utskrift",
            ]:
                response = await client.get(path)
                assert response.status_code == status, (name, path)
                if path.startswith("/droftinger") or key not in expected:
                    assert (matter in response.text) == (key in expected), (name, path)


async def test_each_representative_can_comment_confirm_and_dispute_only_within_scope(client):
    roles, consultation_ids = await three_consultations(client)
    for name, expected in SEES.items():
        roles.be(name)
        for key, consultation_id in consultation_ids.items():
            inside = key in expected
            comment = await client.post(
                f"/api/consultations/{consultation_id}/comments",
                json={"text": f"Kommentar fra {name}"},
            )
            assert comment.status_code == (200 if inside else 404), (name, key)
            answer = await post_form(
                client,
                f"/droftinger/{consultation_id}/svar",
                {"answer": "disputed", "reason": f"Innsigelse fra {name}"},
                follow_redirects=False,
            )
            assert answer.status_code == (303 if inside else 404), (name, key)
            confirm = await client.post(
                f"/api/consultations/{consultation_id}/protocol/answers",
                json={"answer": "confirmed"},
            )
            assert confirm.status_code == (200 if inside else 404), (name, key)
    roles.be("admin")
    region = (await client.get(f"/api/consultations/{consultation_ids['region']}")).json()
    assert [(u["union"]["name"], u["answer"]) for u in region["unions"]] == [
        ("Fagforbundet", "confirmed"),
        ("Utdanningsforbundet", "confirmed"),
    ]
    assert [c["text"] for c in region["comments"]] == [
        "Kommentar fra fag_region",
        "Kommentar fra utd_region",
    ]
    rollag = (await client.get(f"/api/consultations/{consultation_ids['rollag']}")).json()
    assert [c["author"] for c in rollag["comments"]] == ["Test fag_rollag (Fagforbundet)"]


async def test_the_steering_group_reads_everything_and_changes_nothing(client):
    roles, consultation_ids = await three_consultations(client)
    roles.be("styring")
    listed = {c["matter"] for c in (await client.get("/api/consultations")).json()}
    assert listed == set(MATTERS.values())
    page = (await client.get("/droftinger")).text
    assert all(matter in page for matter in MATTERS.values())
    consultation_id = consultation_ids["region"]
    detail = await client.get(f"/droftinger/{consultation_id}")
    assert detail.status_code == 200
    assert 'method="post"' not in detail.text.split("</header>", 1)[1]  # only reads
    refused = [
        await client.post(f"/api/consultations/{consultation_id}/comments", json={"text": "x"}),
        await post_form(client, f"/droftinger/{consultation_id}/kommentar", {"comment": "x"}),
        await client.put(f"/api/consultations/{consultation_id}/protocol", json={"text": "x"}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
