"""The pure parts of the anchoring record, alone: gap rules and the heat map; and the survey
source's figures from the answers on record."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import insert

from medvirkning.anchoring.heatmap import FILLS, HeatCell, render
from medvirkning.anchoring.rules import above_zero, below_target
from medvirkning.anchoring.source import Context, PhaseSpan
from medvirkning.surveys.models import Survey, SurveyAnswer, SurveyVersion
from tests import scenario
from tests.support import database, find_id

PHASES = (
    PhaseSpan(1, 1, "Utrede", date(2023, 9, 1), date(2024, 9, 30)),
    PhaseSpan(2, 2, "Anskaffe", date(2024, 10, 1), date(2025, 3, 31)),
)


def context(today: date) -> Context:
    now = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    return Context(today, now, PHASES, {10: "Rollag", 11: "Tinn"}, {"members": 2})


def test_a_figure_under_its_target_is_a_gap_only_in_phases_begun():
    figures = {(10, 1): {"count": 2}, (11, 1): {"count": 1}, (10, 2): {"count": 5}}
    gaps = below_target(
        context(date(2024, 1, 1)),
        figures,
        "count",
        "members",
        [10, 11],
        lambda found, target: f"{found} av {target}",
        (1,),
        "grupper",
    )
    assert [(g.municipality_id, g.phase_id, g.text) for g in gaps] == [(11, 1, "1 av 2")]
    later = below_target(
        context(date(2025, 1, 1)),
        figures,
        "count",
        "members",
        [10, 11],
        lambda found, target: f"{found} av {target}",
        (1,),
        "grupper",
    )
    assert [(g.municipality_id, g.phase_id) for g in later] == [(11, 1), (11, 2)]


def test_a_figure_that_should_be_nil_is_a_gap_where_it_is_not():
    figures = {(None, 2): {"overdue": 3}, (10, 1): {"overdue": 0}}
    gaps = above_zero(figures, "overdue", "late", lambda n: f"{n} for sent", (1,), "innspill")
    assert [(g.municipality_id, g.phase_id, g.text) for g in gaps] == [(None, 2, "3 for sent")]


def test_the_heat_map_colours_each_cell_by_its_gaps_and_links_it():
    cells = [
        [
            HeatCell(0, "/a", "Rollag, Fase 1: ingen mangler"),
            HeatCell(3, "/b?x=1&y=2", "Rollag, Fase 2: 3 mangler"),
        ],
        [HeatCell(1, "/c", "Tinn <1>, Fase 1: 1 mangel"), HeatCell(None, "/d", "ikke startet")],
    ]
    svg = render("Mangler", ["Rollag", "Tinn <1>"], ["Fase 1", "Fase 2"], cells)
    fills = re.findall(r'fill="(#[0-9a-f]{6})" stroke', svg)
    assert fills == [FILLS["none"], FILLS["many"], FILLS["some"], FILLS["later"]]
    assert '<a href="/b?x=1&amp;y=2" aria-label="Rollag, Fase 2: 3 mangler">' in svg
    assert "Tinn &lt;1&gt;" in svg
    assert "<1>" not in svg
    assert svg.startswith("<svg")
    assert "<title" in svg


async def test_survey_answers_count_as_reach_per_municipality_and_phase(client):
    async with database(client) as db, db.begin():
        municipalities = await scenario.municipality_ids(db)
        survey = await db.scalar(
            insert(Survey)
            .values(title="Medarbeiderundersøkelse", opens_at=datetime(2024, 1, 10, tzinfo=UTC))
            .returning(Survey.id)
        )
        version = await db.scalar(
            insert(SurveyVersion)
            .values(survey_id=survey, number=1, definition="{}")
            .returning(SurveyVersion.id)
        )
        await db.execute(
            insert(SurveyAnswer),
            [
                {
                    "id": uuid.uuid4().hex,
                    "survey_version_id": version,
                    "answered_on": date(2024, 1, 12),
                    "municipality_id": municipalities["Flesberg" if n < 6 else "Sigdal"],
                    "answers": "{}",
                }
                for n in range(8)
            ],
        )
    record = (await client.get("/forankring/forankring.json")).json()
    reach = {
        (cell["municipality"], cell["phase"]): figure["value"]
        for cell in record["cells"]
        for figure in cell["figures"]
        if figure["label"] == "svar"
    }
    # Sigdal's 2 are under the survey's threshold of 5: not shown, not summed.
    assert reach == {("Flesberg", 1): 6, ("Sigdal", 1): 0}
    phase = await find_id(client, "phases", q="Utrede")
    cell = await client.get(f"/forankring/fase/{phase}/kommune/{municipalities['Flesberg']}")
    assert "Medarbeiderundersøkelse (6 svar)" in cell.text
    sigdal = await client.get(f"/forankring/fase/{phase}/kommune/{municipalities['Sigdal']}")
    assert "Medarbeiderundersøkelse (færre enn 5 svar)" in sigdal.text
    assert "(2 svar)" not in sigdal.text
