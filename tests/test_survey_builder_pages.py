"""Building a survey on the pages, as a project leader who writes no JSON: forms that keep
what was typed and name each error at its field, move buttons, confirmation pages of their
own for what cannot be undone, a preview, publishing, and stale edits refused."""

from __future__ import annotations

import re
from typing import Any

from medvirkning.auth.models import Role
from surveys.definition import parse_definition
from tests.support import post_form, sign_in_as


def version_on(page: str) -> str:
    match = re.search(r'name="version" value="([^"]+)"', page)
    assert match, "the page carries no version"
    return match.group(1)


async def built(client: Any, survey_id: int) -> dict[str, Any]:
    return (await client.get(f"/api/surveys/{survey_id}")).json()


async def new_survey_on_page(client: Any, **fields: str) -> int:
    form = {"title": "Opplæringsbehov", "language": "bokmal", "threshold": "5"} | fields
    response = await post_form(client, "/admin/surveys/new", form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].split("/")[3].split("?")[0])


async def post_from(client: Any, page_url: str, action: str, form: dict[str, Any]) -> Any:
    """Post a form with the version the page showed, as the browser does."""
    version = version_on((await client.get(page_url)).text)
    return await post_form(client, action, form | {"version": version}, follow_redirects=False)


async def test_a_survey_is_built_on_the_pages_with_every_question_type(client):
    survey_id = await new_survey_on_page(client, language="nynorsk", response_target="70")
    page = f"/admin/surveys/{survey_id}"
    assert "Undersøkelsen er opprettet" in (await client.get(f"{page}?melding=opprettet")).text
    added = await post_from(client, f"{page}/sections/new", f"{page}/sections", {"title": "Om deg"})
    assert added.status_code == 303
    forms = [
        {"type": "single_choice", "text": "Fagområde", "options": "Lønn\n\nØkonomi\n"},
        {"type": "multiple_choice", "text": "System", "options": "Visma\nAgresso"},
        {"type": "likert", "text": "Eg er nøgd", **{f"label_{n}": f"P{n}" for n in range(1, 6)}},
        {"type": "scale", "text": "Kor viktig", "low_label": "Lite", "high_label": "Mykje"},
        {"type": "yes_no", "text": "Leiar?"},
        {"type": "short_text", "text": "Stilling", "max_length": "80"},
        {"type": "long_text", "text": "Anna"},
        {"type": "number", "text": "År", "minimum": "0", "maximum": "45,5", "integer": "on"},
    ]
    for form in forms:
        new = f"{page}/sections/0/questions/new?type={form['type']}"
        response = await post_from(
            client, new, f"{page}/sections/0/questions", form | {"required": "on"}
        )
        assert response.status_code == 303, response.text
    # Long text left optional: an unticked box posts nothing.
    edit = f"{page}/questions/q7"
    assert (
        await post_from(client, edit, edit, {"type": "long_text", "text": "Anna"})
    ).status_code == 303
    definition = parse_definition((await built(client, survey_id))["definition"])
    questions = list(definition.questions())
    assert [q.kind.value for q in questions] == [f["type"] for f in forms]
    assert questions[0].options == ("Lønn", "Økonomi")  # type: ignore[union-attr]
    assert questions[2].labels == ("P1", "P2", "P3", "P4", "P5")  # type: ignore[union-attr]
    assert questions[7].maximum == 45.5  # type: ignore[union-attr]
    assert [q.required for q in questions] == [True] * 6 + [False, True]
    assert definition.language.value == "nynorsk"
    builder = (await client.get(page)).text
    assert "8. År" in builder
    assert "Ja eller nei" in builder


async def test_a_refused_question_form_names_each_error_at_its_field_and_keeps_what_was_typed(
    client,
):
    survey_id = await new_survey_on_page(client)
    page = f"/admin/surveys/{survey_id}"
    await post_from(client, f"{page}/sections/new", f"{page}/sections", {"title": "Om deg"})
    new = f"{page}/sections/0/questions/new?type=single_choice"
    refused = await post_from(
        client,
        new,
        f"{page}/sections/0/questions",
        {"type": "single_choice", "text": "Hvilket fagområde?", "options": "Bare ett"},
    )
    assert refused.status_code == 422
    assert 'href="#options"' in refused.text
    assert 'id="options-error"' in refused.text
    assert "minst to svaralternativer" in refused.text
    assert "Hvilket fagområde?" in refused.text
    assert "Bare ett" in refused.text
    assert (await built(client, survey_id))["definition"]["sections"][0]["questions"] == []


async def test_conditions_moves_and_deletes_on_the_pages(client):
    survey_id = await new_survey_on_page(client)
    page = f"/admin/surveys/{survey_id}"
    await post_from(client, f"{page}/sections/new", f"{page}/sections", {"title": "Alt"})
    for form in (
        {"type": "yes_no", "text": "Bekymret?", "required": "on"},
        {"type": "long_text", "text": "Hva bekymrer deg?"},
        {"type": "number", "text": "År i jobben"},
    ):
        new = f"{page}/sections/0/questions/new?type={form['type']}"
        await post_from(client, new, f"{page}/sections/0/questions", form)
    # Step one picks the earlier question; step two says how it must be answered.
    step_two = await client.get(f"{page}/questions/q2/condition?sporsmal=q1")
    assert 'name="answer"' in step_two.text
    saved = await post_from(
        client,
        f"{page}/questions/q2/condition?sporsmal=q1",
        f"{page}/questions/q2/condition",
        {"question": "q1", "answer": "ja"},
    )
    assert saved.status_code == 303
    assert "Vises bare hvis svaret på «Bekymret?» er ja." in (await client.get(page)).text
    # Moving it above what it looks at is refused on the builder page, with the reason.
    moved = await post_from(client, page, f"{page}/questions/q2/move", {"direction": "up"})
    assert moved.status_code == 422
    assert "ikke er et tidligere spørsmål" in moved.text
    moved = await post_from(client, page, f"{page}/questions/q3/move", {"direction": "up"})
    assert moved.status_code == 303
    ids = [
        q["id"] for q in (await built(client, survey_id))["definition"]["sections"][0]["questions"]
    ]
    assert ids == ["q1", "q3", "q2"]
    # Deleting asks first, on a page of its own; the question stays until confirmed.
    confirm = await client.get(f"{page}/questions/q3/delete")
    assert "Slette spørsmålet «År i jobben»?" in confirm.text
    assert len((await built(client, survey_id))["definition"]["sections"][0]["questions"]) == 3
    deleted = await post_from(
        client, f"{page}/questions/q3/delete", f"{page}/questions/q3/delete", {}
    )
    assert deleted.status_code == 303
    ids = [
        q["id"] for q in (await built(client, survey_id))["definition"]["sections"][0]["questions"]
    ]
    assert ids == ["q1", "q2"]


async def test_publishing_asks_first_then_locks_the_version_and_the_next_edit_starts_another(
    client,
):
    survey_id = await new_survey_on_page(client)
    page = f"/admin/surveys/{survey_id}"
    refused = await post_from(client, f"{page}/publish", f"{page}/publish", {})
    assert refused.status_code == 422
    assert "kan ikke publiseres ennå" in refused.text
    await post_from(client, f"{page}/sections/new", f"{page}/sections", {"title": "Alt"})
    new = f"{page}/sections/0/questions/new?type=yes_no"
    await post_from(
        client, new, f"{page}/sections/0/questions", {"type": "yes_no", "text": "Leder?"}
    )
    confirm = await client.get(f"{page}/publish")
    assert "Publisere versjon 1" in confirm.text
    published = await post_from(client, f"{page}/publish", f"{page}/publish", {})
    assert published.status_code == 303
    assert "Publisert:" in (await client.get(page)).text
    await post_from(client, f"{page}/sections/new", f"{page}/sections", {"title": "Mer"})
    after = (await client.get(page)).text
    assert "versjon 2 er ikke publisert" in after
    assert "Svar gis fortsatt på versjon 1" in after


async def test_a_stale_edit_on_the_pages_is_refused_and_shows_the_survey_as_saved(client):
    survey_id = await new_survey_on_page(client)
    page = f"/admin/surveys/{survey_id}"
    seen = version_on((await client.get(f"{page}/sections/new")).text)
    await post_from(client, f"{page}/sections/new", f"{page}/sections", {"title": "Deres"})
    mine = await post_form(
        client, f"{page}/sections", {"title": "Min", "version": seen}, follow_redirects=False
    )
    assert mine.status_code == 409
    assert "Noen andre har endret «Opplæringsbehov»" in mine.text
    assert 'value="Min"' in mine.text  # what was typed is kept
    assert version_on(mine.text) != seen  # saving again is a choice made seeing theirs
    sections = (await built(client, survey_id))["definition"]["sections"]
    assert [s["title"] for s in sections] == ["Deres"]


async def test_the_template_is_copied_from_the_list_and_previewed_as_a_respondent_sees_it(client):
    listing = (await client.get("/admin/surveys")).text
    template_id = re.search(r'action="/admin/surveys/(\d+)/copy"', listing)
    assert template_id
    copied = await post_form(
        client, f"/admin/surveys/{template_id.group(1)}/copy", {}, follow_redirects=False
    )
    assert copied.status_code == 303
    survey_page = await client.get(copied.headers["location"])
    assert "Malen er kopiert" in survey_page.text
    preview = await client.get(copied.headers["location"].split("?")[0] + "/preview")
    assert "<legend" in preview.text
    assert "Side 1 av 4" in preview.text
    assert "Jeg ser fram til et nytt, felles system." in preview.text


async def test_the_steering_group_sees_the_list_but_cannot_build(anonymous):
    await sign_in_as(anonymous, Role.STEERING)
    listing = await anonymous.get("/admin/surveys")
    assert listing.status_code == 200
    assert "Ny undersøkelse" not in listing.text
    assert (await anonymous.get("/admin/surveys/new")).status_code == 403
