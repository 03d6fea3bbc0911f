"""The letters of a meeting: invitation, update, cancellation, removal and reminder, each
in the invitee's language form, with the calendar data that keeps their calendar right."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.mail.outbox import Letter, compose, enqueue
from medvirkning.meetings import series
from medvirkning.meetings.calendar import (
    Attendee,
    CalendarEvent,
    calendar_bytes,
    calendars_for_each,
    without_attendees,
)
from medvirkning.meetings.models import PARTSTAT, Answer, Invitation, Meeting
from medvirkning.people.models import Person
from medvirkning.people.queries import Addressee
from medvirkning.settings import Settings
from medvirkning.signing import is_signed, sign

# Past this many invitees each message lists only its recipient as ATTENDEE: 2,000
# invitees listed in 2,000 messages would be four million lines of mail.
FULL_ATTENDEE_LIST = 100
# A slice of 200 letters with their calendars held about 4 MiB at once, 25 about 0.5 MiB;
# the request takes about a tenth longer for the smaller slices.
LETTERS_AT_A_TIME = 25

SUBJECTS = {
    "bokmal": {
        "new": "Invitasjon: {title}",
        "update": "Endret: {title}",
        "cancel": "Avlyst: {title}",
        "removed": "Ikke lenger invitert: {title}",
        "reminder": "Påminnelse: {title}",
    },
    "nynorsk": {
        "new": "Invitasjon: {title}",
        "update": "Endra: {title}",
        "cancel": "Avlyst: {title}",
        "removed": "Ikkje lenger invitert: {title}",
        "reminder": "Påminning: {title}",
    },
}


class Invited(Protocol):
    """An invitation as its letter reads it: a record, or one just inserted in bulk."""

    @property
    def id(self) -> int: ...
    @property
    def answer(self) -> Answer: ...
    @property
    def removed_at(self) -> datetime | None: ...
    @property
    def person(self) -> Person | Addressee: ...


def answer_token(settings: Settings, invitation_id: int) -> str:
    """Signs an invitation's answer links, so answering needs no sign-in."""
    return sign(settings, "answer", invitation_id, length=32)


def valid_answer_token(settings: Settings, invitation_id: int, token: str) -> bool:
    return is_signed(answer_token(settings, invitation_id), token)


def current(meeting: Meeting) -> list[Invitation]:
    """The invitations of the people still invited."""
    return [i for i in meeting.invitations if i.removed_at is None]


LANGUAGES = {"bokmal": "nb", "nynorsk": "nn"}


def calendar_event(
    settings: Settings,
    meeting: Meeting,
    attendees: Sequence[Invited],
    whole_series: bool = False,
    language: str = "nb",
) -> CalendarEvent:
    url = meeting.video_link or f"{settings.public_base_url}/moter"
    in_series = meeting.series_uid is not None
    # The rule starts where the series began, even if its first meeting has moved since.
    start = meeting.recurrence_id if whole_series and meeting.recurrence_id else meeting.starts_at
    return CalendarEvent(
        uid=meeting.series_uid or meeting.uid,
        sequence=meeting.sequence,
        # The first send of a series is the rule; later an occurrence is named by its start.
        recurrence_id=meeting.recurrence_id if in_series and not whole_series else None,
        rrule=meeting.series_rule if in_series and whole_series else "",
        summary=meeting.title,
        start=start,
        end=start + (meeting.ends_at - meeting.starts_at),
        organizer_email=settings.organizer_address,
        organizer_name=settings.organizer_name,
        attendees=[Attendee(i.person.email, i.person.name, PARTSTAT[i.answer]) for i in attendees],
        description=_description(meeting),
        location=meeting.place or meeting.video_link,
        url=url,
        status="CANCELLED" if meeting.cancelled_at else "CONFIRMED",
        language=language,
        rsvp=settings.has_reply_mailbox,
    )


def series_events(
    settings: Settings,
    first: Meeting,
    occurrences: Sequence[Meeting],
    attendees: Sequence[Invited],
    language: str,
) -> list[CalendarEvent]:
    """A whole series as a calendar holds it: the rule without its cancelled meetings, and
    each meeting changed since it was sent as an exception of its own."""
    every = [first, *occurrences]
    cancelled = [m.recurrence_id for m in every if m.cancelled_at and m.recurrence_id]
    rule = replace(
        calendar_event(settings, first, attendees, whole_series=True, language=language),
        exdates=cancelled,
        status="CONFIRMED",
    )
    changed = [m for m in every if m.sequence > 0 and m.cancelled_at is None]
    return [rule, *(calendar_event(settings, m, attendees, language=language) for m in changed)]


def _description(meeting: Meeting) -> str:
    parts = [meeting.agenda.strip()]
    if meeting.video_link:
        parts.append(f"Videolenke: {meeting.video_link}")
    parts += [f"{d.title}: {d.url}" for d in meeting.documents]
    return "\n\n".join(p for p in parts if p)


async def send(
    db: AsyncSession,
    settings: Settings,
    meeting: Meeting,
    method: str | None,
    kind: str,
    recipients: Sequence[Invited],
    occurrences: Sequence[Meeting] = (),
    previous: tuple[datetime, datetime] | None = None,
    listed: Sequence[Invited] | None = None,
) -> None:
    """Write one letter per recipient to the outbox, with the calendar data unless the
    method is None (a reminder must not make calendars ask for an answer again).

    A whole series ("new" to a meeting with a rule) goes with its other `occurrences`, so a
    newcomer's calendar holds what everyone else's does; `previous` is the old time of a
    meeting that moved; `listed`, whom the calendar names when not the meeting's current
    invitations (a new meeting's, inserted without records)."""
    recipients = [r for r in recipients if r.person.active]  # a deactivated person gets nothing
    if kind == "removed":  # a CANCEL that takes someone off names only them (RFC 5546 3.2.5)
        listed = recipients
    listed = [i for i in (current(meeting) if listed is None else listed) if i.person.active]
    whole = kind == "new" and bool(meeting.series_rule)
    templates: dict[str, tuple[bytes, bytes]] = {}  # each language's event, for every slice
    # Written in slices, calendars included: 2,000 letters held at once would be tens of
    # megabytes.
    for first in range(0, len(recipients), LETTERS_AT_A_TIME):
        batch = recipients[first : first + LETTERS_AT_A_TIME]
        files: dict[int, bytes | None] = {}
        for form in LANGUAGES:
            group = [r for r in batch if r.person.language_form.value == form]
            if not group or method is None:
                files |= {r.id: None for r in group}
                continue
            files |= _calendars(
                settings,
                meeting,
                method,
                whole,
                occurrences,
                listed,
                group,
                LANGUAGES[form],
                templates,
            )
        letters = _merged(settings, meeting, batch, method, kind, files, previous)
        await enqueue(db, settings, letters, kind=f"meeting_{kind}")


def _calendars(
    settings: Settings,
    meeting: Meeting,
    method: str,
    whole: bool,
    occurrences: Sequence[Meeting],
    listed: Sequence[Invited],
    recipients: Sequence[Invited],
    language: str,
    templates: dict[str, tuple[bytes, bytes]],
) -> dict[int, bytes | None]:
    """Each recipient's calendar file: one shared by all, or one naming only its recipient
    (the event without attendees written once a send for each language, in `templates`)."""
    everyone = listed if len(listed) <= FULL_ATTENDEE_LIST else None

    def events(attendees: Sequence[Invited]) -> list[CalendarEvent]:
        if whole:
            return series_events(settings, meeting, occurrences, attendees, language)
        # A change to several meetings of a series goes as one exception each.
        return [
            calendar_event(settings, m, attendees, language=language)
            for m in [meeting, *occurrences]
        ]

    if everyone is not None:
        shared = calendar_bytes(method, events(everyone))
        return {r.id: shared for r in recipients}
    several = events(recipients)
    if len(several) == 1:  # the common case: the event written once, each attendee spliced in
        if language not in templates:
            templates[language] = without_attendees(method, several[0])
        files = calendars_for_each(method, several[0], several[0].attendees, templates[language])
        return {r.id: f for r, f in zip(recipients, files, strict=True)}
    return {r.id: calendar_bytes(method, events([r])) for r in recipients}


# Stand-ins for what differs between the letters of one rendering. No stored name holds
# a NUL (input_limits refuses it), and each is put in by one pass that never reads what it
# put in, so a name cannot be taken for a stand-in.
_NAME, _LINK = "\x00name\x00", "\x00link\x00"


def _merged(
    settings: Settings,
    meeting: Meeting,
    invitations: Sequence[Invited],
    method: str | None,
    kind: str,
    files: dict[int, bytes | None],
    previous: tuple[datetime, datetime] | None,
) -> list[Letter]:
    """Each invitation's letter with its calendar file, the same as `_letter` gives: rendered
    once for each language form and answer, the name and answer link put in after (escaped
    in the HTML part). 2,000 renderings of two templates were most of an invitation's time."""
    models: dict[tuple[str, Answer], Letter] = {}
    letters = []
    for invitation in invitations:
        person = invitation.person
        key = (person.language_form.value, invitation.answer)
        if key not in models:
            models[key] = _letter(settings, meeting, invitation, method, kind, None, previous, True)
        model = models[key]
        link = _answer_base(settings, invitation)
        letters.append(
            replace(
                model,
                recipient=person.email,
                calendar=files[invitation.id],
                text=model.text.replace(_LINK, link).replace(_NAME, person.name),
                html=model.html.replace(_LINK, str(escape(link))).replace(
                    _NAME, str(escape(person.name))
                ),
            )
        )
    return letters


def _answer_base(settings: Settings, invitation: Invited) -> str:
    token = answer_token(settings, invitation.id)
    return f"{settings.public_base_url}/svar/{invitation.id}/{token}"


def _letter(
    settings: Settings,
    meeting: Meeting,
    invitation: Invited,
    method: str | None,
    kind: str,
    ics: bytes | None,
    previous: tuple[datetime, datetime] | None,
    stand_ins: bool = False,
) -> Letter:
    """One invitation's letter; with `stand_ins`, the model `_merged` fills for each."""
    person = invitation.person
    form = person.language_form.value
    base = _LINK if stand_ins else _answer_base(settings, invitation)
    return compose(
        settings,
        "" if stand_ins else person.email,
        SUBJECTS[form][kind].format(title=meeting.title.replace("\n", " ")),
        f"meeting_{form}",
        {
            "kind": kind,
            "invitation_answer": invitation.answer.value,
            "repeats": (
                series.in_words(
                    meeting.series_rule, meeting.recurrence_id or meeting.starts_at, form
                )
                if kind == "new"
                else ""
            ),
            "meeting": meeting,
            "name": _NAME if stand_ins else person.name,
            "answers": {a.value: f"{base}?svar={a.value}" for a in Answer if a != Answer.NO_ANSWER},
            "meeting_url": f"{settings.public_base_url}/moter",
            "previous": previous,
            # Without a reply mailbox nobody reads the calendar's own answer buttons.
            "calendar_answers": settings.has_reply_mailbox,
        },
        # Outlook reads the text/calendar part, whose method must match the file's METHOD.
        calendar=ics if method else None,
        method=method,
    )
