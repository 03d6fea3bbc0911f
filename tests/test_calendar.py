"""Meeting invitations as iCalendar files, read back by two independent parsers.

The Python icalendar library and ical.js (the parser inside Thunderbird, run with Node) must
both read the same instants, texts and participants out of what `calendar_bytes` writes.
Both convert local times with the file's own VTIMEZONE, not with a zone database of their own.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, vDDDTypes

from medvirkning.meetings.calendar import Attendee, CalendarEvent, calendar_bytes

OSLO = ZoneInfo("Europe/Oslo")
ICAL_DIR = Path(__file__).parent / "ical"
PARSE_JS = ICAL_DIR / "parse.js"
UID = "meeting-12@medvirkning.kongsbergregionen.no"
STAMP = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
ORGANIZER = "prosjektleder@kongsbergregionen.no"
ATTENDEES = (
    Attendee("kari.nordmann@kongsberg.kommune.no", "Kari Nordmann"),
    Attendee("ola.hansen@notodden.kommune.no", "Ola Hansen", partstat="ACCEPTED"),
    Attendee("per@flesberg.kommune.no", "Per Berg", partstat="TENTATIVE"),
)

Parser = Callable[[bytes], dict[str, Any]]


def meeting(**changes: Any) -> CalendarEvent:
    """A reference group meeting on a winter morning, with three invited."""
    fields: dict[str, Any] = {
        "uid": UID,
        "sequence": 0,
        "summary": "Referansegruppe økonomi",
        "start": datetime(2026, 1, 15, 10, 0, tzinfo=OSLO),
        "end": datetime(2026, 1, 15, 11, 30, tzinfo=OSLO),
        "organizer_email": ORGANIZER,
        "organizer_name": "Prosjektleder ERP",
        "attendees": ATTENDEES,
        "description": "Gjennomgang av kravspesifikasjonen.",
        "location": "Kongsberg rådhus",
        "url": "https://medvirkning.kongsbergregionen.no/moter/12",
        "stamp": STAMP,
    }
    fields.update(changes)
    return CalendarEvent(**fields)


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# The two parsers, giving the same shape of answer


@pytest.fixture(scope="session")
def ical_js(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The path of `node`, with ical.js installed from tests/ical/package-lock.json."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        reason = "Node.js (node and npm) is needed to check calendar files with ical.js"
        if os.environ.get("MEDVIRKNING_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and it is required here, but was not found")
        pytest.skip(f"{reason}: apt-get install nodejs npm")
    # xdist workers share the parent of their temporary folders; one installs at a time.
    lock_path = tmp_path_factory.getbasetemp().parent / "ical-js-npm.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (ICAL_DIR / "node_modules" / "ical.js").is_dir():
            result = subprocess.run(
                [npm, "ci", "--prefix", str(ICAL_DIR), "--no-audit", "--no-fund", "--silent"],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if result.returncode != 0:
                pytest.fail(f"npm ci in {ICAL_DIR} failed:\n{result.stdout}\n{result.stderr}")
    return node


def parse_with_ical_js(ics: bytes) -> dict[str, Any]:
    """What ical.js reads from the file (see tests/ical/parse.js)."""
    node = shutil.which("node") or "node"
    result = subprocess.run(
        [node, str(PARSE_JS)],
        input=ics,
        capture_output=True,
        timeout=60,
        check=False,
        # In UTC a time whose zone ical.js failed to apply would show up as wrong by hours.
        env={**os.environ, "TZ": "UTC"},
    )
    assert result.returncode == 0, result.stderr.decode()
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def parse_with_icalendar(ics: bytes) -> dict[str, Any]:
    """What the icalendar library reads, in the shape parse.js gives."""
    calendar = Calendar.from_ical(ics)
    # icalendar itself resolves a known TZID like Europe/Oslo with zoneinfo, ignoring the
    # file's VTIMEZONE; to_tz(lookup_tzid=False) builds the zone from the file instead.
    zones = {str(zone["TZID"]): zone.to_tz(lookup_tzid=False) for zone in calendar.timezones}

    def utc(prop: vDDDTypes | None) -> str | None:
        if prop is None:
            return None
        wall_time = prop.dt.replace(tzinfo=None)
        return utc_text(wall_time.replace(tzinfo=zones[prop.params["TZID"]]))

    def listed(value: Any) -> list[Any]:
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def address(value: Any) -> str:
        return str(value).removeprefix("mailto:")

    events = []
    for event in calendar.events:
        organizer = event.get("ORGANIZER")
        events.append(
            {
                "uid": str(event["UID"]),
                "sequence": int(event["SEQUENCE"]),
                "summary": str(event["SUMMARY"]),
                "location": str(event["LOCATION"]) if "LOCATION" in event else None,
                "description": str(event["DESCRIPTION"]) if "DESCRIPTION" in event else None,
                "status": str(event["STATUS"]) if "STATUS" in event else None,
                "start_utc": utc(event["DTSTART"]),
                "end_utc": utc(event["DTEND"]),
                "start_zone": event["DTSTART"].params.get("TZID"),
                "recurrence_id_utc": utc(event.get("RECURRENCE-ID")),
                "organizer": address(organizer) if organizer is not None else None,
                "organizer_cn": organizer.params.get("CN") if organizer is not None else None,
                "language": event["SUMMARY"].params.get("LANGUAGE"),
                "attendees": [
                    {
                        "email": address(attendee),
                        "cn": attendee.params.get("CN"),
                        "partstat": attendee.params.get("PARTSTAT"),
                        "rsvp": attendee.params.get("RSVP"),
                    }
                    for attendee in listed(event.get("ATTENDEE"))
                ],
            }
        )
    return {
        "method": str(calendar["METHOD"]),
        "name": str(calendar["X-WR-CALNAME"]) if "X-WR-CALNAME" in calendar else None,
        "timezones": [str(zone["TZID"]) for zone in calendar.timezones],
        "events": events,
    }


@pytest.fixture(params=["icalendar", "ical.js"])
def parse(request: pytest.FixtureRequest) -> Parser:
    """Each test runs once per parser; the ical.js half needs Node."""
    if request.param == "ical.js":
        request.getfixturevalue("ical_js")
        return parse_with_ical_js
    return parse_with_icalendar


def content_lines(ics: bytes) -> list[str]:
    """The unfolded content lines of the file."""
    return ics.decode().replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


# ---------------------------------------------------------------------------------------------
# Times


@pytest.mark.parametrize(
    ("start", "end", "start_utc", "end_utc"),
    [
        pytest.param(
            datetime(2026, 1, 15, 10, 0, tzinfo=OSLO),
            datetime(2026, 1, 15, 11, 30, tzinfo=OSLO),
            "2026-01-15T09:00:00Z",
            "2026-01-15T10:30:00Z",
            id="winter",
        ),
        pytest.param(
            datetime(2026, 6, 18, 10, 0, tzinfo=OSLO),
            datetime(2026, 6, 18, 11, 30, tzinfo=OSLO),
            "2026-06-18T08:00:00Z",
            "2026-06-18T09:30:00Z",
            id="summer",
        ),
        pytest.param(
            # Given in UTC, still written as Oslo wall time.
            datetime(2026, 6, 18, 8, 0, tzinfo=UTC),
            datetime(2026, 6, 18, 9, 30, tzinfo=UTC),
            "2026-06-18T08:00:00Z",
            "2026-06-18T09:30:00Z",
            id="summer-given-in-utc",
        ),
    ],
)
def test_start_and_end_are_the_instants_given(
    parse: Parser, start: datetime, end: datetime, start_utc: str, end_utc: str
) -> None:
    ics = calendar_bytes("REQUEST", [meeting(start=start, end=end)])

    wall = start.astimezone(OSLO).strftime("%Y%m%dT%H%M%S")
    assert f"DTSTART;TZID=Europe/Oslo:{wall}" in content_lines(ics)
    (event,) = parse(ics)["events"]
    assert event["start_zone"] == "Europe/Oslo"
    assert (event["start_utc"], event["end_utc"]) == (start_utc, end_utc)
    assert (event["start_utc"], event["end_utc"]) == (utc_text(start), utc_text(end))


def test_icalendar_reads_the_same_instant_with_its_own_zone_database() -> None:
    start = datetime(2026, 6, 18, 10, 0, tzinfo=OSLO)
    ics = calendar_bytes("REQUEST", [meeting(start=start, end=start + timedelta(hours=1))])

    (event,) = Calendar.from_ical(ics).events
    assert event.start == start
    assert event.end - event.start == timedelta(hours=1)


def test_the_parsers_use_the_files_zone(parse: Parser) -> None:
    # The time checks above mean something only if a wrong VTIMEZONE gives a wrong instant.
    start = datetime(2026, 6, 18, 10, 0, tzinfo=OSLO)
    ics = calendar_bytes("REQUEST", [meeting(start=start, end=start + timedelta(hours=1))])
    no_summer_time = ics.replace(b"TZOFFSETTO:+0200", b"TZOFFSETTO:+0100").replace(
        b"TZOFFSETFROM:+0200", b"TZOFFSETFROM:+0100"
    )

    assert parse(ics)["events"][0]["start_utc"] == "2026-06-18T08:00:00Z"
    assert parse(no_summer_time)["events"][0]["start_utc"] == "2026-06-18T09:00:00Z"


def test_one_vtimezone_with_yearly_rules_and_no_rdate(parse: Parser) -> None:
    events = [
        meeting(uid=f"meeting-{number}@medvirkning.kongsbergregionen.no", start=start, end=start)
        for number, start in enumerate(
            [datetime(2026, month, 10, 9, 0, tzinfo=OSLO) for month in (1, 4, 11)]
        )
    ]
    ics = calendar_bytes("PUBLISH", events, name="Medvirkning – møter")

    lines = content_lines(ics)
    assert lines.count("BEGIN:VTIMEZONE") == 1
    assert not any(line.startswith("RDATE") for line in lines)
    zone = lines[lines.index("BEGIN:VTIMEZONE") : lines.index("END:VTIMEZONE") + 1]
    standard = zone[zone.index("BEGIN:STANDARD") : zone.index("END:STANDARD")]
    daylight = zone[zone.index("BEGIN:DAYLIGHT") : zone.index("END:DAYLIGHT")]
    assert "TZID:Europe/Oslo" in zone
    assert {"DTSTART:19701025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100"} <= set(standard)
    assert {"DTSTART:19700329T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200"} <= set(daylight)
    assert [line for line in standard if line.startswith("RRULE:")] == [
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    ]
    assert [line for line in daylight if line.startswith("RRULE:")] == [
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    ]
    # The zone comes before the events: Outlook reads the file in order.
    assert lines.index("END:VTIMEZONE") < lines.index("BEGIN:VEVENT")

    parsed = parse(ics)
    assert parsed["timezones"] == ["Europe/Oslo"]
    assert parsed["method"] == "PUBLISH"
    assert parsed["name"] == "Medvirkning – møter"
    assert [event["start_utc"] for event in parsed["events"]] == [
        "2026-01-10T08:00:00Z",
        "2026-04-10T07:00:00Z",
        "2026-11-10T08:00:00Z",
    ]
    # A feed asks nobody to answer.
    assert {a["rsvp"] for event in parsed["events"] for a in event["attendees"]} == {"FALSE"}


# ---------------------------------------------------------------------------------------------
# Invitations, updates and cancellations


def test_invitation_update_and_cancellation_keep_the_uid_and_raise_the_sequence(
    parse: Parser,
) -> None:
    moved_start = datetime(2026, 1, 22, 13, 0, tzinfo=OSLO)
    request = parse(calendar_bytes("REQUEST", [meeting()]))
    update = parse(
        calendar_bytes(
            "REQUEST",
            [meeting(sequence=1, start=moved_start, end=moved_start + timedelta(hours=1))],
        )
    )
    cancel = parse(calendar_bytes("CANCEL", [meeting(sequence=2, status="CANCELLED")]))

    assert [request["method"], update["method"], cancel["method"]] == [
        "REQUEST",
        "REQUEST",
        "CANCEL",
    ]
    events = [request["events"][0], update["events"][0], cancel["events"][0]]
    assert [event["uid"] for event in events] == [UID, UID, UID]
    assert [event["sequence"] for event in events] == [0, 1, 2]
    assert [event["status"] for event in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert update["events"][0]["start_utc"] == "2026-01-22T12:00:00Z"

    invitation = request["events"][0]
    assert invitation["organizer"] == ORGANIZER
    assert invitation["organizer_cn"] == "Prosjektleder ERP"
    assert invitation["attendees"] == [
        {"email": a.email, "cn": a.name, "partstat": a.partstat, "rsvp": "TRUE"} for a in ATTENDEES
    ]
    # A cancellation must not ask for an answer.
    assert {a["rsvp"] for a in cancel["events"][0]["attendees"]} == {"FALSE"}


def test_invitation_lines_clients_look_for() -> None:
    lines = content_lines(calendar_bytes("REQUEST", [meeting()]))

    assert lines[:5] == [
        "BEGIN:VCALENDAR",
        "PRODID:-//Tjenesteutvikling i Kongsbergregionen//Medvirkning//NB",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
    ]
    assert "DTSTAMP:20260102T120000Z" in lines
    assert "TRANSP:OPAQUE" in lines
    assert "URL:https://medvirkning.kongsbergregionen.no/moter/12" in lines
    assert 'ORGANIZER;CN="Prosjektleder ERP":mailto:prosjektleder@kongsbergregionen.no' in lines
    assert (
        'ATTENDEE;CN="Kari Nordmann";CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;'
        "PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:kari.nordmann@kongsberg.kommune.no"
    ) in lines


def test_a_cancelled_event_is_sent_as_cancelled(parse: Parser) -> None:
    ics = calendar_bytes("CANCEL", [meeting(sequence=3, status="CANCELLED")])

    assert parse(ics)["events"][0]["status"] == "CANCELLED"


def test_a_cancel_that_uninvites_does_not_cancel_the_event(parse: Parser) -> None:
    # RFC 5546 3.2.5: the attendees named are taken off; STATUS:CANCELLED would end it.
    ics = calendar_bytes("CANCEL", [meeting(sequence=3, status="CONFIRMED")])

    assert parse(ics)["events"][0]["status"] is None


def test_stamp_defaults_to_now_in_utc() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    (event,) = Calendar.from_ical(calendar_bytes("REQUEST", [meeting(stamp=None)])).events

    assert before <= event["DTSTAMP"].dt <= datetime.now(UTC)
    assert event["DTSTAMP"].to_ical().endswith(b"Z")


def test_moved_occurrence_names_the_original_start(parse: Parser) -> None:
    original = datetime(2026, 3, 26, 10, 0, tzinfo=OSLO)  # winter time, before the switch
    moved = datetime(2026, 3, 30, 10, 0, tzinfo=OSLO)  # summer time, after it
    ics = calendar_bytes(
        "REQUEST",
        [meeting(sequence=1, recurrence_id=original, start=moved, end=moved + timedelta(hours=1))],
    )

    assert "RECURRENCE-ID;TZID=Europe/Oslo:20260326T100000" in content_lines(ics)
    (event,) = parse(ics)["events"]
    assert event["recurrence_id_utc"] == "2026-03-26T09:00:00Z"
    assert event["start_utc"] == "2026-03-30T08:00:00Z"


def test_event_without_recurrence_id_has_none(parse: Parser) -> None:
    assert parse(calendar_bytes("REQUEST", [meeting()]))["events"][0]["recurrence_id_utc"] is None


# ---------------------------------------------------------------------------------------------
# Text


def test_text_with_separators_and_line_breaks_round_trips(parse: Parser) -> None:
    summary = "Referansegruppe; lønn, HR\nDel 2"
    location = "Kongsberg rådhus, møterom 3; 2. etg"
    description = 'Sakliste:\n1. Lønn; HR\n2. "Diverse", eventuelt\\annet'
    ics = calendar_bytes(
        "REQUEST", [meeting(summary=summary, location=location, description=description)]
    )

    lines = content_lines(ics)
    assert "SUMMARY;LANGUAGE=nb:Referansegruppe\\; lønn\\, HR\\nDel 2" in lines
    assert "LOCATION;LANGUAGE=nb:Kongsberg rådhus\\, møterom 3\\; 2. etg" in lines
    (event,) = parse(ics)["events"]
    assert (event["summary"], event["location"], event["description"]) == (
        summary,
        location,
        description,
    )


def test_long_description_is_folded_and_round_trips(parse: Parser) -> None:
    description = (
        "Velkommen til møte i referansegruppen for felles økonomisystem. "
        "Vi går gjennom kravene til lønn, fakturering og årsoppgjør, "
        "og ber særlig om innspill fra de små kommunene på Sætre og i Åsbygda.\n" * 5
    )
    assert len(description) > 500
    ics = calendar_bytes("REQUEST", [meeting(description=description)])

    physical = ics.split(b"\r\n")
    assert physical[-1] == b""  # the last line ends with CRLF too
    assert b"\n" not in b"".join(physical)  # no bare LF anywhere
    assert max(len(line) for line in physical) <= 75
    assert any(line.startswith(b" ") for line in physical)  # it was folded
    for line in physical:
        line.decode()  # raises if a fold split a character in two
    assert parse(ics)["events"][0]["description"] == description


def test_nynorsk_texts_carry_the_language(parse: Parser) -> None:
    ics = calendar_bytes("REQUEST", [meeting(language="nn", summary="Møte om løn")])

    lines = content_lines(ics)
    assert "SUMMARY;LANGUAGE=nn:Møte om løn" in lines
    assert "DESCRIPTION;LANGUAGE=nn:Gjennomgang av kravspesifikasjonen." in lines
    assert "LOCATION;LANGUAGE=nn:Kongsberg rådhus" in lines
    assert parse(ics)["events"][0]["language"] == "nn"
    assert parse(calendar_bytes("REQUEST", [meeting()]))["events"][0]["language"] == "nb"


def test_attendee_name_with_comma_and_quotes_round_trips(parse: Parser) -> None:
    name = 'Berg, Ola "Ola"'
    attendee = Attendee("ola.berg@kongsberg.kommune.no", name)
    ics = calendar_bytes("REQUEST", [meeting(attendees=[attendee], organizer_name="Hansen, Kari")])

    (event,) = parse(ics)["events"]
    assert event["attendees"] == [
        {"email": attendee.email, "cn": name, "partstat": "NEEDS-ACTION", "rsvp": "TRUE"}
    ]
    assert event["organizer_cn"] == "Hansen, Kari"


# ---------------------------------------------------------------------------------------------
# Refusals


@pytest.mark.parametrize(
    ("method", "event", "message"),
    [
        ("REPLY", meeting(), "method"),
        ("REQUEST", meeting(start=datetime(2026, 1, 15, 10, 0)), "naive"),
        ("REQUEST", meeting(status="TENTATIVE"), "status"),
        ("REQUEST", meeting(language="en"), "language"),
        ("REQUEST", meeting(attendees=[Attendee("a@b.no", "A", partstat="MAYBE")]), "status"),
        ("REQUEST", meeting(end=datetime(2026, 1, 15, 9, 0, tzinfo=OSLO)), "ends before"),
    ],
)
def test_refuses_what_clients_would_misread(
    method: str, event: CalendarEvent, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        calendar_bytes(method, [event])


def test_a_calendar_for_each_attendee_is_the_calendar_naming_only_that_attendee() -> None:
    from dataclasses import replace

    from medvirkning.meetings.calendar import calendars_for_each

    people = [
        Attendee("ola@kommune.no", 'Berg, Ola "Ola"'),
        Attendee("bjorn@kommune.no", "Bjørn Ødegård med et navn så langt at linjen må brettes"),
    ]
    event = replace(meeting(), attendees=people)
    stamp = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    event = replace(event, stamp=stamp)
    for attendee, spliced in zip(people, calendars_for_each("REQUEST", event, people), strict=True):
        whole = calendar_bytes("REQUEST", [replace(event, attendees=[attendee])])
        assert parse_with_icalendar(spliced) == parse_with_icalendar(whole)
        assert all(len(line) <= 75 for line in spliced.split(b"\r\n"))
