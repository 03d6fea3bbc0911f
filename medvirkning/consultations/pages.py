"""The consultation pages everyone in scope reads: the list (for a union representative what
awaits them; for the project leader each union's protocol status and the notice warnings),
a consultation with its protocol versions side by side and its log, and the printable page.
Union representatives confirm, dispute and comment here. Every POST that succeeds redirects."""

from __future__ import annotations

import difflib
import json
from datetime import datetime
from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import Principal, allow
from medvirkning.auth.models import Role
from medvirkning.consultations import chain, log, queries, services
from medvirkning.consultations.models import Answer, Consultation, ProtocolVersion
from medvirkning.consultations.schemas import CommentCreate, ProtocolAnswerCreate
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings, User
from medvirkning.errors import AppError, FieldError
from medvirkning.settings import Settings
from medvirkning.web import attempt, struct_from_form

READERS = allow(Role.ADMIN, Role.STEERING, Role.UNION_REP)
PARTIES = allow(Role.ADMIN, Role.UNION_REP)

# What each log event is called on the pages.
EVENTS = {
    "created": "Registrert",
    "document_sent": "Dokumenter sendt",
    "protocol_edited": "Endret",
    "sent": "Protokoll sendt",
    "confirmed": "Bekreftet",
    "disputed": "Bestridt",
    "commented": "Kommentar",
    "locked": "Protokoll låst",
    "new_version": "Rettet versjon",
}

NOTICES = {
    "lagret": "Drøftingen er lagret.",
    "bekreftet": "Du har bekreftet protokollen.",
    "bestridt": "Du har bestridt protokollen. Prosjektleder får begrunnelsen din i loggen.",
    "kommentert": "Kommentaren er lagt til.",
    "dokument": "Dokumentet er lagt til. Send det til de tillitsvalgte når alt er klart.",
    "dokumenter-sendt": "Dokumentene er sendt til de tillitsvalgte.",
    "protokoll": "Protokollen er lagret.",
    "protokoll-sendt": "Protokollen er sendt til de tillitsvalgte til bekreftelse.",
}


def changes(before: ProtocolVersion | None, after: ProtocolVersion) -> list[tuple[str, str]]:
    """The lines of `after` against the version before it: ("same"|"added"|"removed", line)."""
    if before is None:
        return []
    marks = {" ": "same", "+": "added", "-": "removed"}
    return [
        (marks[line[0]], line[2:])
        for line in difflib.ndiff(before.text.splitlines(), after.text.splitlines())
        if line[0] in marks
    ]


def _shown(payload: dict[str, Any]) -> str:
    """A log entry's payload as people read it: plain JSON, indented."""
    return json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True)


def _log_verdict(entries: list[chain.Entry], head: str) -> tuple[chain.Verdict | None, str]:
    try:
        return chain.verify(entries, head.strip() or None), ""
    except ValueError:
        return (
            None,
            "Hodet må skrives som <nummer>:<64 heksadesimale tegn>, slik e-posten viser det.",
        )


async def detail(
    db: AsyncSession,
    settings: Settings,
    user: Principal,
    consultation: Consultation,
    notice: str = "",
    error: AppError | None = None,
    typed: dict[str, Any] | None = None,
    head: str = "",
    template: str = "consultations/detail.html",
) -> Template:
    entries = await log.entries(db, consultation.id)
    verdict, head_error = _log_verdict(entries, head)
    protocols = consultation.protocols
    return Template(
        template,
        context={
            "consultation": consultation,
            "versions": [
                (p, changes(protocols[n - 1] if n else None, p)) for n, p in enumerate(protocols)
            ],
            "protocol": consultation.protocol,
            "entries": [
                (e, datetime.fromisoformat(e.at.replace("Z", "+00:00")), _shown(e.payload))
                for e in entries
            ],
            "events": EVENTS,
            "verdict": verdict,
            "head": head,
            "head_error": head_error,
            "notice_days": queries.notice_days(consultation),
            "short_notice": queries.short_notice(consultation, settings),
            "least_days": settings.consultation_notice_days,
            "parties": queries.parties_of(user, consultation),
            "awaiting": queries.awaiting(user, consultation),
            "is_admin": user.has(Role.ADMIN),
            "Answer": Answer,
            "notice": notice,
            "error": error,
            "errors": {e.field: e.message for e in (error.errors if error else [])},
            "typed": typed or {},
        },
        status_code=error.status_code if error else 200,
    )


@get("/droftinger", opt=READERS, include_in_schema=False)
async def consultations_page(db: Db, settings: AppSettings, user: User) -> Template:
    consultations = await queries.list_consultations(db, user)
    return Template(
        "consultations/list.html",
        context={
            "rows": [(c, queries.status_of(c, settings)) for c in consultations],
            "awaiting": [(c, queries.awaiting(user, c)) for c in consultations],
            "is_admin": user.has(Role.ADMIN),
            "overview": user.has(Role.ADMIN, Role.STEERING),
            "least_days": settings.consultation_notice_days,
        },
    )


@get("/droftinger/{consultation_id:int}", opt=READERS, include_in_schema=False)
async def consultation_page(
    db: Db,
    settings: AppSettings,
    user: User,
    consultation_id: FromPath[int],
    melding: FromQuery[str] = "",
    hode: FromQuery[str] = "",
) -> Template:
    consultation = await queries.get_consultation(db, user, consultation_id)
    return await detail(db, settings, user, consultation, NOTICES.get(melding, ""), head=hode)


@get("/droftinger/{consultation_id:int}/utskrift", opt=READERS, include_in_schema=False)
async def printable_page(
    db: Db, settings: AppSettings, user: User, consultation_id: FromPath[int]
) -> Template:
    consultation = await queries.get_consultation(db, user, consultation_id)
    return await detail(db, settings, user, consultation, template="consultations/printable.html")


@post("/droftinger/{consultation_id:int}/svar", opt=PARTIES, include_in_schema=False)
async def answer(
    db: Db,
    settings: AppSettings,
    user: User,
    consultation_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    await queries.get_consultation(db, user, consultation_id)
    given: list[str] = []

    async def act() -> None:
        payload = struct_from_form(ProtocolAnswerCreate, data, ["answer", "reason", "union_id"])
        await services.answer_protocol(db, settings, consultation_id, payload, user)
        given.append(payload.answer.value)

    if error := await attempt(db, act):
        consultation = await queries.get_consultation(db, user, consultation_id)
        return await detail(db, settings, user, consultation, error=error, typed=data)
    word = "bekreftet" if given[0] == Answer.CONFIRMED else "bestridt"
    return Redirect(f"/droftinger/{consultation_id}?melding={word}", status_code=303)


@post("/droftinger/{consultation_id:int}/kommentar", opt=PARTIES, include_in_schema=False)
async def comment(
    db: Db,
    settings: AppSettings,
    user: User,
    consultation_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    await queries.get_consultation(db, user, consultation_id)

    async def act() -> None:
        text = data.get("comment", "")
        payload = struct_from_form(CommentCreate, {"text": text}, ["text"])
        await services.add_comment(db, consultation_id, payload, user)

    if error := await attempt(db, act):
        # The page's field is "comment": the protocol's text is a field of its own there.
        error.errors = [FieldError("comment", e.message) for e in error.errors]
        consultation = await queries.get_consultation(db, user, consultation_id)
        return await detail(db, settings, user, consultation, error=error, typed=data)
    return Redirect(f"/droftinger/{consultation_id}?melding=kommentert", status_code=303)


consultation_pages = Router(
    path="/",
    route_handlers=[consultations_page, consultation_page, printable_page, answer, comment],
)
