"""Answering a survey through a personal link, with no sign-in: section by section, saved
to finish later, submitted once, and pages for a survey not open, closed or answered."""

from __future__ import annotations

from datetime import timedelta

import msgspec
from sqlalchemy import func, select

from medvirkning.db import utcnow
from medvirkning.surveys.models import Survey, SurveyAnswer
from medvirkning.surveys.respondents import SurveyAnswered, SurveyDraft, SurveyOpenLink
from tests.support import database, post_form
from tests.survey_links import form, full_answers, links_in_outbox, published_survey, send_to

ADDRESS = "ansatt@kongsberg.kommune.no"


async def _one_link(client, **options) -> tuple[int, str]:
    async with database(client) as db, db.begin():
        survey_id = await published_survey(db, **options)
        await send_to(db, client.app.state.settings, survey_id, [ADDRESS])
        links = await links_in_outbox(db)
    return survey_id, links[ADDRESS]


async def test_a_respondent_answers_section_by_section_and_gets_a_receipt(anonymous):
    _, token = await _one_link(anonymous)
    url = f"/undersokelse/{token}"
    first = await anonymous.get(url)
    assert first.status_code == 200
    assert "Del 1 av 2" in first.text
    assert "<legend" in first.text
    assert "Hva jobber du mest med?" in first.text
    answers = full_answers(12)
    step = await post_form(anonymous, url, form(answers, 1, "neste"), follow_redirects=False)
    assert step.status_code == 303
    assert step.headers["location"] == f"{url}?del=2"
    second = await anonymous.get(step.headers["location"])
    assert "Del 2 av 2" in second.text
    done = await post_form(anonymous, url, form(answers, 2, "send"), follow_redirects=False)
    assert done.status_code == 303, done.text
    receipt = await anonymous.get(done.headers["location"])
    assert "Takk for svaret" in receipt.text
    assert "Hva skjer nå?" in receipt.text
    again = await anonymous.get(url)
    assert "Du har allerede svart" in again.text
    async with database(anonymous) as db:
        stored = list(await db.scalars(select(SurveyAnswer)))
        assert len(stored) == 1
        assert msgspec.json.decode(stored[0].answers)["annet"] == "Svar nummer 12"
        assert await db.scalar(select(func.count()).select_from(SurveyDraft)) == 0
        assert await db.scalar(select(func.count()).select_from(SurveyAnswered)) == 1


async def test_errors_are_listed_at_the_top_linked_to_their_questions_and_typed_values_kept(
    anonymous,
):
    _, token = await _one_link(anonymous)
    url = f"/undersokelse/{token}"
    refused = await post_form(
        anonymous, url, {"svar.aar": "mange", "del": "1", "handling": "neste"}
    )
    assert refused.status_code == 422
    page = refused.text
    assert 'class="ds-error-summary"' in page
    assert '<a class="ds-link" href="#q0-0">Du må svare på «Hva jobber du mest med?».</a>' in page
    assert 'href="#q2"' in page
    assert "«Hvor mange år har du jobbet i kommunen?» må være et tall" in page
    assert 'id="q2" name="svar.aar" value="mange"' in page


async def test_a_saved_draft_comes_back_through_the_same_link_and_is_sealed(anonymous):
    _, token = await _one_link(anonymous)
    url = f"/undersokelse/{token}"
    saved = await post_form(
        anonymous,
        url,
        {"svar.arbeid": "Regnskap", "svar.aar": "7", "del": "1", "handling": "lagre"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "lagret" in (await anonymous.get(saved.headers["location"])).text
    anonymous.cookies.clear()  # later, on another visit
    back = await anonymous.get(url)
    assert 'value="Regnskap" checked' in back.text
    assert 'value="7"' in back.text
    async with database(anonymous) as db:
        sealed = await db.scalar(select(SurveyDraft.sealed))
    assert sealed is not None
    assert "Regnskap" not in sealed


async def test_a_survey_not_yet_open_or_closed_says_so_and_takes_no_answer(anonymous):
    survey_id, token = await _one_link(anonymous)
    url = f"/undersokelse/{token}"
    async with database(anonymous) as db, db.begin():
        survey = await db.get(Survey, survey_id)
        survey.opens_at = utcnow() + timedelta(days=2)
    assert "ikke åpnet ennå" in (await anonymous.get(url)).text
    async with database(anonymous) as db, db.begin():
        survey = await db.get(Survey, survey_id)
        survey.opens_at, survey.closes_at = None, utcnow() - timedelta(minutes=1)
    assert "Undersøkelsen er stengt" in (await anonymous.get(url)).text
    posted = await post_form(anonymous, url, form(full_answers(), 2, "send"))
    assert posted.status_code == 409
    async with database(anonymous) as db:
        assert await db.scalar(select(func.count()).select_from(SurveyAnswer)) == 0


async def test_a_nynorsk_survey_speaks_nynorsk(anonymous):
    _, token = await _one_link(anonymous, language="nynorsk")
    page = await anonymous.get(f"/undersokelse/{token}")
    assert '<html lang="nn">' in page.text
    assert "Lagre og hald fram seinare" in page.text
    refused = await post_form(anonymous, f"/undersokelse/{token}", form({}, 1, "neste"))
    assert "Nokre svar må rettast" in refused.text


async def test_an_unknown_link_is_not_found(anonymous):
    assert (await anonymous.get("/undersokelse/ukjent-lenke-1234567890")).status_code == 404


async def test_the_link_is_the_credential_so_answering_needs_no_csrf_token(anonymous):
    """The token in the address is what a page elsewhere would lack, so the answering form
    asks for no CSRF token; the open link, whose code is shared, still does."""
    survey_id, token = await _one_link(anonymous)
    url = f"/undersokelse/{token}"
    answers = full_answers(3)
    step = await anonymous.post(url, data=form(answers, 1, "neste"), follow_redirects=False)
    assert step.status_code == 303
    done = await anonymous.post(url, data=form(answers, 2, "send"), follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{url}/kvittering"
    async with database(anonymous) as db, db.begin():
        assert await db.scalar(select(func.count()).select_from(SurveyAnswer)) == 1
        db.add(SurveyOpenLink(survey_id=survey_id, code="intranett-uten-token"))
    started = await anonymous.post("/apen-undersokelse/intranett-uten-token", data={})
    assert started.status_code == 403
