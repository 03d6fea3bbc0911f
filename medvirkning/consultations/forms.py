"""The consultation form as the pages send it (unions ticked, each with its own text fields,
one document a line) turned into the Struct the API takes, and the choices the form lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.consultations.models import Consultation
from medvirkning.consultations.schemas import ConsultationCreate
from medvirkning.db import utcnow
from medvirkning.errors import FieldError, InvalidInput, translate_validation_message
from medvirkning.meetings.forms import lines, listed
from medvirkning.meetings.models import Meeting
from medvirkning.meetings.schemas import DocumentCreate
from medvirkning.region.models import Municipality, Organisation, OrganisationKind
from medvirkning.schema import LongText
from medvirkning.web import struct_from_form

RECORD_FIELDS = [
    "matter",
    "kind",
    "phase_id",
    "milestone_id",
    "decision_ref",
    "meeting_id",
    "employer_participants",
    "agreed",
]
AGREED = [("", "Ikke avgjort"), ("true", "Enige"), ("false", "Ikke enige")]


def _documents(text: Any) -> list[dict[str, str]]:
    """One document a line: "Title | https://…" (a bare address is its own title)."""
    documents = []
    for line in lines(text):
        title, _, url = line.rpartition("|") if "|" in line else (line, "", line)
        documents.append({"title": title.strip() or url.strip(), "url": url.strip()})
    return documents


def _unions(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "union_id": union_id,
            "participants": data.get(f"participants_{union_id}", ""),
            "position": data.get(f"position_{union_id}", ""),
            "addition": data.get(f"addition_{union_id}", ""),
        }
        for union_id in listed(data.get("union_ids", []))
    ]


def consultation_from_form(data: dict[str, Any], target: type[Any]) -> Any:
    """The record's fields, the ticked unions with their texts, and (new) the documents."""
    names = [*RECORD_FIELDS, "version"]
    if target is ConsultationCreate:
        names.append("municipality_id")
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    try:
        values = msgspec.structs.asdict(struct_from_form(target, data, names))
    except InvalidInput as refused:
        errors += refused.errors
    values["unions"] = _unions(data)
    for field, items in _texts(data, values["unions"]):
        errors += _check(field, items)
    if target is ConsultationCreate:
        values["documents"] = _documents(data.get("documents", ""))
        for number, document in enumerate(values["documents"], start=1):
            for error in _check("documents", [document], DocumentCreate):
                errors.append(FieldError("documents", f"Linje {number}: {error.message}"))
    if errors:
        raise InvalidInput(errors=errors)
    try:
        return msgspec.convert(values, target, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidInput(errors=[translate_validation_message(str(exc))]) from None


def _texts(data: dict[str, Any], unions: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    """Each union's text fields, under the names the page gives them."""
    return [
        (f"{name}_{u['union_id']}", [u[name]])
        for u in unions
        for name in ("participants", "position", "addition")
    ]


def _check(field: str, items: list[Any], kind: Any = LongText) -> list[FieldError]:
    try:
        msgspec.convert(items, list[kind], strict=False)
    except msgspec.ValidationError as exc:
        return [FieldError(field, translate_validation_message(str(exc)).message)]
    return []


def values_of(consultation: Consultation) -> dict[str, Any]:
    """A stored consultation as the form's fields."""
    values: dict[str, Any] = {
        "matter": consultation.matter,
        "kind": consultation.kind.value,
        "phase_id": str(consultation.phase_id or ""),
        "milestone_id": str(consultation.milestone_id or ""),
        "decision_ref": consultation.decision_ref,
        "meeting_id": str(consultation.meeting_id or ""),
        "employer_participants": consultation.employer_participants,
        "agreed": {None: "", True: "true", False: "false"}[consultation.agreed],
        "union_ids": [str(u.union_id) for u in consultation.unions],
    }
    for u in consultation.unions:
        values |= {
            f"participants_{u.union_id}": u.participants,
            f"position_{u.union_id}": u.position,
            f"addition_{u.union_id}": u.addition,
        }
    return values


async def choices(db: AsyncSession) -> dict[str, Any]:
    """The unions, municipalities and meetings (from 90 days back) the form offers."""
    unions = await db.scalars(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.UNION, Organisation.active.is_(True))
        .order_by(Organisation.name)
    )
    municipalities = await db.scalars(
        select(Municipality).where(Municipality.active.is_(True)).order_by(Municipality.name)
    )
    meetings = await db.scalars(
        select(Meeting)
        .where(Meeting.starts_at >= utcnow() - timedelta(days=90), Meeting.cancelled_at.is_(None))
        .order_by(Meeting.starts_at)
    )
    return {
        "unions": list(unions),
        "municipalities": list(municipalities),
        "meetings": list(meetings.unique()),
        "agreed_options": AGREED,
    }
