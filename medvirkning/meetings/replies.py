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

import asyncio
import base64
import email
import email.policy
import logging
import shlex
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from enum import Enum
from typing import Any

import aioimaplib
from icalendar import Calendar
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from medvirkning.audit import Actor, act_as
from medvirkning.errors import AppError
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
# Exchange Online's scope for IMAP with an app's own (client-credentials) token.
EXCHANGE_SCOPE = "https://outlook.office365.com/.default"


class Outcome(Enum):
    HANDLED = "handled"  # recorded, or rightly not (a cancelled meeting, an older answer)
    UNREADABLE = "unreadable"  # no REPLY we can match, or a sender who is not the invitee


class MailboxUnavailable(OSError):
    """The reply mailbox cannot be reached or refuses us: the job tries again next round."""


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
    async with reply_mailbox(settings) as mailbox:
        for uid in await mailbox.unseen():
            raw = await mailbox.fetch(uid)
            if raw is None:
                continue
            async with database.transaction() as db:
                outcome = await handle_message(db, raw)
            await mailbox.move(uid, outcome)
            counts[outcome] += 1
    return counts


class Mailbox:
    """The few IMAP commands the job needs, on an aioimaplib client that is signed in."""

    def __init__(self, client: aioimaplib.IMAP4, folders: dict[Outcome, str]) -> None:
        self.client, self.folders = client, folders

    async def unseen(self) -> list[str]:
        response = _ok(await self.client.uid_search("UNSEEN", charset=None), "SEARCH")
        return [uid for line in response.lines[:-1] for uid in line.decode().split()]

    async def fetch(self, uid: str) -> bytes | None:
        # PEEK: a message that fails before it is moved stays unseen and is read again.
        response = _ok(await self.client.uid("fetch", uid, "(BODY.PEEK[])"), "FETCH")
        literals = [bytes(line) for line in response.lines if isinstance(line, bytearray)]
        return literals[0] if literals else None

    async def move(self, uid: str, outcome: Outcome) -> None:
        folder = self.folders[outcome]
        if self.client.has_capability("MOVE"):
            _ok(await self.client.uid("move", uid, folder), "MOVE")
            return
        _ok(await self.client.uid("copy", uid, folder), "COPY")
        _ok(await self.client.uid("store", uid, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
        if self.client.has_capability("UIDPLUS"):
            _ok(await self.client.uid("expunge", uid), "EXPUNGE")
        else:
            _ok(await self.client.expunge(), "EXPUNGE")


@asynccontextmanager
async def reply_mailbox(settings: Settings) -> AsyncIterator[Mailbox]:
    """The reply mailbox signed in, its folders made, its inbox selected."""
    host, port = settings.reply_imap_host, settings.reply_imap_port
    if settings.reply_imap_security == "tls":
        client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
            host, port, timeout=30, ssl_context=ssl.create_default_context()
        )
    else:
        client = aioimaplib.IMAP4(host, port, timeout=30)
    try:
        await client.wait_hello_from_server()
        if settings.reply_imap_security == "starttls":
            await _starttls(client, host)
        await _sign_in(client, settings)
        await client.protocol.capability()  # the capabilities of a signed-in session
        separator = await _separator(client)
        folders = {
            Outcome.HANDLED: _folder_name(settings.reply_folder_handled, separator),
            Outcome.UNREADABLE: _folder_name(settings.reply_folder_unreadable, separator),
        }
        for folder in folders.values():
            await client.create(folder)  # refused when it exists: that is fine
        _ok(await client.select("INBOX"), "SELECT")
    except (aioimaplib.AioImapException, TimeoutError, OSError) as exc:  # OSError: refused, TLS
        if getattr(client.protocol, "transport", None) is not None:
            client.protocol.transport.close()
        raise MailboxUnavailable(f"reply mailbox {host}:{port}: {exc}") from exc
    try:
        yield Mailbox(client, folders)
    except (aioimaplib.AioImapException, TimeoutError, ConnectionError) as exc:
        raise MailboxUnavailable(f"reply mailbox {host}:{port}: {exc}") from exc
    finally:
        try:
            await client.logout()
        except (aioimaplib.AioImapException, TimeoutError, OSError):
            log.debug("the reply mailbox closed before logout")


async def _starttls(client: aioimaplib.IMAP4, host: str) -> None:
    """aioimaplib 2.0 has no STARTTLS: ask for it, then wrap the connection ourselves."""
    protocol = client.protocol
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    _ok(await protocol.execute(command), "STARTTLS")
    transport = await asyncio.get_running_loop().start_tls(
        protocol.transport, protocol, ssl.create_default_context(), server_hostname=host
    )
    protocol.transport = transport
    await protocol.capability()


async def _sign_in(client: aioimaplib.IMAP4, settings: Settings) -> None:
    user = settings.reply_imap_username
    if settings.reply_imap_password:
        _ok(await client.login(user, settings.reply_imap_password), "LOGIN")
        return
    token = await oauth_token(settings)
    _ok(await client.xoauth2(user, token), "AUTHENTICATE XOAUTH2")


async def oauth_token(settings: Settings) -> str:
    """An OAuth2 access token for XOAUTH2: from a command's stdout, or from Entra ID."""
    if settings.reply_oauth_token_command:
        process = await asyncio.create_subprocess_exec(
            *shlex.split(settings.reply_oauth_token_command),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        if process.returncode != 0 or not stdout.strip():
            raise MailboxUnavailable(f"the token command failed: {stderr.decode()[-300:]}")
        return stdout.decode().strip()
    return await asyncio.to_thread(_entra_token, settings)


_entra_apps: dict[tuple[str, str], Any] = {}


def _entra_token(settings: Settings) -> str:
    import msal

    key = (settings.reply_oauth_tenant_id, settings.reply_oauth_client_id)
    if key not in _entra_apps:  # one app per process: msal keeps the token until it expires
        _entra_apps[key] = msal.ConfidentialClientApplication(
            settings.reply_oauth_client_id,
            authority=f"https://login.microsoftonline.com/{settings.reply_oauth_tenant_id}",
            client_credential=settings.reply_oauth_client_secret,
        )
    result = _entra_apps[key].acquire_token_for_client(scopes=[EXCHANGE_SCOPE])
    if "access_token" not in result:
        raise MailboxUnavailable(f"Entra ID gave no token: {result.get('error_description')}")
    return str(result["access_token"])


async def _separator(client: aioimaplib.IMAP4) -> str:
    """The server's hierarchy separator: the folder settings are written with '/'."""
    response = await client.list('""', '""')
    for line in response.lines:  # (\Noselect) "/" ""
        parts = line.decode(errors="replace").split('"')
        if line.startswith(b"(") and len(parts) >= 3 and len(parts[1]) == 1:
            return parts[1]
    return "/"


def _folder_name(name: str, separator: str) -> str:
    encoded = _modified_utf7(name.strip("/").replace("/", separator))
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _modified_utf7(name: str) -> str:
    """IMAP's folder-name encoding (RFC 3501 5.1.3), so "Behandlet/Uleselige" may hold æøå."""
    out, pending = [], ""

    def flush() -> None:
        nonlocal pending
        if pending:
            data = base64.b64encode(pending.encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + data.replace("/", ",") + "-")
            pending = ""

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending += char
    flush()
    return "".join(out)


def _ok(response: Any, command: str) -> Any:
    if response.result != "OK":
        detail = b" ".join(line for line in response.lines if isinstance(line, bytes))
        raise MailboxUnavailable(f"{command} refused: {detail.decode(errors='replace')}")
    return response
