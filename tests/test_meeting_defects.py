"""The defects found when a project leader ran a year of meetings, each shown fixed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from medvirkning.formats import OSLO
from medvirkning.meetings.models import Invitation, Meeting
from medvirkning.people.models import Person
from tests.support import database, post_form
from tests.test_calendar import ICAL_DIR
from tests.test_meetings import (
    IN_A_WEEK,
    calendar_of,
    event_of,
    meeting_body,
    reference_group,
    reminders,
)


def replay_with_ical_js(messages: list[Any]) -> list[dict[str, str]]:
    """What an invitee's calendar shows after all their messages (tests/ical/replay.js)."""
    files = []
    for message in messages:
        [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        files.append(part.get_payload(decode=True).decode())
    result = subprocess.run(
        [shutil.which("node") or "node", str(ICAL_DIR / "replay.js")],  # after `ical_js` ran npm
        input=json.dumps(files).encode(),
        capture_output=True,
        timeout=60,
        check=False,
        env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr.decode()
    shown: list[dict[str, str]] = json.loads(result.stdout)
    return shown


def utc_text(moment: str) -> str:
    return (
        datetime.fromisoformat(moment).astimezone(OSLO).astimezone().strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def as_utc(moment: str) -> str:
    from datetime import UTC

    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_a_meeting_with_documents_can_be_changed_in_the_api_and_the_pages(organiser, smtp):
    group_id, _ = await reference_group(organiser)
    meeting = (await organiser.post("/api/meetings", json=meeting_body(group_id))).json()
    new_document = {"title": "Ny kravspesifikasjon", "url": "https://example.no/krav-2.pdf"}
    changed = await organiser.patch(
        f"/api/meetings/{meeting['id']}", json={"documents": [new_document]}
    )
    assert changed.status_code == 200, changed.text
    assert [d["title"] for d in changed.json()["documents"]] == ["Ny kravspesifikasjon"]
    edit = await organiser.get(f"/admin/meetings/{meeting['id']}/edit")
    assert "Ny kravspesifikasjon | https://example.no/krav-2.pdf" in edit.text
    start = IN_A_WEEK.astimezone(OSLO)
    saved = await post_form(
        organiser,
        f"/admin/meetings/{meeting['id']}",
        {
            "title": "Referansegruppe lønn, ny tittel",
            "date": start.date().isoformat(),
            "start": "10:00",
            "end": "12:00",
            "place": "Hjartdal kommunehus",
            "agenda": "1. Velkommen",
            "documents": "Ny kravspesifikasjon | https://example.no/krav-2.pdf",
            "version": changed.json()["version"],
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    stored = (await organiser.get(f"/api/meetings/{meeting['id']}")).json()
    assert stored["title"] == "Referansegruppe lønn, ny tittel"
    assert len(stored["documents"]) == 1


async def test_the_groups_ticked_again_after_an_error_are_exactly_those_chosen(client):
    ids = []
    for n in range(1, 13):
        group = await client.post(
            "/api/groups", json={"name": f"Gruppe {n}", "kind": "reference_group"}
        )
        ids.append(group.json()["id"])
    twelfth = ids[11]
    refused = await post_form(
        client,
        "/admin/meetings/new",
        {
            "title": "Møte",
            "date": IN_A_WEEK.date().isoformat(),
            "start": "10:00",
            "end": "09:00",
            "group_ids": str(twelfth),
        },
    )
    assert refused.status_code == 422
    ticked = re.findall(r'name="group_ids" id="group-(\d+)" value="\d+" checked', refused.text)
    assert ticked == [str(twelfth)]


async def test_after_a_move_and_a_cancellation_a_newcomer_sees_what_everyone_else_sees(
    organiser, smtp, ical_js
):
    group_id, emails = await reference_group(organiser)
    until = (IN_A_WEEK + timedelta(weeks=3)).date().isoformat()
    body = meeting_body(group_id, repeat_every_weeks=1, repeat_until=until, documents=[])
    first = (await organiser.post("/api/meetings", json=body)).json()
    series = [
        m
        for m in (await organiser.get("/api/meetings")).json()
        if m["series_uid"] == first["series_uid"]
    ]
    assert len(series) == 4
    moved_to = datetime.fromisoformat(series[1]["starts_at"]) + timedelta(days=1, hours=2)
    moved = await organiser.patch(
        f"/api/meetings/{series[1]['id']}",
        json={
            "starts_at": moved_to.isoformat(),
            "ends_at": (moved_to + timedelta(hours=1)).isoformat(),
        },
    )
    assert moved.status_code == 200, moved.text
    assert (await organiser.post(f"/api/meetings/{series[2]['id']}/cancel")).status_code == 200
    async with database(organiser) as db, db.begin():
        newcomer = Person(name="Nina Ny", email="nina@hjartdal.kommune.no", municipality_id=1)
        db.add(newcomer)
    added = await organiser.post(
        f"/api/meetings/{first['id']}/invitees", json={"emails": ["nina@hjartdal.kommune.no"]}
    )
    assert added.status_code == 200, added.text
    messages = await smtp.mailbox.wait_for(3 + 3 + 3 + 1)

    held = [
        m
        for m in (await organiser.get("/api/meetings")).json()
        if m["series_uid"] == first["series_uid"] and not m["cancelled"]
    ]
    expected = sorted(as_utc(m["starts_at"]) for m in held)
    assert len(expected) == 3
    for address in [*emails, "nina@hjartdal.kommune.no"]:
        own = [m for m in messages if m["To"] == address]
        shown = replay_with_ical_js(own)
        assert [s["start"] for s in shown] == expected, address


async def test_a_move_asks_everyone_again_and_says_the_old_time(organiser, smtp):
    group_id, _ = await reference_group(organiser)
    meeting = (await organiser.post("/api/meetings", json=meeting_body(group_id))).json()
    await smtp.mailbox.wait_for(3)
    async with database(organiser) as db, db.begin():
        await db.execute(
            update(Invitation)
            .where(Invitation.meeting_id == meeting["id"])
            .values(answer="accepted")
        )
    agenda_only = await organiser.patch(
        f"/api/meetings/{meeting['id']}", json={"agenda": "1. Ny sak"}
    )
    assert {i["answer"] for i in agenda_only.json()["invitations"]} == {"accepted"}
    later = IN_A_WEEK + timedelta(days=1)
    moved = await organiser.patch(
        f"/api/meetings/{meeting['id']}",
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()},
    )
    assert {i["answer"] for i in moved.json()["invitations"]} == {"no_answer"}
    page = await organiser.get(f"/admin/meetings/{meeting['id']}")
    assert "Ikke svart: 3" in page.text
    update_mail = (await smtp.mailbox.wait_for(9))[6:]
    for message in update_mail:
        event = event_of(calendar_of(message)[1])
        assert {a.params["PARTSTAT"] for a in event["ATTENDEE"]} == {"NEEDS-ACTION"}
    bokmal = next(m for m in update_mail if m["To"].startswith("anne"))
    text = bokmal.get_body(("plain",)).get_content()
    old = IN_A_WEEK.strftime("%d.%m.%Y")
    assert f"Før: {old} kl. 10:00–11:30" in text
    assert "svaret ditt er nullstilt" in text


async def test_cancelling_asks_first_and_a_held_meeting_cannot_be_cancelled(client):
    group_id, _ = await reference_group(client)
    meeting = (await client.post("/api/meetings", json=meeting_body(group_id))).json()
    page = await client.get(f"/admin/meetings/{meeting['id']}")
    assert f'href="/admin/meetings/{meeting["id"]}/cancel"' in page.text
    question = await client.get(f"/admin/meetings/{meeting['id']}/cancel")
    assert question.status_code == 200
    assert "Avlyse Referansegruppe lønn" in question.text
    assert not (await client.get(f"/api/meetings/{meeting['id']}")).json()["cancelled"]

    # At 10:00, so the hour's meeting never runs past midnight whatever time the test runs.
    past = (datetime.now(OSLO) - timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    async with database(client) as db, db.begin():
        await db.execute(
            update(Meeting)
            .where(Meeting.id == meeting["id"])
            .values(starts_at=past, ends_at=past + timedelta(hours=1))
        )
    refused = await post_form(client, f"/admin/meetings/{meeting['id']}/cancel", {})
    assert refused.status_code == 409
    assert "kan ikke avlyses" in refused.text
    api = await client.post(f"/api/meetings/{meeting['id']}/cancel")
    assert api.status_code == 409
    assert api.json()["code"] == "meeting_held"
    # The record of a held meeting can still be corrected: the form sends the time it shows.
    start = past.astimezone(OSLO)
    version = (await client.get(f"/api/meetings/{meeting['id']}")).json()["version"]
    corrected = await post_form(
        client,
        f"/admin/meetings/{meeting['id']}",
        {
            "title": "Referansegruppe lønn (rettet)",
            "date": start.date().isoformat(),
            "start": start.strftime("%H:%M"),
            "end": (start + timedelta(hours=1)).strftime("%H:%M"),
            "agenda": "1. Velkommen",
            "version": version,
        },
        follow_redirects=False,
    )
    assert corrected.status_code == 303, corrected.text
    assert (await client.get(f"/api/meetings/{meeting['id']}")).json()["title"].endswith("(rettet)")


async def test_taking_someone_off_asks_first_and_their_cancel_names_only_them(organiser, smtp):
    group_id, _ = await reference_group(organiser)
    meeting = (await organiser.post("/api/meetings", json=meeting_body(group_id))).json()
    await smtp.mailbox.wait_for(3)
    siri = next(i for i in meeting["invitations"] if i["email"].startswith("siri"))
    url = f"/admin/meetings/{meeting['id']}/invitees/{siri['person']['id']}/remove"
    assert "Ta Siri Lie av" in (await organiser.get(url)).text
    removed = await post_form(organiser, url, {}, follow_redirects=False)
    assert removed.status_code == 303
    [message] = (await smtp.mailbox.wait_for(4))[3:]
    method, calendar = calendar_of(message)
    event = event_of(calendar)
    assert method == "CANCEL"
    assert "STATUS" not in event
    attendees = event["ATTENDEE"]
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a).removeprefix("mailto:") for a in attendees] == [siri["email"]]


async def test_answers_close_after_the_meeting_and_for_the_deactivated(client):
    group_id, _ = await reference_group(client)
    meeting = (await client.post("/api/meetings", json=meeting_body(group_id))).json()
    anne, olav = (
        next(i for i in meeting["invitations"] if i["email"].startswith(name))
        for name in ("anne", "olav")
    )
    async with database(client) as db, db.begin():
        await db.execute(
            update(Person).where(Person.id == olav["person"]["id"]).values(active=False)
        )
    from medvirkning.meetings.letters import answer_token

    settings = client.app.state.settings
    link = f"/svar/{olav['id']}/{answer_token(settings, olav['id'])}"
    assert (await post_form(client, link, {"svar": "accepted"})).status_code == 409
    past = datetime.now(OSLO) - timedelta(days=1)
    async with database(client) as db, db.begin():
        await db.execute(
            update(Meeting)
            .where(Meeting.id == meeting["id"])
            .values(starts_at=past, ends_at=past + timedelta(hours=1))
        )
    link = f"/svar/{anne['id']}/{answer_token(settings, anne['id'])}"
    late = await post_form(client, link, {"svar": "accepted"})
    assert late.status_code == 409
    assert "Møtet er over" in late.text
    stored = (await client.get(f"/api/meetings/{meeting['id']}")).json()
    assert {i["answer"] for i in stored["invitations"]} == {"no_answer"}


async def test_a_reinvited_person_starts_without_their_old_answer(client):
    group_id, _ = await reference_group(client)
    meeting = (await client.post("/api/meetings", json=meeting_body(group_id))).json()
    siri = next(i for i in meeting["invitations"] if i["email"].startswith("siri"))
    async with database(client) as db, db.begin():
        await db.execute(
            update(Invitation).where(Invitation.id == siri["id"]).values(answer="declined")
        )
    await client.post(f"/api/meetings/{meeting['id']}/invitees/{siri['person']['id']}/remove")
    again = await client.post(
        f"/api/meetings/{meeting['id']}/invitees", json={"emails": [siri["email"]]}
    )
    back = next(i for i in again.json()["invitations"] if i["email"] == siri["email"])
    assert (back["answer"], back["removed"]) == ("no_answer", False)


async def test_no_not_answered_reminder_minutes_after_the_invitation(client):
    group_id, _ = await reference_group(client)
    tomorrow = datetime.now(OSLO) + timedelta(hours=30)
    body = meeting_body(
        group_id,
        starts_at=tomorrow.isoformat(),
        ends_at=(tomorrow + timedelta(hours=1)).isoformat(),
    )
    assert (await client.post("/api/meetings", json=body)).status_code == 201
    now = datetime.now(OSLO)
    assert await reminders(client, now + timedelta(minutes=5)) == 0
    assert await reminders(client, now + timedelta(hours=16)) == 3


async def test_a_reload_after_saving_a_point_repeats_nothing_and_points_can_be_deleted(client):
    group_id, _ = await reference_group(client)
    meeting = (await client.post("/api/meetings", json=meeting_body(group_id))).json()
    url = f"/admin/meetings/{meeting['id']}/points"
    saved = await post_form(client, url, {"text": "Opplæring før pilot"}, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/admin/meetings/{meeting['id']}?melding=punkt"
    page = await client.get(saved.headers["location"])  # what a reload repeats
    # Once in the list, once in its button's label for screen readers: stored once.
    assert page.text.count("Opplæring før pilot") == 2
    assert page.text.count('<span class="ds-sr-only">: Opplæring før pilot</span>') == 1
    [point] = (await client.get(f"/api/meetings/{meeting['id']}")).json()["points"]
    delete_url = f"/admin/meetings/{meeting['id']}/points/{point['id']}/delete"
    assert "Slette punktet?" in (await client.get(delete_url)).text
    assert (await post_form(client, delete_url, {}, follow_redirects=False)).status_code == 303
    assert (await client.get(f"/api/meetings/{meeting['id']}")).json()["points"] == []


async def test_form_errors_come_all_at_once_at_their_fields_and_keep_what_was_typed(client):
    group_id, _ = await reference_group(client)
    refused = await post_form(
        client,
        "/admin/meetings/new",
        {
            "title": "",
            "date": IN_A_WEEK.strftime("%d.%m.%Y"),  # as the hint writes it
            "start": "10:00",
            "end": "09:00",
            "video_link": "teams.example/møte\n",
            "group_ids": str(group_id),
        },
    )
    assert refused.status_code == 422
    summary = re.search(r'<div class="ds-error-summary"[^>]*>(.*?)</div>', refused.text, re.S)
    assert summary is not None
    assert "autofocus" in refused.text
    links = re.findall(r'href="#(\w+)"', summary.group(1))
    assert set(links) >= {"title", "video_link"}
    assert "https://" in refused.text
    for field in links:
        assert f'id="{field}"' in refused.text
    end_only = await post_form(
        client,
        "/admin/meetings/new",
        {
            "title": "Møte",
            "date": IN_A_WEEK.strftime("%d.%m.%Y"),
            "start": "10:00",
            "end": "09:00",
            "group_ids": str(group_id),
        },
    )
    assert 'href="#end"' in end_only.text
    meeting = (await client.post("/api/meetings", json=meeting_body(group_id))).json()
    typed = await post_form(
        client, f"/admin/meetings/{meeting['id']}/invitees", {"emails": "ukjent@kommune.no"}
    )
    assert typed.status_code == 422
    assert "ukjent@kommune.no</textarea>" in typed.text


async def test_two_changes_at_once_never_share_a_sequence(client):
    group_id, _ = await reference_group(client)
    meeting = (await client.post("/api/meetings", json=meeting_body(group_id))).json()
    import asyncio

    first, second = await asyncio.gather(
        client.patch(f"/api/meetings/{meeting['id']}", json={"place": "Rom 1"}),
        client.patch(f"/api/meetings/{meeting['id']}", json={"agenda": "Ny"}),
    )
    assert sorted([first.json()["sequence"], second.json()["sequence"]]) == [1, 2]


async def test_nynorsk_answer_page_letters_and_calendar_say_nn(organiser, smtp):
    group_id, _ = await reference_group(organiser)
    meeting = (await organiser.post("/api/meetings", json=meeting_body(group_id))).json()
    messages = await smtp.mailbox.wait_for(3)
    olav_mail = next(m for m in messages if m["To"].startswith("olav"))
    html = olav_mail.get_body(("html",)).get_content()
    assert '<html lang="nn">' in html
    assert "kommunane" in html
    event = event_of(calendar_of(olav_mail)[1])
    assert event["SUMMARY"].params["LANGUAGE"] == "nn"
    anne_mail = next(m for m in messages if m["To"].startswith("anne"))
    assert event_of(calendar_of(anne_mail)[1])["SUMMARY"].params["LANGUAGE"] == "nb"
    text = anne_mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    for heading in ("Saksliste:", "Dokumenter:", "Svar gjennom"):
        assert f"\n\n{heading}" in text, heading
    olav = next(i for i in meeting["invitations"] if i["email"].startswith("olav"))
    from medvirkning.meetings.letters import answer_token

    page = await organiser.get(
        f"/svar/{olav['id']}/{answer_token(organiser.app.state.settings, olav['id'])}"
    )
    assert '<html lang="nn">' in page.text
    assert "Kjem du?" in page.text


async def test_feeds_have_one_charset_their_own_names_and_a_group_feed_renews_in_the_pages(
    client,
):
    group_id, _ = await reference_group(client)
    meeting = (await client.post("/api/meetings", json=meeting_body(group_id))).json()
    group_url = (await client.post(f"/api/groups/{group_id}/calendar-feed")).json()["url"]
    person_url = (await client.post("/api/my/calendar-feed")).json()["url"]
    group_feed = await client.get(group_url.split("8000", 1)[1])
    person_feed = await client.get(person_url.split("8000", 1)[1])
    assert group_feed.headers["content-type"].count("charset") == 1
    assert "X-WR-CALNAME:Medvirkning – Referansegruppe lønn" in group_feed.text
    assert "X-WR-CALNAME:Medvirkning – mine møter" in person_feed.text
    renewed = await post_form(
        client,
        f"/admin/meetings/{meeting['id']}/groups/{group_id}/calendar-feed",
        {},
        follow_redirects=False,
    )
    assert renewed.status_code == 303
    assert (await client.get(group_url.split("8000", 1)[1])).status_code == 404


async def test_a_stale_edit_of_a_meeting_is_refused_and_shows_the_other_version(client):
    group_id, _ = await reference_group(client)
    meeting = (await client.post("/api/meetings", json=meeting_body(group_id))).json()
    seen = meeting["version"]
    first = await client.patch(
        f"/api/meetings/{meeting['id']}", json={"place": "Rom A", "version": seen}
    )
    assert first.status_code == 200, first.text
    second = await client.patch(
        f"/api/meetings/{meeting['id']}", json={"place": "Rom B", "version": seen}
    )
    assert second.status_code == 409
    assert second.json()["code"] == "stale_edit"
    assert second.json()["current"]["place"] == "Rom A"
    start = IN_A_WEEK.astimezone(OSLO)
    form = {
        "title": meeting["title"],
        "date": start.date().isoformat(),
        "start": "10:00",
        "end": "11:30",
        "place": "Rom C",
        "version": seen,
    }
    page = await post_form(client, f"/admin/meetings/{meeting['id']}", form)
    assert page.status_code == 409
    assert "Noen andre har endret" in page.text
    assert "Rom A" in page.text  # theirs, shown
    assert 'value="Rom C"' in page.text  # what was typed, kept
    newer = re.search(r'name="version" value="([^"]+)"', page.text).group(1)
    assert newer != seen
    again = await post_form(
        client,
        f"/admin/meetings/{meeting['id']}",
        form | {"version": newer},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert (await client.get(f"/api/meetings/{meeting['id']}")).json()["place"] == "Rom C"
    without = await post_form(client, f"/admin/meetings/{meeting['id']}", form | {"version": ""})
    assert without.status_code == 400
