"""The consultation use cases: record, send documents, write and send the protocol, the
parties' confirmations and disputes, comments. Each event is appended to the consultation's
hash-chained log in the same transaction, and every letter to the union representatives
carries the log's head after the event.

A protocol version goes draft → sent → confirmed (when every taking-part union and the
employer side have confirmed it); a sent or confirmed version is never changed: a
correction is a new version, to be sent and confirmed again."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import Principal
from medvirkning.auth.models import Role
from medvirkning.consultations import chain, letters, log, queries
from medvirkning.consultations.models import (
    Answer,
    Consultation,
    ConsultationComment,
    ConsultationDocument,
    ConsultationUnion,
    ProtocolAnswer,
    ProtocolStatus,
    ProtocolVersion,
)
from medvirkning.consultations.schemas import (
    CommentCreate,
    ConsultationCreate,
    ConsultationUpdate,
    ProtocolAnswerCreate,
    ProtocolEdit,
    UnionPart,
)
from medvirkning.db import utcnow
from medvirkning.errors import Conflict, FieldError, Forbidden, InvalidInput
from medvirkning.meetings.models import Meeting
from medvirkning.meetings.schemas import DocumentCreate
from medvirkning.plan.models import Milestone, Phase
from medvirkning.region.models import Municipality, Organisation, OrganisationKind
from medvirkning.register import claim_version
from medvirkning.settings import Settings


class ProtocolLocked(Conflict):
    code = "protocol_locked"
    message = (
        "Protokollen er sendt til partene eller bekreftet, og kan ikke endres. "
        "Lag en rettet versjon i stedet."
    )


class ProtocolNotSent(Conflict):
    code = "protocol_not_sent"
    message = "Det er ingen protokoll som venter på svar fra partene."


class NothingToSend(Conflict):
    code = "nothing_to_send"
    message = "Det er ingenting nytt å sende."


class NoUnions(Conflict):
    code = "no_unions"
    message = "Velg minst én fagforening som deltar før protokollen sendes."


def actor_of(user: Principal, consultation: Consultation, union_id: int | None = None) -> str:
    """The name people read in the log: the person, and the party they act for."""
    name = user.name or user.label
    if union_id is not None:
        return f"{name} ({_union_name(consultation, union_id)})"
    if user.has(Role.ADMIN):
        return f"{name} (arbeidsgiver)"
    return name


def _union_name(consultation: Consultation, union_id: int) -> str:
    return next(u.union.name for u in consultation.unions if u.union_id == union_id)


async def _check_links(db: AsyncSession, values: dict[str, Any]) -> list[FieldError]:
    errors = []
    for field, model, message in (
        ("municipality_id", Municipality, "Velg en kommune som finnes."),
        ("phase_id", Phase, "Velg en fase som finnes."),
        ("milestone_id", Milestone, "Velg en milepæl som finnes."),
    ):
        if values.get(field) is not None:
            row = await db.get(model, values[field])
            if row is None or not getattr(row, "active", False):
                errors.append(FieldError(field, message))
    if values.get("meeting_id") is not None:
        meeting = await db.get(Meeting, values["meeting_id"])
        if meeting is None or meeting.cancelled_at is not None:
            errors.append(FieldError("meeting_id", "Velg et møte som finnes og ikke er avlyst."))
    return errors


async def _check_unions(db: AsyncSession, parts: list[UnionPart]) -> list[FieldError]:
    seen: set[int] = set()
    for part in parts:
        union = await db.get(Organisation, part.union_id)
        if union is None or union.kind != OrganisationKind.UNION or not union.active:
            return [FieldError("unions", "Velg fagforeninger som finnes.")]
        if part.union_id in seen:
            return [FieldError("unions", "En fagforening kan bare være med én gang.")]
        seen.add(part.union_id)
    return []


def _set_unions(consultation: Consultation, parts: list[UnionPart]) -> None:
    """The new list of unions: kept rows updated, new ones added, the rest removed."""
    existing = {u.union_id: u for u in consultation.unions}
    rows = []
    for part in parts:
        row = existing.get(part.union_id) or ConsultationUnion(union_id=part.union_id)
        row.participants, row.position, row.addition = (
            part.participants,
            part.position,
            part.addition,
        )
        rows.append(row)
    consultation.unions = rows


def _documents(documents: list[DocumentCreate]) -> list[ConsultationDocument]:
    return [ConsultationDocument(title=d.title.strip(), url=d.url) for d in documents]


async def create_consultation(
    db: AsyncSession, data: ConsultationCreate, user: Principal
) -> Consultation:
    values = msgspec.structs.asdict(data)
    errors = await _check_links(db, values) + await _check_unions(db, data.unions)
    if errors:
        raise InvalidInput(errors=errors)
    consultation = Consultation(
        matter=data.matter.strip(),
        kind=data.kind,
        municipality_id=data.municipality_id,
        phase_id=data.phase_id,
        milestone_id=data.milestone_id,
        decision_ref=data.decision_ref.strip(),
        meeting_id=data.meeting_id,
        employer_participants=data.employer_participants,
        agreed=data.agreed,
        created_by_id=user.person_id,
        unions=[],
        documents=_documents(data.documents),
        protocols=[],
        comments=[],
    )
    _set_unions(consultation, data.unions)
    db.add(consultation)
    await db.flush()
    consultation = await queries.load_consultation(db, consultation.id)
    await log.append(
        db, consultation, actor_of(user, consultation), "created", _record(consultation)
    )
    return consultation


def _record(consultation: Consultation) -> dict[str, Any]:
    """What the log keeps of the record itself."""
    return {
        "matter": consultation.matter,
        "kind": consultation.kind.value,
        "level": consultation.level,
        "decision_ref": consultation.decision_ref,
        "meeting_id": consultation.meeting_id,
        "employer_participants": consultation.employer_participants,
        "agreed": consultation.agreed,
        "unions": [
            {
                "union": u.union.name,
                "participants": u.participants,
                "position": u.position,
                "addition": u.addition,
            }
            for u in consultation.unions
        ],
    }


def _protocol_part(consultation: Consultation) -> Any:
    """What the parties confirm beside the protocol's text: who took part, the positions,
    the additions and whether they agreed."""
    return (
        consultation.employer_participants,
        consultation.agreed,
        [(u.union_id, u.participants, u.position, u.addition) for u in consultation.unions],
    )


async def update_consultation(
    db: AsyncSession,
    consultation_id: int,
    data: ConsultationUpdate,
    user: Principal,
) -> Consultation:
    consultation = await queries.load_consultation(db, consultation_id)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    seen = changes.pop("version", None)
    errors = await _check_links(db, changes)
    if "unions" in changes:
        errors += await _check_unions(db, data.unions or [])
    if errors:
        raise InvalidInput(errors=errors)
    if seen is not None:
        await claim_version(db, consultation, seen, lambda c: c.matter)
    before = _protocol_part(consultation)
    for name, value in changes.items():
        if name == "unions":
            _set_unions(consultation, data.unions)  # type: ignore[arg-type]
        else:
            setattr(consultation, name, value.strip() if isinstance(value, str) else value)
    protocol = consultation.protocol
    if (
        protocol
        and protocol.status != ProtocolStatus.DRAFT
        and _protocol_part(consultation) != before
    ):
        raise ProtocolLocked(
            "Deltakerne, standpunktene, protokolltilførslene og enigheten hører til protokollen, "
            "som er sendt eller bekreftet. Lag en rettet versjon av protokollen først."
        )
    await db.flush()
    consultation = await queries.load_consultation(db, consultation_id)
    payload = {"part": "record", **_record(consultation)}
    await log.append(db, consultation, actor_of(user, consultation), "protocol_edited", payload)
    return consultation


async def add_document(
    db: AsyncSession, consultation_id: int, data: DocumentCreate
) -> Consultation:
    """A document to send with the next "send documents"."""
    consultation = await queries.load_consultation(db, consultation_id)
    consultation.documents.append(ConsultationDocument(title=data.title.strip(), url=data.url))
    await db.flush()
    return consultation


async def send_documents(
    db: AsyncSession, settings: Settings, consultation_id: int, user: Principal
) -> Consultation:
    """Send every document not yet sent to the union representatives; notice counts from now."""
    consultation = await queries.load_consultation(db, consultation_id)
    unsent = [d for d in consultation.documents if d.sent_at is None]
    if not unsent:
        raise NothingToSend("Alle dokumentene er allerede sendt. Legg til et nytt først.")
    now = utcnow()
    for document in unsent:
        document.sent_at = now
    entry = await log.append(
        db,
        consultation,
        actor_of(user, consultation),
        "document_sent",
        {"documents": [{"title": d.title, "url": d.url} for d in unsent]},
    )
    await letters.send(db, settings, consultation, "documents", chain.head_of(entry))
    return consultation


async def edit_protocol(
    db: AsyncSession, consultation_id: int, data: ProtocolEdit, user: Principal
) -> Consultation:
    consultation = await queries.load_consultation(db, consultation_id)
    protocol = consultation.protocol
    actor = actor_of(user, consultation)
    if protocol is None or (protocol.status != ProtocolStatus.DRAFT and data.correction):
        number = 1 if protocol is None else protocol.number + 1
        consultation.protocols.append(ProtocolVersion(number=number, text=data.text, answers=[]))
        await db.flush()
        kind = "protocol_edited" if protocol is None else "new_version"
        await log.append(db, consultation, actor, kind, {"version": number, "text": data.text})
        return consultation
    if protocol.status != ProtocolStatus.DRAFT:
        raise ProtocolLocked()
    protocol.text = data.text
    await db.flush()
    payload = {"version": protocol.number, "text": data.text}
    await log.append(db, consultation, actor, "protocol_edited", payload)
    return consultation


async def send_protocol(
    db: AsyncSession, settings: Settings, consultation_id: int, user: Principal
) -> Consultation:
    """Send the draft to the taking-part unions' representatives for confirmation."""
    consultation = await queries.load_consultation(db, consultation_id)
    protocol = consultation.protocol
    if protocol is None or protocol.status != ProtocolStatus.DRAFT:
        raise NothingToSend(
            "Det er ikke noe protokollutkast å sende. Skriv eller rett protokollen først."
        )
    if not consultation.unions:
        raise NoUnions()
    protocol.status, protocol.sent_at = ProtocolStatus.SENT, utcnow()
    entry = await log.append(
        db,
        consultation,
        actor_of(user, consultation),
        "sent",
        {
            "version": protocol.number,
            "text": protocol.text,
            "to": [u.union.name for u in consultation.unions],
        },
    )
    await letters.send(db, settings, consultation, "protocol", chain.head_of(entry))
    return consultation


def _party(user: Principal, consultation: Consultation, asked: int | None) -> int | None:
    """The party the user answers for: a union they represent here, or the employer side."""
    parties = queries.parties_of(user, consultation)
    if asked is not None:
        if asked not in parties:
            raise Forbidden("Du kan bare svare for en fagforening du er tillitsvalgt for her.")
        return asked
    if user.has(Role.ADMIN):
        return None
    if len(parties) == 1:
        return parties[0]
    if not parties:
        raise Forbidden("Du representerer ingen av partene i denne drøftingen.")
    raise InvalidInput.for_field("union_id", "Velg hvilken fagforening du svarer for.")


def _everyone_confirmed(consultation: Consultation, protocol: ProtocolVersion) -> bool:
    parties: list[int | None] = [None, *(u.union_id for u in consultation.unions)]
    return all(
        (answer := protocol.answer_of(party)) is not None and answer.answer == Answer.CONFIRMED
        for party in parties
    )


async def answer_protocol(
    db: AsyncSession,
    settings: Settings,
    consultation_id: int,
    data: ProtocolAnswerCreate,
    user: Principal,
) -> Consultation:
    consultation = await queries.load_consultation(db, consultation_id)
    union_id = _party(user, consultation, data.union_id)
    protocol = consultation.protocol
    if protocol is not None and protocol.status == ProtocolStatus.CONFIRMED:
        raise ProtocolLocked("Protokollen er bekreftet av alle parter og er låst.")
    if protocol is None or protocol.status != ProtocolStatus.SENT:
        raise ProtocolNotSent()
    reason = data.reason.strip()
    if data.answer == Answer.DISPUTED and not reason:
        raise InvalidInput.for_field("reason", "Skriv hvorfor du bestrider protokollen.")
    protocol.answers.append(
        ProtocolAnswer(
            union_id=union_id, person_id=user.person_id, answer=data.answer, reason=reason
        )
    )
    await db.flush()
    party = "arbeidsgiver" if union_id is None else _union_name(consultation, union_id)
    actor = actor_of(user, consultation, union_id)
    payload = {"version": protocol.number, "party": party, "reason": reason}
    await log.append(db, consultation, actor, data.answer.value, payload)
    if _everyone_confirmed(consultation, protocol):
        protocol.status, protocol.locked_at = ProtocolStatus.CONFIRMED, utcnow()
        entry = await log.append(db, consultation, actor, "locked", {"version": protocol.number})
        await letters.send(db, settings, consultation, "locked", chain.head_of(entry))
    return consultation


async def add_comment(
    db: AsyncSession, consultation_id: int, data: CommentCreate, user: Principal
) -> Consultation:
    consultation = await queries.load_consultation(db, consultation_id)
    parties = queries.parties_of(user, consultation)
    if not user.has(Role.ADMIN) and not parties:
        raise Forbidden("Du representerer ingen av partene i denne drøftingen.")
    actor = actor_of(user, consultation, None if user.has(Role.ADMIN) else parties[0])
    consultation.comments.append(
        ConsultationComment(person_id=user.person_id, author=actor, text=data.text.strip())
    )
    await db.flush()
    await log.append(db, consultation, actor, "commented", {"text": data.text.strip()})
    return consultation
