"""Writing e-mail: rendered from Jinja2 templates (plain text and HTML) and written to the
outbox in the caller's transaction, so the message exists exactly when the change does."""

from __future__ import annotations

import functools
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

import jinja2
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.formats import date_no, datetime_no, time_no
from medvirkning.mail.models import OutboxMessage
from medvirkning.settings import Settings
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
    )
    env.filters.update(date_no=date_no, time_no=time_no, datetime_no=datetime_no)
    return env


def compose(
    settings: Settings, recipient: str, subject: str, template: str, context: dict[str, Any]
) -> EmailMessage:
    """A message with a plain-text and an HTML part from `<template>.txt` and `.html`."""
    env = mail_templates()
    context = {"base_url": settings.public_base_url, **context}
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((SENDER_NAME, settings.mail_from))
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rsplit("@", 1)[-1])
    message.set_content(env.get_template(f"{template}.txt").render(context))
    message.add_alternative(env.get_template(f"{template}.html").render(context), subtype="html")
    return message


def enqueue(
    db: AsyncSession, message: EmailMessage, kind: str, purge_after_send: bool = False
) -> OutboxMessage:
    """Put the message in the outbox; it is sent only if the transaction commits."""
    row = OutboxMessage(
        message_id=str(message["Message-ID"]),
        kind=kind,
        recipient=str(message["To"]),
        subject=str(message["Subject"]),
        mime=message.as_bytes(),
        purge_after_send=purge_after_send,
    )
    db.add(row)
    db.sync_session.info["mail_waiting"] = True  # wakes the worker once committed
    return row
