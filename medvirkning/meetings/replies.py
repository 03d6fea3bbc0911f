"""Answers from the calendar's own buttons: Outlook, Google and Thunderbird send an iTIP
REPLY (RFC 5546 3.2.3) to the ORGANIZER, which is the reply mailbox. The job reads its
unseen messages, records each answer through `services.record_answer`, and moves every
message to the handled folder, or to the unreadable folder when it cannot be read or its
sender is not the invitee who answers. Nothing is ever deleted.

A message is moved only after its answer is committed; a crash in between leaves it
unseen in the inbox, and reading it again records nothing new (an answer older than the
one recorded is not recorded).
"""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from enum import Enum
from typing import Any

from icalendar import Calendar
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from medvirkning.audit import Actor, act_as
from medvirkning.errors import AppError
from medvirkning.mail.imap import reply_mailbox
from medvirkning.meetings import services
from medvirkning.meetings.models import Answer, Invitation, Meeting
from medvirkning.meetings.schemas import AnswerUpdate
from medvirkning.people.models import Person
from medvirkning.settings import Settings
from medvirkning.transaction import Database

log = logging.getLogger("medvirkning.replies")

ANSWERS = {
    "ACCEPTED": Answer.ACCEPTED,
    "TENTATIVE": Answer.TENTATIVE,
    "DECLINED": Answer.DECLINED,
}
CALENDAR_TYPES = frozenset({"text/calendar", "application/ics"})


class Outcome(Enum):
    HANDLED = "handled"  # recorded, or rightly not (a cancelled meeting, an older answer)
    UNREADABLE = "unreadable"  # no REPLY we can match, or a sender who is not the invitee


class Unreadable(Exception):
    """The message holds no answer we can match to an invitation."""


@dataclass(frozen=True)
class CalendarReply:
    uid: str
    recurrence_id: datetime | None  # one occurrence of a series; None for the whole
    attendee: str  # lower-case address
    answer: Answer
    stamp: datetime | None  # DTSTAMP: when the person answered


def read_replies(raw: bytes) -> tuple[str, list[CalendarReply]]:
    """The sender's address and the answers of the message's METHOD:REPLY calendar."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    senders = [address.lower() for _, address in getaddresses(message.get_all("From", []))]
    if len(senders) != 1 or "@" not in senders[0]:
        raise Unreadable("no single sender address")
    for calendar in _calendars(message):
        if str(calendar.get("METHOD", "")).upper() == "REPLY":
            return senders[0], _replies(calendar)
    raise Unreadable("no calendar part with METHOD:REPLY")


def _calendars(message: EmailMessage) -> Iterator[Calendar]:
    # Google sends the REPLY twice (text/calendar and invite.ics); the first will do.
    for part in message.walk():
        filename = (part.get_filename() or "").lower()
        if part.get_content_type() in CALENDAR_TYPES or filename.endswith(".ics"):
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            try:
                yield Calendar.from_ical(payload)
            except ValueError:
                continue


def _replies(calendar: Calendar) -> list[CalendarReply]:
    replies = []
    for event in calendar.walk("VEVENT"):
        attendees = event.get("ATTENDEE")
        attendees = attendees if isinstance(attendees, list) else [attendees]
        if len(attendees) != 1 or attendees[0] is None:
            raise Unreadable("a REPLY names exactly one ATTENDEE")
        [attendee] = attendees
        partstat = str(attendee.params.get("PARTSTAT", "")).upper()
        if partstat not in ANSWERS or "UID" not in event:
            raise Unreadable(f"no UID or an answer we do not know ({partstat})")
        replies.append(
            CalendarReply(
                uid=str(event["UID"]),
                recurrence_id=_instant(event.decoded("RECURRENCE-ID", None)),
                attendee=_address(str(attendee)),
                answer=ANSWERS[partstat],
                stamp=_instant(event.decoded("DTSTAMP", None)),
            )
        )
    if not replies:
        raise Unreadable("a REPLY without an event")
    return replies


def _address(value: str) -> str:
    # Outlook writes MAILTO:, the others mailto:; addresses compare without case.
    return (value[7:] if value.lower().startswith("mailto:") else value).strip().lower()


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


async def handle_message(db: AsyncSession, raw: bytes) -> Outcome:
    """Record the answers of one message; which folder it goes to."""
    try:
        sender, replies = read_replies(raw)
    except Unreadable as exc:
        log.info("unreadable message in the reply mailbox: %s", exc)
        return Outcome.UNREADABLE
    except Exception:  # a malformed message must not block the ones behind it
        log.exception("a message in the reply mailbox could not be parsed")
        return Outcome.UNREADABLE
    invitations = []
    for reply in replies:
        invitation = await _invitation(db, reply)
        if invitation is None:
            log.info("no invitation for %s to %s", reply.attendee, reply.uid)
            return Outcome.UNREADABLE
        # A forged sender must not answer for someone else.
        if invitation.person.email.lower() != sender:
            log.warning("refused a reply for %s sent by %s", reply.attendee, sender)
            return Outcome.UNREADABLE
        invitations.append((invitation, reply))
    for invitation, reply in invitations:
        await _record(db, invitation, reply)
    return Outcome.HANDLED


async def _invitation(db: AsyncSession, reply: CalendarReply) -> Invitation | None:
    """The invitation the reply answers: a meeting by its UID, an occurrence of a series by
    the series' UID and RECURRENCE-ID, or the whole series by its UID alone."""
    candidates = await db.scalars(
        select(Invitation)
        .join(Meeting)
        .join(Person, Invitation.person_id == Person.id)
        .options(joinedload(Invitation.meeting), joinedload(Invitation.person))
        .where(
            or_(Meeting.uid == reply.uid, Meeting.series_uid == reply.uid),
            func.lower(Person.email) == reply.attendee,
        )
    )
    for invitation in candidates:
        meeting = invitation.meeting
        if meeting.uid == reply.uid and meeting.series_uid is None:
            return invitation
        if meeting.series_uid != reply.uid:
            continue
        if reply.recurrence_id is None and meeting.series_rule:
            return invitation
        if reply.recurrence_id is not None and meeting.recurrence_id == reply.recurrence_id:
            return invitation
    return None


async def _record(db: AsyncSession, invitation: Invitation, reply: CalendarReply) -> None:
    meeting, person = invitation.meeting, invitation.person
    if meeting.cancelled_at is not None or invitation.removed_at is not None:
        log.info(
            "not recorded: %s answered meeting %s, cancelled or uninvited", person.email, meeting.id
        )
        return
    # Read twice, or read after a newer answer through the link: the newer answer stands.
    answered_at = invitation.answered_at
    if answered_at and reply.stamp and reply.stamp <= answered_at:
        log.info("not recorded: an older answer from %s to meeting %s", person.email, meeting.id)
        return
    act_as(db, Actor(f"{person.name} <{person.email}> (svar fra kalenderen)", person.id))
    try:  # record_answer refuses before it changes anything
        await services.record_answer(db, invitation, AnswerUpdate(answer=reply.answer))
    except AppError as exc:
        log.info("not recorded: %s to meeting %s: %s", person.email, meeting.id, exc.message)
        return
    log.info("recorded %s from %s to meeting %s", reply.answer.value, person.email, meeting.id)


async def poll_replies(database: Database, settings: Settings) -> dict[Outcome, int]:
    """Read the reply mailbox's unseen messages, each in its own transaction, and move each
    to its folder once its transaction has committed."""
    counts = dict.fromkeys(Outcome, 0)
    folders = {
        Outcome.HANDLED: settings.reply_folder_handled,
        Outcome.UNREADABLE: settings.reply_folder_unreadable,
    }
    async with reply_mailbox(settings, list(folders.values())) as mailbox:
        for uid in await mailbox.unseen():
            raw = await mailbox.fetch(uid)
            if raw is None:
                continue
            async with database.transaction() as db:
                outcome = await handle_message(db, raw)
            await mailbox.move(uid, folders[outcome])
            counts[outcome] += 1
    return counts
