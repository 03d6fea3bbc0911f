"""Writing e-mail: rendered from Jinja2 templates (plain text and HTML) and written to the
outbox in the caller's transaction, so the message exists exactly when the change does."""

from __future__ import annotations

import base64
import binascii
import functools
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

import jinja2
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.db import utcnow
from medvirkning.errors import AppError
from medvirkning.formats import date_no, datetime_no, time_no
from medvirkning.mail.models import OutboxMessage, OutboxStatus
from medvirkning.settings import Settings
from medvirkning.transaction import wake_outbox_after_commit
from medvirkning.web import TEMPLATES

SENDER_NAME = "Medvirkning – ERP-prosjektet i Kongsbergregionen"


@functools.cache
def mail_templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / "mail"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # templates change with a deploy: no stat of four files a letter
    )
    env.filters.update(date_no=date_no, time_no=time_no, datetime_no=datetime_no)
    return env


@dataclass(frozen=True)
class Letter:
    """One e-mail to one person: a plain-text and an HTML part, maybe a calendar file."""

    recipient: str
    subject: str
    text: str
    html: str
    calendar: bytes | None = None
    method: str | None = None  # the iTIP method of the calendar part
    attachment_name: str = "invitasjon.ics"


def compose(
    settings: Settings,
    recipient: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    calendar: bytes | None = None,
    method: str | None = None,
) -> Letter:
    """A letter whose parts come from `mail/<template>.txt` and `.html`."""
    env = mail_templates()
    context = {"base_url": settings.public_base_url, **context}
    return Letter(
        recipient=recipient,
        subject=subject,
        text=env.get_template(f"{template}.txt").render(context),
        html=env.get_template(f"{template}.html").render(context),
        calendar=calendar,
        method=method,
    )


class UnsafeHeader(AppError):
    code = "unsafe_header"
    status_code = 422
    message = "E-postadressen kan ikke skrives i en e-post."


# One plain ASCII address, nothing a header could read as a second line or a display name.
_SAFE_ADDRESS = re.compile(r"[!#-'*+\-/-9=?A-Z^-~.]+@[A-Za-z0-9.\-]+")


def _recipient(address: str) -> str:
    if not _SAFE_ADDRESS.fullmatch(address):
        raise UnsafeHeader.for_field("email", UnsafeHeader.message)
    return address


@functools.lru_cache(maxsize=256)
def _header(value: str) -> str:
    if any(c in value for c in "\r\n\x00"):  # a line break would start a header of its own
        raise UnsafeHeader.for_field("subject", "Emnet kan ikke inneholde linjeskift.")
    return Header(value, "utf-8", maxlinelen=76).encode(linesep="\r\n")


@functools.lru_cache(maxsize=16)
def _sender(address: str) -> str:
    return formataddr((SENDER_NAME, address), charset="utf-8")


def _qp(text: str) -> bytes:
    # Every line break becomes CRLF, and no bare CR is left, which servers refuse.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


def _base64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def letter_bytes(settings: Settings, letter: Letter) -> tuple[str, bytes]:
    """The letter as MIME, and its Message-ID.

    Written directly, part by part, with the standard encoders: the email package's
    EmailMessage takes some 15 ms a message, which makes a 2,000-person invitation wait half
    a minute. tests/test_outbox.py reads the result back with the email package."""
    message_id = make_msgid(domain=settings.mail_from.rsplit("@", 1)[-1])
    mixed, alternative = f"=_m{secrets.token_hex(12)}", f"=_a{secrets.token_hex(12)}"
    body = [
        f"--{alternative}",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
    ]
    parts = [
        "\r\n".join(body).encode() + b"\r\n" + _qp(letter.text),
        "\r\n".join(
            [
                f"--{alternative}",
                'Content-Type: text/html; charset="utf-8"',
                "Content-Transfer-Encoding: quoted-printable",
                "",
            ]
        ).encode()
        + b"\r\n"
        + _qp(letter.html),
    ]
    if letter.calendar is not None:
        encoded = _base64(letter.calendar)
        parts.append(
            (
                f"--{alternative}\r\n"
                f'Content-Type: text/calendar; charset="utf-8"; method={letter.method}\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode()
            + encoded
        )
    top = [
        f"From: {_sender(settings.mail_from)}",
        f"To: {_recipient(letter.recipient)}",
        f"Subject: {_header(letter.subject)}",
        f"Date: {formatdate(usegmt=True)}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
    ]
    alternative_part = b"\r\n".join(parts) + f"\r\n--{alternative}--\r\n".encode()
    if letter.calendar is None:
        head = [*top, f'Content-Type: multipart/alternative; boundary="{alternative}"', "", ""]
        return message_id, "\r\n".join(head).encode() + alternative_part
    name = letter.attachment_name
    head = [*top, f'Content-Type: multipart/mixed; boundary="{mixed}"', "", ""]
    attachment = (
        f"--{mixed}\r\n"
        f'Content-Type: application/ics; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + encoded
    return message_id, (
        "\r\n".join(head).encode()
        + f"--{mixed}\r\n".encode()
        + f'Content-Type: multipart/alternative; boundary="{alternative}"\r\n\r\n'.encode()
        + alternative_part
        + attachment
        + f"--{mixed}--\r\n".encode()
    )


async def enqueue(
    db: AsyncSession,
    settings: Settings,
    letters: Sequence[Letter],
    kind: str,
    purge_after_send: bool = False,
) -> list[str]:
    """Put the letters in the outbox, in one statement; they are sent only if the transaction
    commits. Returns their Message-IDs."""
    rows: list[dict[str, Any]] = []
    message_ids: list[str] = []
    for letter in letters:
        message_id, mime = letter_bytes(settings, letter)
        message_ids.append(message_id)
        rows.append(
            {
                "message_id": message_id,
                "kind": kind,
                "recipient": letter.recipient,
                "subject": letter.subject,
                "mime": mime,
                "purge_after_send": purge_after_send,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": utcnow(),
                "last_error": "",
                "created_at": utcnow(),
            }
        )
    if rows:
        await db.execute(insert(OutboxMessage), rows)
        wake_outbox_after_commit(db)
    return message_ids
