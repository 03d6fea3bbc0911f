"""iCalendar (RFC 5545) files for meeting invitations (iTIP, RFC 5546) and calendar feeds.

Times are written as Europe/Oslo wall time with a hand-written VTIMEZONE, the form that
Outlook, Google Calendar and Thunderbird all read the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vRecur,
)
from icalendar.parser import Contentline

TZID = "Europe/Oslo"
OSLO = ZoneInfo(TZID)
PRODID = "-//Tjenesteutvikling i Kongsbergregionen//Medvirkning//NB"
METHODS = frozenset({"REQUEST", "CANCEL", "PUBLISH"})
PARTSTATS = frozenset({"NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE"})
STATUSES = frozenset({"CONFIRMED", "CANCELLED"})
LANGUAGES = frozenset({"nb", "nn"})


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str
    partstat: str = "NEEDS-ACTION"  # NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable per meeting, e.g. "meeting-12@medvirkning.kongsbergregionen.no"
    sequence: int  # raised on every change
    summary: str
    start: datetime  # timezone-aware (any zone); written as Europe/Oslo wall time
    end: datetime
    organizer_email: str
    organizer_name: str
    attendees: Sequence[Attendee] = ()
    description: str = ""
    location: str = ""
    url: str = ""  # video link or the meeting's page
    status: str = "CONFIRMED"  # or "CANCELLED"
    recurrence_id: datetime | None = None  # the original start of one occurrence of a series
    rrule: str = ""  # a series: e.g. "FREQ=WEEKLY;INTERVAL=2;UNTIL=20270301T230000Z"
    exdates: Sequence[datetime] = ()  # occurrences of the series that are cancelled
    stamp: datetime | None = None  # DTSTAMP; default now (UTC)
    language: str = "nb"  # "nb" or "nn"
    # RSVP=TRUE only when someone reads the calendars' answers (a reply mailbox).
    rsvp: bool = True


def calendar_bytes(method: str, events: Sequence[CalendarEvent], name: str = "") -> bytes:
    """A VCALENDAR with METHOD (REQUEST, CANCEL or PUBLISH; PUBLISH is for subscription feeds),
    one VTIMEZONE for Europe/Oslo and the events. `name` sets X-WR-CALNAME (feeds)."""
    if method not in METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    # Outlook wants the zone defined before the events that use it.
    calendar.add_component(_oslo_timezone())
    for event in events:
        calendar.add_component(_vevent(method, event))
    return bytes(calendar.to_ical(sorted=False))


def _oslo_timezone() -> Timezone:
    """Europe/Oslo as two yearly rules; RDATE lists are misread by ical.js and Outlook."""
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 10, 25, 3, 0))
    standard.add("tzoffsetfrom", timedelta(hours=2))
    standard.add("tzoffsetto", timedelta(hours=1))
    standard.add("tzname", "CET")
    standard.add("rrule", vRecur({"FREQ": "YEARLY", "BYMONTH": 10, "BYDAY": "-1SU"}))
    daylight = TimezoneDaylight()
    daylight.add("dtstart", datetime(1970, 3, 29, 2, 0))
    daylight.add("tzoffsetfrom", timedelta(hours=1))
    daylight.add("tzoffsetto", timedelta(hours=2))
    daylight.add("tzname", "CEST")
    daylight.add("rrule", vRecur({"FREQ": "YEARLY", "BYMONTH": 3, "BYDAY": "-1SU"}))
    timezone = Timezone()
    timezone.add("tzid", TZID)
    timezone.add("x-lic-location", TZID)
    timezone.add_component(standard)
    timezone.add_component(daylight)
    return timezone


def _oslo_wall_time(moment: datetime) -> datetime:
    """The naive Oslo wall time of an aware instant, to be written with TZID=Europe/Oslo."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: calendar times must be timezone-aware")
    # A naive value with our own TZID parameter keeps icalendar from touching the zone.
    return moment.astimezone(OSLO).replace(tzinfo=None)


def _vevent(method: str, event: CalendarEvent) -> Event:
    if event.status not in STATUSES:
        raise ValueError(f"unknown event status {event.status!r}")
    if event.language not in LANGUAGES:
        raise ValueError(f"unknown language {event.language!r}")
    start, end = _oslo_wall_time(event.start), _oslo_wall_time(event.end)
    if event.end < event.start:
        raise ValueError("the event ends before it starts")
    zone = {"TZID": TZID}
    language = {"LANGUAGE": event.language}
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", (event.stamp or datetime.now(UTC)).astimezone(UTC))
    vevent.add("dtstart", start, parameters=zone)
    vevent.add("dtend", end, parameters=zone)
    if event.recurrence_id is not None:
        vevent.add("recurrence-id", _oslo_wall_time(event.recurrence_id), parameters=zone)
    if event.rrule:
        vevent.add("rrule", vRecur.from_ical(event.rrule))
    for excluded in event.exdates:
        vevent.add("exdate", _oslo_wall_time(excluded), parameters=zone)
    vevent.add("summary", event.summary, parameters=language)
    if event.description:
        vevent.add("description", event.description, parameters=language)
    if event.location:
        vevent.add("location", event.location, parameters=language)
    if event.url:
        vevent.add("url", event.url)
    # RFC 5546 3.2.5: cancelling the event says STATUS:CANCELLED; a CANCEL that only takes
    # the attendees it names off the event must not, or their clients drop it for everyone.
    if method != "CANCEL" or event.status == "CANCELLED":
        vevent.add("status", event.status)
    vevent.add("transp", "OPAQUE")
    vevent.add("organizer", _address(event.organizer_email, {"CN": event.organizer_name}))
    rsvp = _rsvp(method, event)
    for attendee in event.attendees:
        vevent.add("attendee", _address(attendee.email, _attendee_parameters(attendee, rsvp)))
    return vevent


def without_attendees(method: str, event: CalendarEvent) -> tuple[bytes, bytes]:
    """The event's calendar naming nobody, split where an ATTENDEE line goes."""
    template = calendar_bytes(method, [replace(event, attendees=[])])
    head, tail = template.rsplit(b"END:VEVENT", 1)
    return head, b"END:VEVENT" + tail


def calendars_for_each(
    method: str,
    event: CalendarEvent,
    attendees: Sequence[Attendee],
    template: tuple[bytes, bytes] | None = None,
) -> list[bytes]:
    """One calendar per attendee that names only that attendee: the event is written once
    (or given, as `without_attendees` wrote it) and each ATTENDEE line spliced in, since
    writing 2,000 calendars whole takes seconds."""
    head, tail = template or without_attendees(method, event)
    rsvp = _rsvp(method, event)
    files = []
    for attendee in attendees:
        address = _address(attendee.email, _attendee_parameters(attendee, rsvp))
        # The line as Event.to_ical writes it (folded, CRLF), without a component around it.
        line = Contentline.from_parts("ATTENDEE", address.params, address).to_ical() + b"\r\n"
        files.append(head + line + tail)
    return files


def _rsvp(method: str, event: CalendarEvent) -> str:
    # Only a REQUEST asks for answers; a cancellation or a feed must not.
    return "TRUE" if method == "REQUEST" and event.rsvp else "FALSE"


def _attendee_parameters(attendee: Attendee, rsvp: str) -> dict[str, str]:
    if attendee.partstat not in PARTSTATS:
        raise ValueError(f"unknown participation status {attendee.partstat!r}")
    return {
        "CN": attendee.name,
        "CUTYPE": "INDIVIDUAL",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": attendee.partstat,
        "RSVP": rsvp,
    }


def _address(email: str, parameters: dict[str, str]) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    for key, value in parameters.items():
        # An empty CN would be written as CN=, which some clients show as a blank name.
        if value:
            address.params[key] = value
    return address
