"""The letters of a meeting: invitation, update, cancellation, removal and reminder, each
in the invitee's language form, with the calendar data that keeps their calendar right."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.mail.outbox import Letter, compose, enqueue
from medvirkning.meetings import series
from medvirkning.meetings.calendar import (
    Attendee,
    CalendarEvent,
    calendar_bytes,
    calendars_for_each,
)
from medvirkning.meetings.models import PARTSTAT, Answer, Invitation, Meeting
from medvirkning.settings import Settings
from medvirkning.signing import is_signed, sign

# Past this many invitees each message lists only its recipient as ATTENDEE: 2,000
# invitees listed in 2,000 messages would be four million lines of mail.
FULL_ATTENDEE_LIST = 100

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


def answer_token(settings: Settings, invitation_id: int) -> str:
    """Signs an invitation's answer links, so answering needs no sign-in."""
    return sign(settings, "answer", invitation_id, length=32)


def valid_answer_token(settings: Settings, invitation_id: int, token: str) -> bool:
    return is_signed(answer_token(settings, invitation_id), token)


def current(meeting: Meeting) -> list[Invitation]:
    """The invitations of the people still invited."""
    return [i for i in meeting.invitations if i.removed_at is None]


def calendar_event(
    settings: Settings,
    meeting: Meeting,
    attendees: Sequence[Invitation],
    whole_series: bool = False,
) -> CalendarEvent:
    url = meeting.video_link or f"{settings.public_base_url}/moter"
    in_series = meeting.series_uid is not None
    return CalendarEvent(
        uid=meeting.series_uid or meeting.uid,
        sequence=meeting.sequence,
        # The first send of a series is the rule; later an occurrence is named by its start.
        recurrence_id=meeting.recurrence_id if in_series and not whole_series else None,
        rrule=meeting.series_rule if in_series and whole_series else "",
        summary=meeting.title,
        start=meeting.starts_at,
        end=meeting.ends_at,
        organizer_email=settings.organizer_address,
        organizer_name=settings.organizer_name,
        attendees=[Attendee(i.person.email, i.person.name, PARTSTAT[i.answer]) for i in attendees],
        description=_description(meeting),
        location=meeting.place or meeting.video_link,
        url=url,
        status="CANCELLED" if meeting.cancelled_at else "CONFIRMED",
        rsvp=settings.has_reply_mailbox,
    )


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
    recipients: Sequence[Invitation],
) -> None:
    """Write one letter per recipient to the outbox, with the calendar data unless the
    method is None (a reminder must not make calendars ask for an answer again)."""
    invited = current(meeting)
    everyone = invited if len(invited) <= FULL_ATTENDEE_LIST else None
    whole = kind == "new" and bool(meeting.series_rule)
    shared = None
    if method and everyone:
        shared = calendar_bytes(method, [calendar_event(settings, meeting, everyone, whole)])
    files: list[bytes | None] = [shared] * len(recipients)
    if method and not shared:
        event = calendar_event(settings, meeting, recipients, whole)
        files = list(calendars_for_each(method, event, event.attendees))
    letters = [
        _letter(settings, meeting, invitation, method, kind, ics)
        for invitation, ics in zip(recipients, files, strict=True)
    ]
    await enqueue(db, settings, letters, kind=f"meeting_{kind}")


def _letter(
    settings: Settings,
    meeting: Meeting,
    invitation: Invitation,
    method: str | None,
    kind: str,
    ics: bytes | None,
) -> Letter:
    person = invitation.person
    form = person.language_form.value
    token = answer_token(settings, invitation.id)
    base = f"{settings.public_base_url}/svar/{invitation.id}/{token}"
    return compose(
        settings,
        person.email,
        SUBJECTS[form][kind].format(title=meeting.title.replace("\n", " ")),
        f"meeting_{form}",
        {
            "kind": kind,
            "invitation_answer": invitation.answer.value,
            "repeats": series.in_words(meeting.series_rule, form) if kind == "new" else "",
            "meeting": meeting,
            "person": person,
            "answers": {a.value: f"{base}?svar={a.value}" for a in Answer if a != Answer.NO_ANSWER},
            "meeting_url": f"{settings.public_base_url}/moter",
            # Without a reply mailbox nobody reads the calendar's own answer buttons.
            "calendar_answers": settings.has_reply_mailbox,
        },
        # Outlook reads the text/calendar part, whose method must match the file's METHOD.
        calendar=ics if method else None,
        method=method,
    )
