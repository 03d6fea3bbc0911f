"""The meeting use cases: schedule, change, cancel, invite, answer, and after the meeting
attendance, minutes and points. Each takes the Struct both the API and the pages fill.

Each change goes out through the outbox in the same transaction: a new meeting or a change
sends METHOD:REQUEST with the meeting's stable UID and a raised SEQUENCE; a cancellation
sends METHOD:CANCEL; an invitee taken off a meeting gets a CANCEL of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from medvirkning.audit import record_bulk_create
from medvirkning.db import utcnow
from medvirkning.errors import Conflict, FieldError, InvalidInput, NotFound
from medvirkning.formats import OSLO
from medvirkning.meetings import letters, queries, series
from medvirkning.meetings.letters import current
from medvirkning.meetings.models import Answer, Invitation, Meeting, MeetingDocument
from medvirkning.meetings.schemas import (
    AnswerUpdate,
    InviteesCreate,
    MeetingCreate,
    MeetingUpdate,
)
from medvirkning.people.models import Person
from medvirkning.people.queries import (
    Addressee,
    active_groups,
    addressees_on,
    groups_of_kinds,
    people_by_email,
)
from medvirkning.plan.models import Milestone, Phase
from medvirkning.register import claim_version
from medvirkning.settings import Settings

# Invitations inserted at a time (see _add_invitations).
INVITATIONS_AT_A_TIME = 250


class MeetingCancelled(Conflict):
    code = "meeting_cancelled"
    message = "Møtet er avlyst og kan ikke endres."


class InvitationClosed(Conflict):
    code = "invitation_closed"
    message = "Møtet er avlyst, eller du er ikke lenger invitert."


class MeetingHeld(Conflict):
    code = "meeting_held"
    message = "Møtet har allerede vært, og kan ikke avlyses eller flyttes."


class AnsweringClosed(Conflict):
    code = "answering_closed"
    message = "Møtet er over, så svaret kan ikke lenger endres."


def oslo(moment: datetime) -> datetime:
    """A time from a form or request: without a zone it is Oslo time."""
    return moment.replace(tzinfo=OSLO) if moment.tzinfo is None else moment


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


def _series_plan(start: datetime, data: MeetingCreate) -> tuple[str, list[datetime]]:
    """The rule and the starts of the series asked for; one start when none was."""
    repeat = data.repeat or {1: "weekly", 2: "biweekly"}.get(data.repeat_every_weeks or 0)
    if repeat is None:
        return "", [start]
    if (data.repeat_until is None) == (data.repeat_count is None):
        message = "Velg enten en sluttdato eller et antall møter for serien."
        raise InvalidInput.for_field("repeat_until", message)
    if data.repeat_until is not None and data.repeat_until <= start.astimezone(OSLO).date():
        raise InvalidInput.for_field("repeat_until", "Serien må slutte etter det første møtet.")
    rule, starts = series.plan(start, repeat, data.repeat_until, data.repeat_count)
    if len(starts) > series.MAX_OCCURRENCES:
        message = (
            f"En serie kan ha høyst {series.MAX_OCCURRENCES} møter; velg en tidligere sluttdato."
        )
        raise InvalidInput.for_field("repeat_until", message)
    if len(starts) < 2:
        raise InvalidInput.for_field("repeat_until", "Serien må slutte etter det første møtet.")
    return rule, starts


def _documents(documents: Sequence[Any]) -> list[MeetingDocument]:
    return [MeetingDocument(title=d.title.strip(), url=d.url) for d in documents]


def _mark_documents_sent(meeting: Meeting) -> None:
    now = utcnow()
    for document in meeting.documents:
        document.sent_at = document.sent_at or now


def _not_cancelled(meeting: Meeting) -> None:
    if meeting.cancelled_at is not None:
        raise MeetingCancelled()


def _held(meeting: Meeting) -> bool:
    return meeting.starts_at <= utcnow()


async def _raise_sequence(db: AsyncSession, meeting: Meeting) -> None:
    """SEQUENCE raised in the database itself: two changes at once never share one."""
    sequence = await db.scalar(
        update(Meeting)
        .where(Meeting.id == meeting.id)
        .values(sequence=Meeting.sequence + 1)
        .returning(Meeting.sequence)
    )
    set_committed_value(meeting, "sequence", sequence)


@dataclass(frozen=True, slots=True)
class NewInvitation:
    """An invitation just inserted, as its letter and the API's answer read it: 2,000 as
    records held 2.9 MiB at a large invitation's peak."""

    id: int
    person: Addressee
    answer: Answer = Answer.NO_ANSWER
    answered_at: datetime | None = None
    attended: bool | None = None
    removed_at: datetime | None = None


async def _add_invitations(
    db: AsyncSession, meeting: Meeting, people: Sequence[Addressee]
) -> list[NewInvitation]:
    """The meeting's invitations by statements that give back their rows, not records, and
    their audit rows by one more each: the unit of work took several times as long for
    2,000. The meeting's own list is expired, not filled: reading it in this request
    raises, rather than give an empty list or load the records this spares."""
    by_id = {p.id: p for p in people}
    made: list[NewInvitation] = []
    columns = Invitation.__table__.columns
    # A slice at a time: the rows and audit entries of 2,000 at once would hold several
    # times the memory of the invitations themselves.
    for first in range(0, len(people), INVITATIONS_AT_A_TIME):
        chunk = people[first : first + INVITATIONS_AT_A_TIME]
        rows = [{"meeting_id": meeting.id, "person_id": p.id} for p in chunk]
        inserted = (await db.execute(insert(Invitation).returning(*columns), rows)).all()
        await record_bulk_create(db, Invitation, [dict(row._mapping) for row in inserted])
        made += [NewInvitation(row.id, by_id[row.person_id], row.answer) for row in inserted]
    db.expire(meeting, ["invitations"])
    return made


def _ask_again(meeting: Meeting) -> None:
    """A new date or time asks everyone again, as Outlook does."""
    for invitation in current(meeting):
        invitation.answer, invitation.answered_at = Answer.NO_ANSWER, None
        invitation.no_answer_reminded_at = invitation.accepted_reminded_at = None


async def create_meeting(
    db: AsyncSession, settings: Settings, data: MeetingCreate, created_by: int | None
) -> tuple[Meeting, list[NewInvitation]]:
    """The meeting (the first of a series) and its invitations, which its record does not
    hold: a meeting for a whole municipality invites thousands."""
    starts_at, ends_at = oslo(data.starts_at), oslo(data.ends_at)
    errors = _check_times(starts_at, ends_at, utcnow())
    errors += await _check_links(db, msgspec.structs.asdict(data))
    groups, group_errors = await active_groups(db, data.group_ids)
    groups += [g for g in await groups_of_kinds(db, data.group_kinds) if g not in groups]
    extra, person_errors = await people_by_email(db, data.invitee_emails, "invitee_emails")
    errors += group_errors + person_errors
    members = await addressees_on(db, [g.id for g in groups], starts_at.astimezone(OSLO).date())
    invitees = {p.id: p for p in [*members, *map(Addressee.of, extra)]}
    if not errors and not invitees:
        errors.append(
            FieldError("group_ids", "Møtet må ha minst én invitert: velg grupper eller personer.")
        )
    if errors:
        raise InvalidInput(errors=errors)
    rule, starts = _series_plan(starts_at, data)
    domain = settings.mail_from.rsplit("@", 1)[-1]
    series_uid = f"{uuid.uuid4()}@{domain}" if len(starts) > 1 else None
    meetings = [
        Meeting(
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
            invitations=[],
            documents=_documents(data.documents),
            points=[],
        )
        for start in starts
    ]
    first = meetings[0]
    if series_uid:
        first.series_rule = rule
    db.add_all(meetings)
    await db.flush()
    everyone = list(invitees.values())
    invited: list[NewInvitation] = []
    for meeting in meetings:
        made = await _add_invitations(db, meeting, everyone)
        if meeting is first:  # a series goes out once, as a rule
            invited = made
        _mark_documents_sent(meeting)
    # Each occurrence keeps its own answers.
    await letters.send(db, settings, first, "REQUEST", "new", invited, listed=invited)
    return first, invited


async def update_meeting(
    db: AsyncSession, settings: Settings, meeting_id: int, data: MeetingUpdate
) -> Meeting:
    """Change a meeting (in a series: this one, or this and every later one); a new date or
    time asks everyone again, and the letter says what the time was."""
    meeting = await queries.load_meeting(db, meeting_id)
    _not_cancelled(meeting)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    all_to_come = changes.pop("all_to_come", False) and meeting.series_uid is not None
    if (seen := changes.pop("version", None)) is not None:
        await claim_version(db, meeting, seen, lambda m: m.title)
    for key in ("starts_at", "ends_at"):
        if key in changes:
            changes[key] = oslo(changes[key])
            if changes[key] == getattr(meeting, key):
                del changes[key]  # the form sends the time it shows: that is no change
    moved = "starts_at" in changes or "ends_at" in changes
    if moved and _held(meeting):
        raise MeetingHeld()
    starts_at = changes.pop("starts_at", meeting.starts_at)
    ends_at = changes.pop("ends_at", meeting.ends_at)
    now = utcnow()
    errors = _check_times(starts_at, ends_at, now if moved else min(now, starts_at))
    errors += await _check_links(db, changes)
    if errors:
        raise InvalidInput(errors=errors)
    previous = (meeting.starts_at, meeting.ends_at)
    later = await _later_occurrences(db, meeting) if all_to_come else []
    shift = starts_at.astimezone(OSLO).replace(tzinfo=None) - previous[0].astimezone(OSLO).replace(
        tzinfo=None
    )
    for each in [meeting, *later]:
        _apply(each, changes)
        if moved:
            start = series.shifted(each.starts_at, shift) if each is not meeting else starts_at
            each.starts_at, each.ends_at = start, start + (ends_at - starts_at)
            _ask_again(each)
    await db.flush()
    if _held(meeting):
        return meeting  # a correction of the record afterwards: calendars need nothing
    for each in [meeting, *later]:
        await _raise_sequence(db, each)
        _mark_documents_sent(each)
    await letters.send(
        db,
        settings,
        meeting,
        "REQUEST",
        "update",
        current(meeting),
        later,
        previous=previous if moved else None,
    )
    return meeting


async def _later_occurrences(db: AsyncSession, meeting: Meeting) -> list[Meeting]:
    """The occurrences after this one in its series that still lie ahead."""
    return [
        m
        for m in await queries.series_of(db, meeting)
        if m.recurrence_id
        and meeting.recurrence_id
        and m.recurrence_id > meeting.recurrence_id
        and m.cancelled_at is None
        and not _held(m)
    ]


def _apply(meeting: Meeting, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if key == "documents":
            meeting.documents = _documents(value)
        else:
            text = isinstance(value, str) and key != "agenda"
            setattr(meeting, key, value.strip() if text else value)


async def cancel_meeting(db: AsyncSession, settings: Settings, meeting_id: int) -> Meeting:
    meeting = await queries.load_meeting(db, meeting_id)
    _not_cancelled(meeting)
    if _held(meeting):
        raise MeetingHeld()
    meeting.cancelled_at = utcnow()
    await db.flush()
    await _raise_sequence(db, meeting)
    await letters.send(db, settings, meeting, "CANCEL", "cancel", current(meeting))
    return meeting


async def add_invitees(
    db: AsyncSession, settings: Settings, meeting_id: int, data: InviteesCreate
) -> Meeting:
    meeting = await queries.load_meeting(db, meeting_id)
    _not_cancelled(meeting)
    people, errors = await people_by_email(db, data.emails, "emails")
    if errors:
        raise InvalidInput(errors=errors)
    invited = [i for i in (_invite(meeting, p) for p in people) if i is not None]
    occurrences = await queries.series_of(db, meeting) if meeting.series_rule else []
    for occurrence in occurrences:  # the series' rule goes out: every occurrence to come
        if occurrence.cancelled_at is None and occurrence.starts_at >= utcnow():
            for person in people:
                _invite(occurrence, person)
    await db.flush()
    await letters.send(db, settings, meeting, "REQUEST", "new", invited, occurrences)
    return meeting


def _invite(meeting: Meeting, person: Person) -> Invitation | None:
    """The person's invitation, made or brought back; None if they were invited already."""
    invitation = next((i for i in meeting.invitations if i.person_id == person.id), None)
    if invitation is None:
        invitation = Invitation(person=person, person_id=person.id)
        meeting.invitations.append(invitation)
    elif invitation.removed_at is None:
        return None
    # Invited again: the old answer was to an invitation that was taken back.
    invitation.removed_at, invitation.answer, invitation.answered_at = None, Answer.NO_ANSWER, None
    return invitation


async def remove_invitee(
    db: AsyncSession, settings: Settings, meeting_id: int, person_id: int
) -> Meeting:
    meeting = await queries.load_meeting(db, meeting_id)
    _not_cancelled(meeting)
    invitation = next((i for i in current(meeting) if i.person_id == person_id), None)
    if invitation is None:
        raise NotFound("Personen er ikke invitert til møtet.")
    invitation.removed_at = utcnow()
    await db.flush()
    await _raise_sequence(db, meeting)
    await letters.send(db, settings, meeting, "CANCEL", "removed", [invitation])
    return meeting


async def record_answer(db: AsyncSession, invitation: Invitation, data: AnswerUpdate) -> None:
    """The answer; to a series' invitation it is the answer for every occurrence to come."""
    closed = invitation.removed_at or invitation.meeting.cancelled_at
    if closed is not None or not invitation.person.active:
        raise InvitationClosed()
    if invitation.meeting.ends_at <= utcnow():
        raise AnsweringClosed()
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
        each.answer = data.answer
        each.answered_at = utcnow()
    await db.flush()
