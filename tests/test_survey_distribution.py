"""Distributing a survey: the audience by municipality, group, role or a list of addresses;
personal links and reminders through the outbox; opening and closing times; open links with
a limit per client; and the live response rate under the anonymity threshold."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from medvirkning.mail.models import OutboxMessage
from medvirkning.people.models import Membership, MembershipRole
from medvirkning.surveys.respondents import SurveyRecipient
from tests import scenario
from tests.support import assert_refused, database, post_form
from tests.survey_links import (
    answer_through,
    full_answers,
    links_in_outbox,
    published_survey,
)


async def _survey(client, **options) -> int:
    async with database(client) as db, db.begin():
        return await published_survey(db, **options)


async def _letters(client, kind: str = "survey_link") -> list[tuple[str, str]]:
    async with database(client) as db:
        rows = await db.execute(
            select(OutboxMessage.recipient, OutboxMessage.subject).where(OutboxMessage.kind == kind)
        )
        return [tuple(row) for row in rows]


async def test_the_audience_comes_from_municipalities_groups_roles_and_a_list(client):
    async with database(client) as db, db.begin():
        ids = await scenario.municipality_ids(db)
        await scenario.add_people(db, 3, ids["Rollag"], prefix="rollag")
        tinn = await scenario.add_people(db, 2, ids["Tinn"], prefix="tinn")
        group_id = await scenario.add_group(db, "Referansegruppe lønn", tinn[:1])
        union = await scenario.add_people(db, 1, ids["Notodden"], prefix="tv")
        hr = await scenario.add_group(db, "Arbeidsgruppe HR")
        db.add(
            Membership(
                group_id=hr,
                person_id=union[0],
                role=MembershipRole.UNION_REP,
                starts_on=date.today() - timedelta(days=5),
            )
        )
    survey_id = await _survey(client)
    body = {
        "municipality_ids": [ids["Rollag"]],
        "group_ids": [group_id],
        "roles": ["union_rep"],
        "emails": ["ikke.registrert@sigdal.kommune.no"],
        "list_municipality_id": ids["Sigdal"],
    }
    added = await client.post(f"/api/surveys/{survey_id}/audience", json=body)
    assert added.status_code == 201, added.text
    assert added.json() == {"added": 6, "already": 0}
    again = await client.post(f"/api/surveys/{survey_id}/audience", json=body)
    assert again.json() == {"added": 0, "already": 6}
    async with database(client) as db:
        listed = await db.scalar(
            select(SurveyRecipient.municipality_id).where(
                SurveyRecipient.email == "ikke.registrert@sigdal.kommune.no"
            )
        )
    assert listed == ids["Sigdal"]
    refused = await client.post(
        f"/api/surveys/{survey_id}/audience", json={"municipality_ids": [999999]}
    )
    assert_refused(refused, 422, "municipality_ids[0]")
    empty = await client.post(f"/api/surveys/{survey_id}/audience", json={})
    assert_refused(empty, 422, "municipality_ids")


async def test_links_go_out_in_the_surveys_language_form_once_and_reminders_only_to_the_rest(
    client,
):
    settings = client.app.state.settings
    survey_id = await _survey(client, language="nynorsk")
    people = ["a@hjartdal.kommune.no", "b@hjartdal.kommune.no", "c@hjartdal.kommune.no"]
    await client.post(f"/api/surveys/{survey_id}/audience", json={"emails": people})
    sent = await client.post(f"/api/surveys/{survey_id}/links")
    assert sent.json() == {"sent": 3}
    assert (await client.post(f"/api/surveys/{survey_id}/links")).json() == {"sent": 0}
    letters = await _letters(client)
    assert sorted(r for r, _ in letters) == people
    assert all(s == "Spørjeundersøking: Forventninger til nytt ERP-system" for _, s in letters)
    async with database(client) as db:
        links = await links_in_outbox(db)
    await answer_through(settings, links["a@hjartdal.kommune.no"], full_answers())
    reminded = await client.post(f"/api/surveys/{survey_id}/reminders")
    assert reminded.json() == {"sent": 2}
    reminders = await _letters(client, "survey_reminder")
    assert sorted(r for r, _ in reminders) == people[1:]
    assert all(s.startswith("Påminning: ") for _, s in reminders)
    # The reminder's fresh link answers for the same person, once.
    async with database(client) as db:
        newest = await links_in_outbox(db)
    assert newest["b@hjartdal.kommune.no"] != links["b@hjartdal.kommune.no"]
    await answer_through(settings, newest["b@hjartdal.kommune.no"], full_answers())
    page = await client.get(f"/undersokelse/{links['b@hjartdal.kommune.no']}")
    assert "Du har alt svart" in page.text


async def test_links_wait_for_publishing(client):
    async with database(client) as db, db.begin():
        from medvirkning.surveys.store import create_survey
        from surveys.definition import parse_definition
        from tests.survey_links import definition

        draft = await create_survey(db, parse_definition(definition()))
    await client.post(f"/api/surveys/{draft.id}/audience", json={"emails": ["x@tinn.kommune.no"]})
    refused = await client.post(f"/api/surveys/{draft.id}/links")
    assert refused.status_code == 409
    assert refused.json()["code"] == "survey_not_published"
    assert await _letters(client) == []


async def test_closing_before_opening_is_refused_naming_the_field(client):
    survey_id = await _survey(client)
    refused = await client.put(
        f"/api/surveys/{survey_id}/schedule",
        json={"opens_at": "2027-03-01T08:00:00+01:00", "closes_at": "2027-02-01T08:00:00+01:00"},
    )
    assert_refused(refused, 422, "closes_at")
    page = await post_form(
        client,
        f"/admin/surveys/{survey_id}/utsending/tider",
        {"opens_date": "2027-03-01", "opens_time": "08:00", "closes_date": "2027-02-01"},
    )
    assert page.status_code == 422
    assert 'href="#closes_date"' in page.text
    assert 'value="2027-02-01"' in page.text
    saved = await post_form(
        client,
        f"/admin/surveys/{survey_id}/utsending/tider",
        {"opens_date": "01.03.2027", "opens_time": "08:00", "closes_date": "2027-03-15"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    shown = await client.get(saved.headers["location"])
    assert "Åpning og stenging er lagret." in shown.text
    assert 'value="2027-03-01"' in shown.text
    assert 'value="08:00"' in shown.text


async def test_the_response_rate_hides_a_small_municipality_and_the_one_that_would_reveal_it(
    client,
):
    settings = client.app.state.settings
    survey_id = await _survey(client)
    async with database(client) as db:
        ids = await scenario.municipality_ids(db)
    plan = {"Rollag": (4, 2), "Kongsberg": (10, 5), "Flesberg": (8, 6)}
    for name, (invited, _) in plan.items():
        emails = [f"{name.lower()}.{n}@kommune.no" for n in range(invited)]
        await client.post(
            f"/api/surveys/{survey_id}/audience",
            json={"emails": emails, "list_municipality_id": ids[name]},
        )
    await client.post(f"/api/surveys/{survey_id}/links")
    async with database(client) as db:
        links = await links_in_outbox(db)
    for name, (_, answering) in plan.items():
        for n in range(answering):
            await answer_through(settings, links[f"{name.lower()}.{n}@kommune.no"], full_answers())
    rates = (await client.get(f"/api/surveys/{survey_id}/response-rate")).json()
    shown = {row["municipality"]: row for row in rates["municipalities"]}
    # Rollag's 2 alone could be read as the total minus the others: Kongsberg hides too.
    assert shown["Rollag"] == {
        "municipality": "Rollag",
        "invited": 4,
        "answered": None,
        "percent": None,
        "hidden": True,
    }
    assert shown["Kongsberg"]["hidden"] is True
    assert shown["Flesberg"]["answered"] == 6
    assert shown["Flesberg"]["percent"] == 75
    assert rates["answered"] == 13
    page = await client.get(f"/admin/surveys/{survey_id}/utsending")
    assert page.text.count("<td>Skjult* (") == 2
    assert "<td>6 av 8 (75 %)</td>" in page.text


async def test_an_open_link_lets_each_client_start_only_so_many_answers_an_hour(client, anonymous):
    survey_id = await _survey(client)
    made = await client.post(f"/api/surveys/{survey_id}/open-links", json={"limit_per_hour": 2})
    assert made.status_code == 201, made.text
    path = "/" + made.json()["url"].split("/", 3)[3]
    statuses = []
    for _ in range(3):
        started = await post_form(client, path, {}, follow_redirects=False)
        statuses.append(started.status_code)
    assert statuses == [303, 303, 429]
    page = await post_form(client, path, {})
    assert "For mange svar er startet fra denne maskinen" in page.text


async def test_sending_links_from_the_page_is_confirmed_on_a_page_of_its_own(client):
    survey_id = await _survey(client)
    added = await post_form(
        client,
        f"/admin/surveys/{survey_id}/utsending/mottakere",
        {"emails": "en@flesberg.kommune.no\nto@flesberg.kommune.no"},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    confirm = await client.get(f"/admin/surveys/{survey_id}/utsending/send-lenker")
    assert "Send 2 lenker" in confirm.text
    assert await _letters(client) == []
    sent = await post_form(
        client, f"/admin/surveys/{survey_id}/utsending/send-lenker", {}, follow_redirects=False
    )
    assert sent.status_code == 303
    assert len(await _letters(client)) == 2


async def test_drafts_go_at_closing_and_who_was_asked_30_days_later(client):
    from datetime import timedelta

    from medvirkning.db import utcnow
    from medvirkning.surveys.models import Survey
    from medvirkning.surveys.respondents import SurveyAnswered, SurveyDraft, SurveyLink
    from medvirkning.surveys.retention import forget_what_is_no_longer_needed

    settings = client.app.state.settings
    survey_id = await _survey(client)
    people = ["svarte@tinn.kommune.no", "halvveis@tinn.kommune.no"]
    await client.post(f"/api/surveys/{survey_id}/audience", json={"emails": people})
    await client.post(f"/api/surveys/{survey_id}/links")
    async with database(client) as db:
        links = await links_in_outbox(db)
    await answer_through(settings, links[people[0]], full_answers())
    await post_form(
        client,
        f"/undersokelse/{links[people[1]]}",
        {"svar.arbeid": "Lønn", "del": "1", "handling": "lagre"},
    )

    async def state() -> tuple[int, int, list[str | None], int]:
        async with database(client) as db:
            drafts = await db.scalar(select(func.count()).select_from(SurveyDraft))
            link_count = await db.scalar(select(func.count()).select_from(SurveyLink))
            emails = list(await db.scalars(select(SurveyRecipient.email)))
            marks = await db.scalar(select(func.count()).select_from(SurveyAnswered))
        return drafts or 0, link_count or 0, sorted(emails, key=str), marks or 0

    async def close(days_ago: int) -> None:
        async with database(client) as db, db.begin():
            survey = await db.get(Survey, survey_id)
            survey.closes_at = utcnow() - timedelta(days=days_ago, minutes=1)
            await forget_what_is_no_longer_needed(db)

    assert (await state())[0] == 1
    await close(0)
    assert await state() == (0, 2, sorted(people), 1)
    await close(30)
    assert await state() == (0, 0, [None, None], 1)
    rates = (await client.get(f"/api/surveys/{survey_id}/response-rate")).json()
    assert rates["invited"] == 2  # the counts outlive the addresses


async def test_an_uploaded_spreadsheet_list_adds_its_addresses_and_skips_headers_and_names(
    client,
):
    survey_id = await _survey(client)
    if "csrftoken" not in client.cookies:
        await client.get("/tilgjengelighet")
    csv = "Navn;E-post\nKari Lønn;kari@nore-og-uvdal.kommune.no\nOla;ola@nore-og-uvdal.kommune.no\n"
    added = await client.post(
        f"/admin/surveys/{survey_id}/utsending/mottakere",
        data={"_csrf_token": client.cookies["csrftoken"]},
        files={"email_file": ("ansatte.csv", csv.encode("utf-8-sig"), "text/csv")},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    async with database(client) as db:
        emails = sorted(await db.scalars(select(SurveyRecipient.email)))
    assert emails == ["kari@nore-og-uvdal.kommune.no", "ola@nore-og-uvdal.kommune.no"]
