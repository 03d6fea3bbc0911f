"""Survey results under the anonymity threshold: the page, its municipality filter, and the CSV
and JSON exports read back, including a municipality of two respondents that the total minus
the others would reveal."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from medvirkning.auth.models import Role
from medvirkning.surveys.store import create_survey, publish
from surveys.definition import Section, Survey
from surveys.questions import LongText, YesNo
from tests import scenario
from tests.support import database, sign_in_as
from tests.survey_answers import keep_answer

DEFINITION = Survey(
    title="Erfaringer fra piloten",
    threshold=5,
    sections=(
        Section(
            "Piloten",
            (
                YesNo(id="q1", text="Fungerte lønnskjøringen?"),
                LongText(id="q2", text="Hva bør bli bedre?", required=False),
            ),
        ),
    ),
)


async def published_survey(
    client: Any, answers: dict[str, list[dict[str, Any]]], definition: Survey = DEFINITION
) -> int:
    """A published survey with these answers per municipality (by name)."""
    async with database(client) as db, db.begin():
        ids = await scenario.municipality_ids(db)
        survey = await create_survey(db, definition)
        version = await publish(db, survey.id)
        for name, given in answers.items():
            for answer in given:
                await keep_answer(
                    db, version, answer, municipality_id=ids[name], today=date.today()
                )
        return survey.id


def yes(n: int, text: str = "") -> list[dict[str, Any]]:
    return [{"q1": "ja"} | ({"q2": text} if text else {}) for _ in range(n)]


def no(n: int, text: str = "") -> list[dict[str, Any]]:
    return [{"q1": "nei"} | ({"q2": text} if text else {}) for _ in range(n)]


# Kongsberg 12, Notodden 6, Rollag 2 (both answering "nei", unlike everyone else).
PILOT = {
    "Kongsberg": yes(11, '=HYPERLINK("http://x")') + yes(1, "-Mer opplæring"),
    "Notodden": yes(6, "Greit nok"),
    "Rollag": no(2, "Bare vi to i Rollag kjører lønn"),
}


def table_rows(page: str) -> dict[str, str]:
    """The municipality table: name -> what the page shows for it."""
    start = page.index('aria-label="Svar per kommune"')
    body = page[start : page.index("</table>", start)]
    cells = [c.split("</td>")[0] for c in body.split("<td>")[1:]]
    return dict(zip(cells[::2], cells[1::2], strict=True))


async def test_a_municipality_under_the_threshold_is_hidden_with_a_second_so_none_is_subtracted(
    client,
):
    survey_id = await published_survey(client, PILOT)
    page = (await client.get(f"/admin/surveys/{survey_id}/results")).text
    rows = table_rows(page)
    assert rows["Kongsberg"] == "12"
    # Rollag (2) alone would be 20 − 12 − 6; Notodden, the smallest shown, is hidden with it.
    assert rows["Rollag"] == "Skjult"
    assert rows["Notodden"] == "Skjult"
    assert rows["Hjartdal"] == "Skjult"  # no answers looks the same as few
    assert "Antall som har svart:</strong> 20" in page
    for hidden in ("Rollag", "Notodden"):
        filtered = (await client.get(f"/admin/surveys/{survey_id}/results?kommune={hidden}")).text
        assert f"Resultatene for {hidden} vises ikke" in filtered
        assert "Bare vi to i Rollag" not in filtered
        assert "<svg" not in filtered
    kongsberg = (await client.get(f"/admin/surveys/{survey_id}/results?kommune=Kongsberg")).text
    assert "Svarene fra Kongsberg" in kongsberg
    assert "<td>Ja</td><td>12</td><td>100 %</td>" in kongsberg
    assert "-Mer opplæring" in kongsberg  # free text of a group above the threshold
    assert "Bare vi to i Rollag" not in kongsberg
    everyone = (await client.get(f"/admin/surveys/{survey_id}/results")).text
    assert "<td>Nei</td><td>2</td><td>10 %</td>" in everyone
    assert "<svg" in everyone


async def test_below_the_threshold_in_total_nothing_is_shown_not_even_free_text(client):
    survey_id = await published_survey(client, {"Kongsberg": yes(3, "Lite å si"), "Tinn": no(1)})
    page = (await client.get(f"/admin/surveys/{survey_id}/results")).text
    assert "færre enn 5, så ingen resultater vises ennå" in page
    assert "Lite å si" not in page
    assert "<svg" not in page
    assert set(table_rows(page).values()) == {"Skjult"}
    exported = (await client.get(f"/api/surveys/{survey_id}/results")).json()
    assert exported["respondents"] is None
    assert exported["municipalities"] == []
    assert all(q["total"] is None and q["municipalities"] == [] for q in exported["questions"])


async def test_a_municipality_with_exactly_the_threshold_is_shown(client):
    definition = Survey(title="Liten", threshold=3, sections=DEFINITION.sections)
    survey_id = await published_survey(client, {"Rollag": yes(3), "Hjartdal": no(3)}, definition)
    rows = table_rows((await client.get(f"/admin/surveys/{survey_id}/results")).text)
    assert (rows["Rollag"], rows["Hjartdal"]) == ("3", "3")


async def test_the_csv_export_opens_in_norwegian_excel_neutralises_formulas_and_leaves_hidden_out(
    client,
):
    survey_id = await published_survey(client, PILOT)
    response = await client.get(f"/admin/surveys/{survey_id}/results.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Nr.", "Spørsmål", "Kommune", "Hva", "Verdi", "Andel (%)"]
    groups = {row[2] for row in rows[1:]}
    assert groups == {"Alle kommuner", "Kongsberg"}
    assert ["1", "Fungerte lønnskjøringen?", "Alle kommuner", "Nei", "2", "10"] in rows
    texts = [row[4] for row in rows if row[3] == "Fritekst"]
    assert '\'=HYPERLINK("http://x")' in texts
    assert "'-Mer opplæring" in texts
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


async def test_the_json_export_holds_what_the_page_shows_and_nothing_hidden(client):
    survey_id = await published_survey(client, PILOT)
    response = await client.get(f"/admin/surveys/{survey_id}/results.json")
    assert "attachment" in response.headers["content-disposition"]
    body = response.json()
    assert body["respondents"] == 20
    assert body["municipalities"] == [{"municipality": "Kongsberg", "respondents": 12}]
    [first, second] = body["questions"]
    assert {o["option"]: o["count"] for o in first["total"]["options"]} == {"Ja": 18, "Nei": 2}
    assert [g["municipality"] for g in first["municipalities"]] == ["Kongsberg"]
    assert "Bare vi to i Rollag kjører lønn" in second["total"]["texts"]
    assert "Rollag" not in response.text.replace("Bare vi to i Rollag kjører lønn", "")
    assert (await client.get(f"/api/surveys/{survey_id}/results")).json() == body


async def test_only_admins_and_the_steering_group_see_results(anonymous):
    await sign_in_as(anonymous, Role.ADMIN)
    survey_id = await published_survey(anonymous, PILOT)
    await sign_in_as(anonymous, Role.MEMBER, Role.UNION_REP)
    for path in ("results", "results.csv", "results.json"):
        assert (await anonymous.get(f"/admin/surveys/{survey_id}/{path}")).status_code == 403
    await sign_in_as(anonymous, Role.STEERING)
    page = await anonymous.get(f"/admin/surveys/{survey_id}/results")
    assert page.status_code == 200
    assert "Erfaringer fra piloten" in page.text


async def test_an_unpublished_survey_has_no_results_page(client):
    created = (await client.post("/api/surveys", json={"title": "Utkast"})).json()
    response = await client.get(f"/admin/surveys/{created['id']}/results")
    assert response.status_code == 404
    assert "ikke publisert" in response.text


async def test_results_are_read_per_published_version_and_answers_stay_with_theirs(client):
    survey_id = await published_survey(client, {"Kongsberg": yes(5)})
    survey = (await client.get(f"/api/surveys/{survey_id}")).json()
    added = await client.post(
        f"/api/surveys/{survey_id}/sections/0/questions",
        json={"version": survey["version"], "type": "short_text", "text": "Stilling"},
    )
    second = await client.post(
        f"/api/surveys/{survey_id}/publish", json={"version": added.json()["survey"]["version"]}
    )
    assert [v["number"] for v in second.json()["versions"]] == [1, 2]
    newest = (await client.get(f"/api/surveys/{survey_id}/results")).json()
    assert (newest["version"], newest["respondents"]) == (2, None)
    first = (await client.get(f"/api/surveys/{survey_id}/results?versjon=1")).json()
    assert (first["version"], first["respondents"]) == (1, 5)
    assert [q["text"] for q in first["questions"]] == [
        "Fungerte lønnskjøringen?",
        "Hva bør bli bedre?",
    ]
    page = (await client.get(f"/admin/surveys/{survey_id}/results")).text
    assert f'href="/admin/surveys/{survey_id}/results?versjon=1"' in page
    missing = await client.get(f"/admin/surveys/{survey_id}/results?versjon=3")
    assert missing.status_code == 404
