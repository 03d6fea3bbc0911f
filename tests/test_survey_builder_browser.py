"""The project leader's survey journey in Chromium, through the pages only: a survey built
from the phase-1 template, a question added, moved and given a condition, previewed and
published; then the results page hides the municipality below the threshold. Every page
meets WCAG 2.1 AA (axe) and does not scroll sideways at 320 CSS pixels."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from medvirkning.surveys.queries import published_version
from tests import scenario
from tests.support import database
from tests.survey_answers import keep_answer
from tests.test_browser import signed_in, violations  # noqa: F401  (the fixture, by name)
from tests.test_members_browser import NARROW, sideways

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

# One respondent's answers to the template (the question added in the journey is optional).
ANSWER: dict[str, Any] = {
    "q1": "Lønn og personal",
    "q2": "1–5 år",
    "q3": 7,
    "q4": 3,
    "q5": 4,
    "q6": ["Enkelt å bruke"],
    "q7": "nei",
    "q9": "Noe",
    "q10": 4,
    "q12": 2,
    "q13": 3,
    "q14": ["Informasjonsmøter"],
}


async def checked(page: Any) -> None:
    assert await violations(page) == [], page.url
    assert await sideways(page) == [], page.url


async def answers_from(client: Any, survey_id: int, per_municipality: dict[str, int]) -> None:
    """Staff answers, as the answering pages would store them."""
    async with database(client) as db, db.begin():
        ids = await scenario.municipality_ids(db)
        version = await published_version(db, survey_id)
        assert version is not None
        for name, count in per_municipality.items():
            for _ in range(count):
                await keep_answer(
                    db, version, ANSWER, municipality_id=ids[name], today=date.today()
                )


async def test_the_project_leader_builds_from_the_template_publishes_and_reads_results_at_320px(
    signed_in,  # noqa: F811
    live_server,
    client,
):
    context = await signed_in(viewport=NARROW)
    page = await context.new_page()
    # The Content-Security-Policy must block nothing these pages use (the charts included).
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Security Policy" in m.text else None)
    await page.goto(f"{live_server}/admin/surveys")
    await checked(page)
    await page.click("button:has-text('Lag ny undersøkelse fra malen')")
    assert "Malen er kopiert" in await page.locator("main").inner_text()
    survey_url = page.url.split("?")[0]
    survey_id = int(survey_url.rsplit("/", 1)[1])
    await checked(page)

    # Settings: a title of its own.
    await page.click("text=Innstillinger")
    await checked(page)
    await page.fill("#title", "Forventninger i Kongsberg og Rollag")
    await page.click("main form button[type=submit]")
    assert "Endringen er lagret" in await page.locator("main").inner_text()

    # A new question in the first section: refused with one option, then saved with two.
    await page.select_option("#type-0", "single_choice")
    await page.click("form[action$='/sections/0/questions/new'] button")
    await page.fill("#text", "Hvor jobber du?")
    await page.fill("#options", "Rådhuset")
    await page.uncheck("#required")
    await page.click("main form.register-form button[type=submit]")
    # Focus moves when the refused page has loaded: wait for it, not race it.
    await page.wait_for_function("document.activeElement?.className === 'ds-error-summary'")
    assert "minst to svaralternativer" in await page.locator("#options-error").inner_text()
    assert await page.input_value("#text") == "Hvor jobber du?"
    await checked(page)
    await page.fill("#options", "Rådhuset\nSkole eller barnehage\nHelse og omsorg")
    await page.click("main form.register-form button[type=submit]")
    assert "Endringen er lagret" in await page.locator("main").inner_text()
    assert "3. Hvor jobber du?" in await page.locator("main").inner_text()

    # Moved up one place with a button, no script needed.
    await page.click("button[aria-label='Flytt opp: spørsmål 3']")
    assert "Flyttet." in await page.locator("main").inner_text()
    assert "2. Hvor jobber du?" in await page.locator("main").inner_text()
    await checked(page)

    # A condition: shown only to those who work in health and care.
    await page.goto(f"{survey_url}/questions/q3/condition")
    await page.select_option("#sporsmal", "q16")
    await page.click("form[method=get] button")
    await page.check("label:has-text('Helse og omsorg')")
    await checked(page)
    await page.click("main form.register-form button[type=submit]")
    assert "Vises bare hvis svaret på «Hvor jobber du?» er «Helse og omsorg»." in (
        await page.locator("main").inner_text()
    )

    # Preview as a respondent sees it.
    await page.click("text=Forhåndsvis")
    assert await page.locator("fieldset legend").count() == 16
    await checked(page)

    # Publish, after a confirmation page of its own.
    await page.goto(survey_url)
    await page.click("main a:has-text('Publiser')")
    assert "Publisere versjon 1" in await page.locator("h1").inner_text()
    await checked(page)
    await page.click("button:has-text('Ja, publiser')")
    assert "Undersøkelsen er publisert" in await page.locator("main").inner_text()

    # Answers come in: Kongsberg 7, Notodden 5, Rollag 2 (threshold 5).
    await answers_from(client, survey_id, {"Kongsberg": 7, "Notodden": 5, "Rollag": 2})
    await page.click("main a:has-text('Resultater')")
    table = await page.locator("table").first.inner_text()
    assert "Kongsberg\t7" in table
    assert "Rollag\tSkjult" in table
    assert "Notodden\tSkjult" in table  # else Rollag would be 14 − 7 − 5
    assert await page.locator("svg.chart").count() > 0
    await checked(page)
    await page.select_option("#kommune", "Rollag")
    await page.click("form[method=get] button")
    assert "Resultatene for Rollag vises ikke" in await page.locator("main").inner_text()
    await checked(page)
    await page.select_option("#kommune", "Kongsberg")
    await page.click("form[method=get] button")
    assert "Svarene fra Kongsberg" in await page.locator("main").inner_text()
    await checked(page)
    assert blocked == []


async def test_every_builder_form_meets_wcag_and_fits_320_pixels(
    signed_in,  # noqa: F811
    live_server,
    client,
):
    """The forms the journey does not pass through: each question type, both kinds of
    condition, the section form, a confirmation, a refused settings form, a nynorsk preview."""
    survey = (
        await client.post("/api/surveys", json={"title": "Alle typer", "language": "nynorsk"})
    ).json()
    survey = (
        await client.post(
            f"/api/surveys/{survey['id']}/sections",
            json={"version": survey["version"], "title": "Alt"},
        )
    ).json()
    for question in (
        {"type": "single_choice", "text": "Fag", "options": ["Lønn", "Økonomi"]},
        {"type": "number", "text": "År", "minimum": 0},
        {"type": "short_text", "text": "Stilling", "required": False},
    ):
        added = await client.post(
            f"/api/surveys/{survey['id']}/sections/0/questions",
            json={"version": survey["version"]} | question,
        )
        survey = added.json()["survey"]
    base = f"{live_server}/admin/surveys/{survey['id']}"
    kinds = ["single_choice", "multiple_choice", "likert", "scale", "yes_no", "short_text"]
    urls = [
        f"{base}/sections/0/questions/new?type={kind}" for kind in [*kinds, "long_text", "number"]
    ]
    urls += [
        f"{base}/sections/new",
        f"{base}/sections/0",
        f"{base}/sections/0/delete",
        f"{base}/questions/q3/condition?sporsmal=q1",
        f"{base}/questions/q3/condition?sporsmal=q2",
        f"{base}/questions/q1/condition",
        f"{base}/questions/q2",
        f"{base}/questions/q2/delete",
        f"{base}/preview",
        f"{live_server}/admin/surveys/new",
    ]
    context = await signed_in(viewport=NARROW)
    page = await context.new_page()
    for url in urls:
        response = await page.goto(url)
        assert response.status == 200, url
        await checked(page)
    assert await page.evaluate("document.documentElement.lang") == "nb"
    await page.goto(f"{base}/preview")
    assert await page.evaluate("document.documentElement.lang") == "nn"
    # A refused settings form: every error listed at the top and at its field.
    await page.goto(f"{base}/settings")
    await page.fill("#title", "")
    await page.fill("#threshold", "2")
    await page.click("main form button[type=submit]")
    assert await page.locator(".ds-error-summary li").count() == 2
    assert "minst 3" in await page.locator("#threshold-error").inner_text()
    await checked(page)
