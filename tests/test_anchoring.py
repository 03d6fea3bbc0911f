"""The anchoring record on a built scenario: exactly the planted gaps, on both databases,
in the same number of SQL statements however much there is."""

from __future__ import annotations

from sqlalchemy import event

from medvirkning.anchoring.record import compile_record
from tests import anchoring_scenario
from tests.support import database, post_form


def listed_gaps(record: dict) -> set[tuple[str, str | None, int]]:
    return {
        (g["rule"], None if g["municipality"] == "Hele regionen" else g["municipality"], g["phase"])
        for g in record["gaps"]
    }


async def test_the_record_lists_exactly_the_planted_gaps(client):
    async with database(client) as db, db.begin():
        await anchoring_scenario.build(db)
    response = await client.get("/forankring/forankring.json")
    assert response.status_code == 200, response.text
    record = response.json()
    assert listed_gaps(record) == anchoring_scenario.PLANTED
    # Each gap is listed under its risk factor, and the page shows it with its cell's link.
    factor_1 = next(f for f in record["risk_factors"] if f["number"] == 1)
    assert {g["municipality"] for g in factor_1["gaps"]} == {
        "Rollag",
        "Hjartdal",
        "Kongsberg",
        "Notodden",
        "Tinn",
        "Hele regionen",
    }
    notice = next(g for g in factor_1["gaps"] if g["rule"] == "consultation_notice")
    assert notice["text"] == (
        "Drøftingen «Opplæringsplan for lønn (0)» 21.01.2025 ble holdt 1 virkedag etter at "
        "dokumentene ble sendt (minst 5)."
    )
    factor_5 = next(f for f in record["risk_factors"] if f["number"] == 5)
    assert [g["text"] for g in factor_5["gaps"]] == ["Ingen læringspunkter er registrert i fasen."]
    page = await client.get("/forankring")
    assert "Ingen fra kommunen er med i en arbeids- eller referansegruppe." in page.text
    assert page.text.count("<rect") == 9 * 3  # the heat map: 8 municipalities and the region


async def test_a_gap_leads_down_to_its_evidence(client):
    async with database(client) as db, db.begin():
        municipalities = await anchoring_scenario.build(db)
    page = (await client.get("/forankring")).text
    hjartdal = municipalities["Hjartdal"]
    link = next(
        part.split('"')[0]
        for part in page.split('href="')[1:]
        if part.startswith("/forankring/fase/")
        and f"/kommune/{hjartdal}#moter" in part.split('"')[0]
    )
    cell = await client.get(link.split("#")[0])
    assert cell.status_code == 200
    assert "Ingen fra kommunen har vært på et møte i fasen." in cell.text
    assert "Referansegruppemøte fase 3" in cell.text
    assert "0 av 1 møtte" in cell.text


async def test_targets_an_admin_sets_change_the_rules(client):
    async with database(client) as db, db.begin():
        await anchoring_scenario.build(db)
    refused = await post_form(
        client,
        "/admin/anchoring-targets",
        {
            "group_members": "1",
            "meetings_attended": "mange",
            "input_follow_up_days": "30",
            "learning_points": "1",
            "protocol_confirm_days": "14",
        },
    )
    assert refused.status_code == 422
    assert "Skriv et helt tall fra 0 til 3650" in refused.text
    assert 'value="mange"' in refused.text
    saved = await post_form(
        client,
        "/admin/anchoring-targets",
        {
            "group_members": "1",
            "meetings_attended": "1",
            "input_follow_up_days": "1000",
            "learning_points": "1",
            "protocol_confirm_days": "14",
        },
    )
    assert saved.status_code == 200  # followed the redirect
    gaps = listed_gaps((await client.get("/forankring/forankring.json")).json())
    assert gaps == anchoring_scenario.PLANTED - {("input_follow_up_days", "Kongsberg", 3)}


async def test_the_record_takes_as_many_statements_at_three_times_the_data(client):
    async def statements() -> int:
        count = 0

        def counted(*args: object) -> None:
            nonlocal count
            count += 1

        async with database(client) as db:
            event.listen(db.get_bind(), "before_cursor_execute", counted)
            record = await compile_record(db, client.app.state.settings)
            event.remove(db.get_bind(), "before_cursor_execute", counted)
        assert record.gaps
        return count

    async with database(client) as db, db.begin():
        await anchoring_scenario.build(db, scale=1)
    small = await statements()
    async with database(client) as db, db.begin():
        await anchoring_scenario.build(db, scale=3)
    assert await statements() == small


async def test_the_api_gives_the_record_the_download_gives(client):
    async with database(client) as db, db.begin():
        await anchoring_scenario.build(db)
    api = (await client.get("/api/anchoring-record")).json()
    download = (await client.get("/forankring/forankring.json")).json()
    assert listed_gaps(api) == anchoring_scenario.PLANTED
    assert {k: v for k, v in api.items() if k != "compiled_at"} == {
        k: v for k, v in download.items() if k != "compiled_at"
    }
    assert "anchoring_record" in (await client.get("/schema/openapi.json")).text


async def test_the_api_reads_and_sets_the_targets_by_name(client):
    targets = {t["code"]: t for t in (await client.get("/api/anchoring-targets")).json()}
    assert targets["input_follow_up_days"]["value"] == 30
    assert targets["input_follow_up_days"]["unit"] == "dager"
    refused = await client.put("/api/anchoring-targets", json={"input_follow_up_days": -1})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "input_follow_up_days"
    unknown = await client.put("/api/anchoring-targets", json={"kaffe": 2})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "kaffe"
    saved = await client.put("/api/anchoring-targets", json={"input_follow_up_days": 14})
    assert saved.status_code == 200, saved.text
    values = {t["code"]: t["value"] for t in saved.json()}
    assert values == {
        "group_members": 1,
        "meetings_attended": 1,
        "input_follow_up_days": 14,
        "learning_points": 1,
        "protocol_confirm_days": 14,
    }
    record = (await client.get("/api/anchoring-record")).json()
    assert record["targets"]["input_follow_up_days"] == 14
