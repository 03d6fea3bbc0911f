"""Building a survey through the JSON API: sections, every question type, conditions,
reordering, publishing and versions, stale edits, and the seeded phase-1 template."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from medvirkning.surveys.models import SurveyAnswer, SurveyVersion
from surveys.definition import parse_definition
from tests.support import assert_refused, database, post_form
from tests.survey_answers import keep_answer

LIKERT = {"type": "likert", "text": "Dagens system støtter arbeidet mitt godt."}


async def new_survey(client: Any, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/surveys", json={"title": "Opplæringsbehov"} | fields)
    assert response.status_code == 201, response.text
    return response.json()


async def with_section(client: Any, survey: dict[str, Any], title: str) -> dict[str, Any]:
    response = await client.post(
        f"/api/surveys/{survey['id']}/sections", json={"version": survey["version"], "title": title}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def with_question(
    client: Any, survey: dict[str, Any], section: int, **question: Any
) -> tuple[str, dict[str, Any]]:
    response = await client.post(
        f"/api/surveys/{survey['id']}/sections/{section}/questions",
        json={"version": survey["version"]} | question,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["question_id"], body["survey"]


def question_ids(survey: dict[str, Any]) -> list[list[str]]:
    return [[q["id"] for q in s["questions"]] for s in survey["definition"]["sections"]]


async def test_a_survey_of_every_question_type_is_built_and_reads_back_as_the_engine_reads_it(
    client,
):
    survey = await new_survey(client, language="nynorsk", threshold=4, response_target=60)
    assert (survey["language"], survey["threshold"], survey["response_target"]) == (
        "nynorsk",
        4,
        60,
    )
    survey = await with_section(client, survey, "Om deg")
    questions = [
        {"type": "single_choice", "text": "Fagområde", "options": ["Lønn", "Økonomi"]},
        {"type": "multiple_choice", "text": "System", "options": ["Visma", "Agresso", "Anna"]},
        LIKERT,
        {"type": "scale", "text": "Kor nøgd", "low_label": "Lite", "high_label": "Mykje"},
        {"type": "yes_no", "text": "Leiar?"},
        {"type": "short_text", "text": "Stilling", "max_length": 80, "required": False},
        {"type": "long_text", "text": "Anna", "required": False},
        {"type": "number", "text": "År i jobben", "minimum": 0, "maximum": 50},
    ]
    for question in questions:
        _, survey = await with_question(client, survey, 0, **question)
    definition = parse_definition(survey["definition"])
    assert [q.kind.value for q in definition.questions()] == [q["type"] for q in questions]
    assert [q.id for q in definition.questions()] == [f"q{n}" for n in range(1, 9)]
    likert = next(q for q in definition.questions() if q.id == "q3")
    # No labels given: the usual five, in the survey's language form.
    assert likert.labels[0] == "Heilt ueinig"  # type: ignore[union-attr]
    assert definition.sections[0].questions[5].required is False


async def test_a_question_with_bad_settings_is_refused_naming_the_field_and_nothing_is_saved(
    client,
):
    survey = await with_section(client, await new_survey(client), "Om deg")
    url = f"/api/surveys/{survey['id']}/sections/0/questions"
    one_option = {"version": survey["version"], "type": "single_choice", "text": "Fag"}
    body = assert_refused(
        await client.post(url, json=one_option | {"options": ["Lønn"]}), 422, "options"
    )
    assert "minst to svaralternativer" in body["errors"][0]["message"]
    bounds = {"version": survey["version"], "type": "number", "text": "År"}
    assert_refused(
        await client.post(url, json=bounds | {"minimum": 10, "maximum": 2}), 422, "minimum"
    )
    assert_refused(
        await client.post(url, json={"version": survey["version"], "type": "likert", "text": ""}),
        400,
        "text",
    )
    again = (await client.get(f"/api/surveys/{survey['id']}")).json()
    assert question_ids(again) == [[]]
    assert again["version"] == survey["version"]


async def test_conditions_show_a_question_only_after_an_earlier_answer_and_must_look_back(client):
    survey = await with_section(client, await new_survey(client), "Alt")
    _, survey = await with_question(client, survey, 0, type="yes_no", text="Bekymret?")
    _, survey = await with_question(
        client, survey, 0, type="long_text", text="Hva?", required=False
    )
    url = f"/api/surveys/{survey['id']}/questions"
    shown = await client.put(
        f"{url}/q2/condition", json={"version": survey["version"], "question": "q1", "answer": True}
    )
    assert shown.status_code == 200, shown.text
    survey = shown.json()
    condition = survey["definition"]["sections"][0]["questions"][1]["show_if"]
    assert condition == {"kind": "yes_no_is", "question": "q1", "value": True}
    # A condition on a later question is refused; so is moving a question above what it looks at.
    later = await client.put(
        f"{url}/q1/condition", json={"version": survey["version"], "question": "q2", "answer": True}
    )
    assert_refused(later, 422, "question")
    moved = await client.post(
        f"{url}/q2/move", json={"version": survey["version"], "direction": "up"}
    )
    assert_refused(moved, 422, "question")
    # Deleting what a condition looks at is refused, naming the question that depends on it.
    gone = await client.delete(f"{url}/q1", params={"version": survey["version"]})
    body = assert_refused(gone, 422, "question")
    assert "«Hva?» vises bare etter svaret" in body["errors"][0]["message"]
    removed = await client.delete(f"{url}/q2/condition", params={"version": survey["version"]})
    assert removed.json()["definition"]["sections"][0]["questions"][1]["show_if"] is None


async def test_moving_up_and_down_crosses_sections_and_stops_at_the_ends(client):
    survey = await with_section(client, await new_survey(client), "En")
    survey = await with_section(client, survey, "To")
    for text in ("A", "B"):
        _, survey = await with_question(client, survey, 0, type="yes_no", text=text)
    _, survey = await with_question(client, survey, 1, type="yes_no", text="C")
    url = f"/api/surveys/{survey['id']}"
    survey = (
        await client.post(
            f"{url}/questions/q2/move", json={"version": survey["version"], "direction": "down"}
        )
    ).json()
    assert question_ids(survey) == [["q1"], ["q2", "q3"]]
    survey = (
        await client.post(
            f"{url}/questions/q1/move", json={"version": survey["version"], "direction": "down"}
        )
    ).json()
    assert question_ids(survey) == [[], ["q1", "q2", "q3"]]
    first = await client.post(
        f"{url}/sections/0/move", json={"version": survey["version"], "direction": "up"}
    )
    assert_refused(first, 422, "direction")
    survey = (
        await client.post(
            f"{url}/sections/1/move", json={"version": survey["version"], "direction": "up"}
        )
    ).json()
    assert [s["title"] for s in survey["definition"]["sections"]] == ["To", "En"]


async def test_an_edit_made_on_a_version_someone_else_has_changed_is_refused(client):
    survey = await with_section(client, await new_survey(client), "Om deg")
    _, theirs = await with_question(client, survey, 0, type="yes_no", text="Leder?")
    mine = await client.post(
        f"/api/surveys/{survey['id']}/sections", json={"version": survey["version"], "title": "Mer"}
    )
    assert mine.status_code == 409
    assert mine.json()["code"] == "stale_edit"
    now = (await client.get(f"/api/surveys/{survey['id']}")).json()
    assert [s["title"] for s in now["definition"]["sections"]] == ["Om deg"]
    assert now["version"] == theirs["version"]


async def test_publishing_freezes_a_version_and_a_later_edit_makes_a_new_one_answers_keep_theirs(
    client,
):
    survey = await new_survey(client)
    empty = await client.post(
        f"/api/surveys/{survey['id']}/publish", json={"version": survey["version"]}
    )
    assert_refused(empty, 422, "")
    survey = await with_section(client, survey, "Om deg")
    _, survey = await with_question(client, survey, 0, type="yes_no", text="Leder?")
    published = await client.post(
        f"/api/surveys/{survey['id']}/publish", json={"version": survey["version"]}
    )
    assert published.status_code == 201, published.text
    survey = published.json()
    assert [(v["number"], v["published_at"] is not None) for v in survey["versions"]] == [(1, True)]
    again = await client.post(
        f"/api/surveys/{survey['id']}/publish", json={"version": survey["version"]}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_published"
    async with database(client) as db, db.begin():
        first = await db.scalar(
            select(SurveyVersion).where(SurveyVersion.survey_id == survey["id"])
        )
        assert first is not None
        await keep_answer(db, first, {"q1": "ja"}, municipality_id=None, today=date.today())
    _, survey = await with_question(client, survey, 0, type="short_text", text="Stilling")
    assert [
        (v["number"], v["published_at"] is not None, v["answers"]) for v in survey["versions"]
    ] == [
        (1, True, 1),
        (2, False, 0),
    ]
    async with database(client) as db:
        versions = list(
            await db.scalars(
                select(SurveyVersion)
                .where(SurveyVersion.survey_id == survey["id"])
                .order_by(SurveyVersion.number)
            )
        )
        frozen = parse_definition(versions[0].definition)
        assert [q.id for q in frozen.questions()] == ["q1"]
        answer_version = await db.scalar(select(SurveyAnswer.survey_version_id))
        assert answer_version == versions[0].id
        assert await db.scalar(select(func.count()).select_from(SurveyAnswer)) == 1


async def test_the_phase_1_template_is_seeded_and_copied_into_an_unpublished_survey(client):
    surveys = (await client.get("/api/surveys")).json()
    [template] = [s for s in surveys if s["is_template"]]
    assert "Forventninger" in template["title"]
    copy = await client.post(f"/api/surveys/{template['id']}/copy")
    assert copy.status_code == 201, copy.text
    survey = copy.json()
    assert survey["is_template"] is False
    assert [(v["number"], v["published_at"]) for v in survey["versions"]] == [(1, None)]
    definition = parse_definition(survey["definition"])
    texts = [q.text for q in definition.questions()]
    assert "Jeg ser fram til et nytt, felles system." in texts
    assert "Jeg har fått nok informasjon om prosjektet." in texts
    # A template is copied, never published; a survey is not a template to copy.
    refused = await client.post(
        f"/api/surveys/{template['id']}/publish",
        json={"version": (await client.get(f"/api/surveys/{template['id']}")).json()["version"]},
    )
    assert refused.json()["code"] == "template_not_sent"
    assert (await client.post(f"/api/surveys/{survey['id']}/copy")).json()[
        "code"
    ] == "not_a_template"


@pytest.mark.parametrize("threshold", [2, 0])
async def test_a_threshold_below_three_is_refused(client, threshold):
    response = await client.post("/api/surveys", json={"title": "X", "threshold": threshold})
    assert_refused(response, 400, "threshold")


async def test_a_number_bound_beyond_what_json_can_hold_is_refused_not_stored_as_null(client):
    survey = await with_section(client, await new_survey(client), "Om deg")
    question = {"version": survey["version"], "type": "number", "text": "År", "maximum": 1e13}
    response = await client.post(f"/api/surveys/{survey['id']}/sections/0/questions", json=question)
    assert_refused(response, 400, "maximum")
    # A form posts text: "1e400" would read as infinity, which JSON stores as null.
    page = await post_form(
        client,
        f"/admin/surveys/{survey['id']}/sections/0/questions",
        {k: str(v) for k, v in question.items()} | {"maximum": "1e400"},
    )
    assert page.status_code == 422
    assert 'id="maximum-error"' in page.text
    assert question_ids((await client.get(f"/api/surveys/{survey['id']}")).json()) == [[]]
