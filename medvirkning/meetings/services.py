"""Scheduling meetings and keeping every invitee's calendar right.

Each change goes out through the outbox in the same transaction: a new meeting or a change
sends METHOD:REQUEST with the meeting's stable UID and a raised SEQUENCE; a cancellation
sends METHOD:CANCEL; an invitee taken off a meeting gets a CANCEL of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from medvirkning.db import utcnow
from medvirkning.errors import FieldError, InvalidInput, NotFound
from medvirkning.formats import OSLO, date_no
from medvirkning.mail.outbox import Letter, compose, enqueue
from medvirkning.meetings.calendar import (
    Attendee,
    CalendarEvent,
    calendar_bytes,
    calendars_for_each,
)
from medvirkning.meetings.models import PARTSTAT, Answer, Invitation, Meeting, MeetingDocument
from medvirkning.meetings.schemas import MeetingCreate, MeetingUpdate
from medvirkning.people.models import Group, Membership, Person
from medvirkning.plan.models import Milestone, Phase
from medvirkning.settings import Settings

log = logging.getLogger("medvirkning.reminders")

# Past this many invitees each message lists only its recipient as ATTENDEE: 2,000
# invitees listed in 2,000 messages would be four million lines of mail.
FULL_ATTENDEE_LIST = 100


def answer_token(settings: Settings, invitation_id: int) -> str:
    """Signs an invitation's answer links, so answering needs no sign-in."""
    message = f"answer:{invitation_id}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def valid_answer_token(settings: Settings, invitation_id: int, token: str) -> bool:
    return token.isascii() and hmac.compare_digest(answer_token(settings, invitation_id), token)


def oslo(moment: datetime) -> datetime:
    """A time from a form or request: without a zone it is Oslo time."""
    return moment.replace(tzinfo=OSLO) if moment.tzinfo is None else moment


def with_meeting() -> Any:
    """Eager loaders stop at the cycle invitation -> meeting -> invitations: name them."""
    return joinedload(Invitation.meeting).options(
        selectinload(Meeting.invitations),
        selectinload(Meeting.documents),
        selectinload(Meeting.points),
        selectinload(Meeting.groups),
    )


async def get_invitation(db: AsyncSession, invitation_id: int) -> Invitation | None:
    return await db.scalar(
        select(Invitation).where(Invitation.id == invitation_id).options(with_meeting())
    )


async def get_meeting(db: AsyncSession, meeting_id: int) -> Meeting:
    meeting = await db.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"Fant ikke møtet med id {meeting_id}.")
    return meeting


async def _check_links(db: AsyncSession, values: dict[str, Any]) -> list[FieldError]:
    errors = []
    for field, model, message in (
        ("phase_id", Phase, "Velg en fase som finnes."),
        ("milestone_id", Milestone, "Velg en milepæl som finnes."),
    ):
        if values.get(field) is not None:
            row = await db.get(model, values[field])
            if row is None or not getattr(row, "active", False):
                errors.append(FieldError(field, message))
    return errors


def _check_times(starts_at: datetime, ends_at: datetime, now: datetime) -> list[FieldError]:
    errors = []
    if ends_at <= starts_at:
        errors.append(FieldError("ends_at", "Møtet må slutte etter at det begynner."))
    if starts_at < now:
        errors.append(
            FieldError("starts_at", "Møtet kan ikke legges til et tidspunkt som har vært.")
        )
    return errors


async def _groups(
    db: AsyncSession, group_ids: Sequence[int]
) -> tuple[list[Group], list[FieldError]]:
    groups, errors = [], []
    for index, group_id in enumerate(group_ids):
        group = await db.get(Group, group_id)
        if group is None or not group.active:
            errors.append(FieldError(f"group_ids[{index}]", "Velg en gruppe som finnes."))
        else:
            groups.append(group)
    return groups, errors


async def _people_by_email(
    db: AsyncSession, emails: Sequence[str], field: str
) -> tuple[list[Person], list[FieldError]]:
    wanted = [address.strip().lower() for address in emails]
    found = (
        {
            p.email.lower(): p
            for p in await db.scalars(select(Person).where(func.lower(Person.email).in_(wanted)))
        }
        if wanted
        else {}
    )
    people, errors = [], []
    for index, address in enumerate(emails):
        person = found.get(wanted[index])
        if person is None or not person.active:
            message = f"Fant ingen aktiv person med e-postadressen {address}."
            errors.append(FieldError(f"{field}[{index}]", message))
        else:
            people.append(person)
    return people, errors


async def _members(db: AsyncSession, groups: Sequence[Group], on: date) -> list[Person]:
    if not groups:
        return []
    rows = await db.scalars(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.group_id.in_([g.id for g in groups]),
            Membership.starts_on <= on,
            (Membership.ends_on.is_(None)) | (Membership.ends_on >= on),
            Person.active.is_(True),
        )
        .order_by(Person.name)
    )
    return list(rows.unique())


def _documents(meeting: Meeting, documents: Sequence[Any]) -> None:
    meeting.documents = [MeetingDocument(title=d.title.strip(), url=d.url) for d in documents]


def _mark_documents_sent(meeting: Meeting) -> None:
    now = utcnow()
    for document in meeting.documents:
        document.sent_at = document.sent_at or now


async def create_meeting(
    db: AsyncSession, settings: Settings, data: MeetingCreate, created_by: int | None
) -> Meeting:
    starts_at, ends_at = oslo(data.starts_at), oslo(data.ends_at)
    values = msgspec.structs.asdict(data)
    errors = _check_times(starts_at, ends_at, utcnow())
    errors += await _check_links(db, values)
    groups, group_errors = await _groups(db, data.group_ids)
    extra, person_errors = await _people_by_email(db, data.invitee_emails, "invitee_emails")
    errors += group_errors + person_errors
    invitees = {
        p.id: p for p in [*await _members(db, groups, starts_at.astimezone(OSLO).date()), *extra]
    }
    if not errors and not invitees:
        errors.append(
            FieldError("group_ids", "Møtet må ha minst én invitert: velg grupper eller personer.")
        )
    if errors:
        raise InvalidInput(errors=errors)
    starts = _occurrences(starts_at, data.repeat_every_weeks, data.repeat_until)
    if len(starts) > MAX_OCCURRENCES:
        message = f"En serie kan ha høyst {MAX_OCCURRENCES} møter; velg en tidligere sluttdato."
        raise InvalidInput.for_field("repeat_until", message)
    if data.repeat_every_weeks and len(starts) < 2:
        raise InvalidInput.for_field("repeat_until", "Serien må slutte etter det første møtet.")
    domain = settings.mail_from.rsplit("@", 1)[-1]
    series_uid = f"{uuid.uuid4()}@{domain}" if len(starts) > 1 else None
    meetings = []
    for start in starts:
        meeting = Meeting(
            uid=f"{uuid.uuid4()}@{domain}",
            series_uid=series_uid,
            recurrence_id=start if series_uid else None,
            title=data.title.strip(),
            agenda=data.agenda,
            starts_at=start,
            ends_at=start + (ends_at - starts_at),
            place=data.place.strip(),
            video_link=data.video_link,
            phase_id=data.phase_id,
            milestone_id=data.milestone_id,
            created_by_id=created_by,
            groups=groups,
            invitations=[Invitation(person=p) for p in invitees.values()],
            points=[],
        )
        _documents(meeting, data.documents)
        meetings.append(meeting)
    first = meetings[0]
    if series_uid:
        first.series_rule = _rule(data.repeat_every_weeks or 1, meetings[-1].starts_at)
    db.add_all(meetings)
    await db.flush()
    for meeting in meetings:
        _mark_documents_sent(meeting)
    # A series goes out once, as a rule; each occurrence keeps its own answers.
    await send(db, settings, first, "REQUEST", "new", first.invitations)
    return first


MAX_OCCURRENCES = 110


def _occurrences(start: datetime, every_weeks: int | None, until: date | None) -> list[datetime]:
    """The starts of a series in Oslo wall time: 10:00 stays 10:00 across summer time."""
    if not every_weeks or until is None:
        return [start]
    local, starts = start.astimezone(OSLO), list[datetime]()
    while local.date() <= until and len(starts) <= MAX_OCCURRENCES:
        starts.append(local)
        local = (local.replace(tzinfo=None) + timedelta(weeks=every_weeks)).replace(tzinfo=OSLO)
    return starts


def _rule(every_weeks: int, last_start: datetime) -> str:
    until = last_start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"FREQ=WEEKLY;INTERVAL={every_weeks};UNTIL={until}"


async def update_meeting(
    db: AsyncSession, settings: Settings, meeting_id: int, data: MeetingUpdate
) -> Meeting:
    meeting = await get_meeting(db, meeting_id)
    _not_cancelled(meeting)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    for key in ("starts_at", "ends_at"):
        if key in changes:
            changes[key] = oslo(changes[key])
    starts_at = changes.get("starts_at", meeting.starts_at)
    ends_at = changes.get("ends_at", meeting.ends_at)
    now = utcnow()
    errors = _check_times(
        starts_at, ends_at, now if "starts_at" in changes else min(now, starts_at)
    )
    errors += await _check_links(db, changes)
    if errors:
        raise InvalidInput(errors=errors)
    documents = changes.pop("documents", None)
    for key, value in changes.items():
        setattr(
            meeting, key, value.strip() if isinstance(value, str) and key != "agenda" else value
        )
    if documents is not None:
        _documents(meeting, documents)
    meeting.sequence += 1
    await db.flush()
    _mark_documents_sent(meeting)
    await send(db, settings, meeting, "REQUEST", "update", current(meeting))
    return meeting


async def cancel_meeting(db: AsyncSession, settings: Settings, meeting_id: int) -> Meeting:
    meeting = await get_meeting(db, meeting_id)
    _not_cancelled(meeting)
    meeting.cancelled_at = utcnow()
    meeting.sequence += 1
    await db.flush()
    await send(db, settings, meeting, "CANCEL", "cancel", current(meeting))
    return meeting


async def add_invitees(
    db: AsyncSession, settings: Settings, meeting_id: int, emails: Sequence[str]
) -> Meeting:
    meeting = await get_meeting(db, meeting_id)
    _not_cancelled(meeting)
    people, errors = await _people_by_email(db, emails, "emails")
    if errors:
        raise InvalidInput(errors=errors)
    invited = [i for i in (_invite(meeting, p) for p in people) if i is not None]
    if meeting.series_rule:  # the series' rule goes out: invite to every occurrence to come
        later = await db.scalars(
            select(Meeting).where(
                Meeting.series_uid == meeting.series_uid,
                Meeting.id != meeting.id,
                Meeting.starts_at >= utcnow(),
                Meeting.cancelled_at.is_(None),
            )
        )
        for occurrence in later:
            for person in people:
                _invite(occurrence, person)
    await db.flush()
    await send(db, settings, meeting, "REQUEST", "new", invited)
    return meeting


def _invite(meeting: Meeting, person: Person) -> Invitation | None:
    """The person's invitation, made or brought back; None if they were invited already."""
    invitation = next((i for i in meeting.invitations if i.person_id == person.id), None)
    if invitation is None:
        invitation = Invitation(person=person)
        meeting.invitations.append(invitation)
    elif invitation.removed_at is None:
        return None
    invitation.removed_at = None
    return invitation


async def remove_invitee(
    db: AsyncSession, settings: Settings, meeting_id: int, person_id: int
) -> Meeting:
    meeting = await get_meeting(db, meeting_id)
    _not_cancelled(meeting)
    invitation = next((i for i in current(meeting) if i.person_id == person_id), None)
    if invitation is None:
        raise NotFound("Personen er ikke invitert til møtet.")
    invitation.removed_at = utcnow()
    meeting.sequence += 1
    await db.flush()
    await send(db, settings, meeting, "CANCEL", "removed", [invitation])
    return meeting


async def record_answer(db: AsyncSession, invitation: Invitation, answer: Answer) -> None:
    """The answer; to a series' invitation it is the answer for every occurrence to come."""
    if invitation.removed_at is not None or invitation.meeting.cancelled_at is not None:
        raise InvalidInput.for_field("answer", "Møtet er avlyst, eller du er ikke lenger invitert.")
    answered = [invitation]
    if invitation.meeting.series_rule:
        answered += await db.scalars(
            select(Invitation)
            .join(Meeting)
            .where(
                Meeting.series_uid == invitation.meeting.series_uid,
                Meeting.id != invitation.meeting_id,
                Meeting.cancelled_at.is_(None),
                Meeting.starts_at >= utcnow(),
                Invitation.person_id == invitation.person_id,
                Invitation.removed_at.is_(None),
            )
        )
    for each in answered:
        each.answer = answer
        each.answered_at = utcnow()
    await db.flush()


async def record_attendance(db: AsyncSession, meeting_id: int, attended: set[int]) -> Meeting:
    meeting = await get_meeting(db, meeting_id)
    for invitation in current(meeting):
        invitation.attended = invitation.person_id in attended
    await db.flush()
    return meeting


def expected_attendance(meeting: Meeting) -> set[int]:
    """Before anyone has corrected it: those who said they would come."""
    if any(i.attended is not None for i in meeting.invitations):
        return {i.person_id for i in current(meeting) if i.attended}
    return {i.person_id for i in current(meeting) if i.answer == Answer.ACCEPTED}


def current(meeting: Meeting) -> list[Invitation]:
    return [i for i in meeting.invitations if i.removed_at is None]


def _not_cancelled(meeting: Meeting) -> None:
    if meeting.cancelled_at is not None:
        raise InvalidInput.for_field("cancelled", "Møtet er avlyst og kan ikke endres.")


def calendar_event(
    settings: Settings,
    meeting: Meeting,
    attendees: Sequence[Invitation],
    whole_series: bool = False,
) -> CalendarEvent:
    url = meeting.video_link or f"{settings.public_base_url}/moter"
    series = meeting.series_uid is not None
    return CalendarEvent(
        uid=meeting.series_uid or meeting.uid,
        sequence=meeting.sequence,
        # The first send of a series is the rule; later an occurrence is named by its start.
        recurrence_id=meeting.recurrence_id if series and not whole_series else None,
        rrule=meeting.series_rule if series and whole_series else "",
        summary=meeting.title,
        start=meeting.starts_at,
        end=meeting.ends_at,
        organizer_email=settings.organizer_email,
        organizer_name=settings.organizer_name,
        attendees=[Attendee(i.person.email, i.person.name, PARTSTAT[i.answer]) for i in attendees],
        description=_description(meeting),
        location=meeting.place or meeting.video_link,
        url=url,
        status="CANCELLED" if meeting.cancelled_at else "CONFIRMED",
    )


def _description(meeting: Meeting) -> str:
    parts = [meeting.agenda.strip()]
    if meeting.video_link:
        parts.append(f"Videolenke: {meeting.video_link}")
    parts += [f"{d.title}: {d.url}" for d in meeting.documents]
    return "\n\n".join(p for p in parts if p)


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
    everyone = current(meeting) if len(current(meeting)) <= FULL_ATTENDEE_LIST else None
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
            "repeats": _repeats(meeting, form) if kind == "new" else "",
            "meeting": meeting,
            "person": person,
            "answers": {a.value: f"{base}?svar={a.value}" for a in Answer if a != Answer.NO_ANSWER},
            "meeting_url": f"{settings.public_base_url}/moter",
        },
        # Outlook reads the text/calendar part, whose method must match the file's METHOD.
        calendar=ics if method else None,
        method=method,
    )


def _repeats(meeting: Meeting, form: str) -> str:
    """The series in words, for the invitation's text."""
    if not meeting.series_rule:
        return ""
    rule = dict(part.split("=", 1) for part in meeting.series_rule.split(";"))
    last = datetime.strptime(rule["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    weekly = rule["INTERVAL"] == "1"
    if form == "nynorsk":
        return (
            f"Møtet blir gjenteke {'kvar veke' if weekly else 'annakvar veke'} til {date_no(last)}."
        )
    return f"Møtet gjentas {'hver uke' if weekly else 'annenhver uke'} til {date_no(last)}."


async def send_due_reminders(
    db: AsyncSession, settings: Settings, now: datetime | None = None
) -> int:
    """Remind who has not answered (days before) and who accepted (hours before); never for a
    cancelled or past meeting. Returns how many reminders were written."""
    now = now or utcnow()
    no_answer_from = now + timedelta(days=settings.reminder_days_before)
    accepted_from = now + timedelta(hours=settings.reminder_hours_before)
    invitations = await db.scalars(
        select(Invitation)
        .join(Meeting)
        .options(with_meeting())
        .where(
            Meeting.cancelled_at.is_(None),
            Meeting.starts_at > now,
            Invitation.removed_at.is_(None),
            (
                (Invitation.answer == Answer.NO_ANSWER)
                & Invitation.no_answer_reminded_at.is_(None)
                & (Meeting.starts_at <= no_answer_from)
            )
            | (
                (Invitation.answer == Answer.ACCEPTED)
                & Invitation.accepted_reminded_at.is_(None)
                & (Meeting.starts_at <= accepted_from)
            ),
        )
    )
    count = 0
    for invitation in invitations.unique():
        column = (
            Invitation.no_answer_reminded_at
            if invitation.answer == Answer.NO_ANSWER
            else Invitation.accepted_reminded_at
        )
        # Taken only if still unmarked: two instances never remind the same person twice.
        marked = await db.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, column.is_(None))
            .values({column.key: now})
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            continue
        await send(db, settings, invitation.meeting, None, "reminder", [invitation])
        count += 1
    await db.flush()
    return count


async def run_reminders(sessions: Any, settings: Settings, stop: asyncio.Event) -> None:
    """Send due reminders every few minutes until stopped."""
    while not stop.is_set():
        try:
            async with sessions() as db, db.begin():
                await send_due_reminders(db, settings)
        except (SQLAlchemyError, OSError) as exc:  # the database is away: try next round
            log.warning("reminders could not run: %s", exc)
        except Exception:  # a bug must not stop reminders for good
            log.exception("reminders failed; trying again next round")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.reminders_every_seconds)
