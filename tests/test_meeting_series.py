"""Series as the project leader makes them in the pages: monthly on a weekday or a date,
until a date or for a count; changing one meeting or all to come; copies; all groups of a
kind."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from medvirkning.formats import OSLO
from medvirkning.meetings.series import in_words, plan
from tests.support import post_form
from tests.test_meetings import calendar_of, event_of, meeting_body, reference_group


def third_wednesday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(2 - first.weekday()) % 7 + 14)


def test_monthly_on_the_third_wednesday_keeps_the_weekday_and_the_wall_time():
    start = datetime.combine(
        third_wednesday(
            2027,
            1,
        ),
        datetime.min.time(),
        OSLO,
    ).replace(hour=10)
    rule, starts = plan(start, "monthly_weekday", None, 6)
    assert rule == "FREQ=MONTHLY;BYDAY=3WE;COUNT=6"
    assert [s.date() for s in starts] == [third_wednesday(2027, m) for m in range(1, 7)]
    assert {s.hour for s in starts} == {10}  # across the change to summer time in March
    assert (
        in_words(rule, start, "bokmal") == "Møtet gjentas den tredje onsdagen i måneden, 6 ganger."
    )
    assert in_words(rule, start, "nynorsk").startswith(
        "Møtet blir gjenteke den tredje onsdagen i månaden"
    )


def test_monthly_on_a_date_until_a_day_ends_with_the_last_meeting_before_it():
    start = datetime(2027, 1, 15, 9, 0, tzinfo=OSLO)
    rule, starts = plan(start, "monthly_date", date(2027, 5, 20), None)
    assert [s.date() for s in starts] == [date(2027, m, 15) for m in range(1, 6)]
    assert rule.startswith("FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=20270515T")
    assert "den 15. i måneden til 15.05.2027" in in_words(rule, start, "bokmal")


def test_a_fifth_weekday_repeats_as_the_last_one_every_month_has():
    rule, starts = plan(datetime(2027, 1, 29, 9, 0, tzinfo=OSLO), "monthly_weekday", None, 3)
    assert "BYDAY=-1FR" in rule
    assert [s.date() for s in starts] == [date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26)]


async def test_a_monthly_series_from_the_pages_goes_out_once_with_its_rule(organiser, smtp):
    group_id, _ = await reference_group(organiser)
    start = datetime.now(OSLO) + timedelta(days=20)
    response = await post_form(
        organiser,
        "/admin/meetings/new",
        {
            "title": "Referansegruppe, månedlig",
            "date": start.strftime("%d.%m.%Y"),
            "start": "10:00",
            "end": "11:00",
            "group_ids": str(group_id),
            "repeat": "monthly_weekday",
            "repeat_count": "4",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    messages = await smtp.mailbox.wait_for(3)
    event = event_of(calendar_of(messages[0])[1])
    assert event["RRULE"]["FREQ"] == ["MONTHLY"]
    assert event["RRULE"]["COUNT"] == [4]
    listing = await organiser.get("/admin/meetings")
    assert listing.text.count("Referansegruppe, månedlig") == 1  # one row for the series
    assert "Serie: dette og 3 til" in listing.text
    page = await organiser.get(response.headers["location"])
    assert len(re.findall(r"<li>.*?kl\. 10:00", page.text)) == 4


async def test_a_series_needs_an_end_date_or_a_count_and_says_so(client):
    group_id, _ = await reference_group(client)
    refused = await post_form(
        client,
        "/admin/meetings/new",
        {
            "title": "Uten slutt",
            "date": (datetime.now(OSLO) + timedelta(days=3)).date().isoformat(),
            "start": "10:00",
            "end": "11:00",
            "group_ids": str(group_id),
            "repeat": "weekly",
        },
    )
    assert refused.status_code == 422
    assert "sluttdato eller et antall møter" in refused.text
    assert 'id="repeat-weekly" value="weekly" checked' in refused.text


async def test_changing_all_to_come_moves_this_and_every_later_meeting_in_one_letter_each(
    organiser, smtp
):
    group_id, _ = await reference_group(organiser)
    until = (datetime.now(OSLO) + timedelta(weeks=5)).date().isoformat()
    start = (datetime.now(OSLO) + timedelta(days=7)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    body = meeting_body(
        group_id,
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=1)).isoformat(),
        repeat="weekly",
        repeat_until=until,
        documents=[],
    )
    first = (await organiser.post("/api/meetings", json=body)).json()
    occurrences = [
        m
        for m in (await organiser.get("/api/meetings")).json()
        if m["series_uid"] == first["series_uid"]
    ]
    second = occurrences[1]
    second_start = datetime.fromisoformat(second["starts_at"]).astimezone(OSLO)
    await smtp.mailbox.wait_for(3)
    changed = await post_form(
        organiser,
        f"/admin/meetings/{second['id']}",
        {
            "title": second["title"],
            "date": second_start.date().isoformat(),
            "start": "12:00",
            "end": "13:00",
            "place": "Nytt rom",
            "scope": "all",
            "version": second["version"],
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    after = [
        m
        for m in (await organiser.get("/api/meetings")).json()
        if m["series_uid"] == first["series_uid"]
    ]
    hours = [datetime.fromisoformat(m["starts_at"]).astimezone(OSLO).hour for m in after]
    assert hours == [10] + [12] * (len(after) - 1)
    assert {m["place"] for m in after[1:]} == {"Nytt rom"}
    updates = (await smtp.mailbox.wait_for(6))[3:]
    assert len(updates) == 3  # one letter a person, holding every changed meeting
    events = calendar_of(updates[0])[1].walk("VEVENT")
    assert len(events) == len(after) - 1
    assert all("RECURRENCE-ID" in e for e in events)


async def test_a_meeting_is_copied_to_a_new_date_with_its_groups_and_agenda(client):
    group_id, _ = await reference_group(client)
    meeting = (await client.post("/api/meetings", json=meeting_body(group_id))).json()
    copy = await client.get(f"/admin/meetings/new?kopi={meeting['id']}")
    assert copy.status_code == 200
    assert 'value="Referansegruppe lønn; møte 1, oppstart"' in copy.text
    assert f'id="group-{group_id}" value="{group_id}" checked' in copy.text
    assert "2. Lønnsprosesser i dag</textarea>" in copy.text


async def test_all_reference_groups_are_invited_by_one_choice(client):
    first, _ = await reference_group(client)
    second = await client.post(
        "/api/groups", json={"name": "Referansegruppe økonomi", "kind": "reference_group"}
    )
    working = await client.post(
        "/api/groups", json={"name": "Arbeidsgruppe HR", "kind": "working_group"}
    )
    start = datetime.now(OSLO) + timedelta(days=5)
    body = meeting_body(
        first,
        group_ids=[],
        group_kinds=["reference_group"],
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=1)).isoformat(),
    )
    created = await client.post("/api/meetings", json=body)
    assert created.status_code == 201, created.text
    names = {g["name"] for g in created.json()["groups"]}
    assert names == {"Referansegruppe lønn", "Referansegruppe økonomi"}
    assert second.status_code == working.status_code == 201
    form = await client.get("/admin/meetings/new")
    assert "Alle referansegrupper" in form.text
    assert "Alle nettverk<" in form.text
