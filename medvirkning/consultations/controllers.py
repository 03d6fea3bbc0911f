"""Consultations in the JSON API: the record, documents, the protocol and its answers,
comments, and the log (download and verification)."""

from __future__ import annotations

from litestar import Response, Router, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import ADMIN, allow
from medvirkning.auth.models import Role
from medvirkning.consultations import chain, log, queries, services
from medvirkning.consultations.models import Consultation
from medvirkning.consultations.schemas import (
    CommentCreate,
    CommentRead,
    ConsultationCreate,
    ConsultationRead,
    ConsultationUpdate,
    DocumentRead,
    ProtocolAnswerCreate,
    ProtocolEdit,
    ProtocolRead,
    UnionPartRead,
    VerdictRead,
)
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings, User
from medvirkning.errors import BadRequest
from medvirkning.meetings.schemas import DocumentCreate
from medvirkning.register import StaleEdit
from medvirkning.schema import Ref
from medvirkning.settings import Settings

TAGS = ["Drøftinger"]
READERS = allow(Role.ADMIN, Role.STEERING, Role.UNION_REP)
PARTIES = allow(Role.ADMIN, Role.UNION_REP)


async def consultation_read(
    db: AsyncSession, settings: Settings, consultation: Consultation
) -> ConsultationRead:
    protocol = consultation.protocol
    return ConsultationRead(
        id=consultation.id,
        version=consultation.version,
        matter=consultation.matter,
        kind=consultation.kind,
        municipality=Ref(consultation.municipality.id, consultation.municipality.name)
        if consultation.municipality
        else None,
        level=consultation.level,
        phase=Ref(consultation.phase.id, consultation.phase.name) if consultation.phase else None,
        milestone=Ref(consultation.milestone.id, consultation.milestone.name)
        if consultation.milestone
        else None,
        decision_ref=consultation.decision_ref,
        meeting=Ref(consultation.meeting.id, consultation.meeting.title)
        if consultation.meeting
        else None,
        meeting_starts_at=consultation.meeting.starts_at if consultation.meeting else None,
        employer_participants=consultation.employer_participants,
        agreed=consultation.agreed,
        documents=[DocumentRead(d.id, d.title, d.url, d.sent_at) for d in consultation.documents],
        unions=[
            UnionPartRead(
                union=Ref(u.union_id, u.union.name),
                participants=u.participants,
                position=u.position,
                addition=u.addition,
                answer=a.answer if protocol and (a := protocol.answer_of(u.union_id)) else None,
                reason=a.reason if protocol and (a := protocol.answer_of(u.union_id)) else "",
            )
            for u in consultation.unions
        ],
        protocols=[
            ProtocolRead(
                p.number,
                p.text,
                p.status,
                p.sent_at,
                p.locked_at,
                a.answer if (a := p.answer_of(None)) else None,
            )
            for p in consultation.protocols
        ],
        comments=[CommentRead(c.author, c.text, c.at) for c in consultation.comments],
        notice_working_days=queries.notice_days(consultation),
        short_notice=queries.short_notice(consultation, settings),
        log_head=await log.head(db, consultation.id),
    )


@get("/api/consultations", opt=READERS, tags=TAGS, summary="Drøftinger brukeren kan lese")
async def list_consultations(db: Db, settings: AppSettings, user: User) -> list[ConsultationRead]:
    return [
        await consultation_read(db, settings, c) for c in await queries.list_consultations(db, user)
    ]


@post("/api/consultations", opt=ADMIN, tags=TAGS, summary="Registrer en drøfting")
async def create_consultation(
    db: Db, settings: AppSettings, user: User, data: JSONBody[ConsultationCreate]
) -> ConsultationRead:
    consultation = await services.create_consultation(db, data, user)
    return await consultation_read(db, settings, consultation)


@get("/api/consultations/{consultation_id:int}", opt=READERS, tags=TAGS, summary="En drøfting")
async def read_consultation(
    db: Db, settings: AppSettings, user: User, consultation_id: FromPath[int]
) -> ConsultationRead:
    consultation = await queries.get_consultation(db, user, consultation_id)
    return await consultation_read(db, settings, consultation)


@patch("/api/consultations/{consultation_id:int}", opt=ADMIN, tags=TAGS, summary="Endre")
async def update_consultation(
    db: Db,
    settings: AppSettings,
    user: User,
    consultation_id: FromPath[int],
    data: JSONBody[ConsultationUpdate],
) -> ConsultationRead:
    try:
        consultation = await services.update_consultation(db, consultation_id, data, user)
    except StaleEdit as stale:  # the answer shows the record as the other person saved it
        current = await queries.load_consultation(db, consultation_id)
        stale.current = await consultation_read(db, settings, current)
        raise
    return await consultation_read(db, settings, consultation)


@post(
    "/api/consultations/{consultation_id:int}/documents",
    opt=ADMIN,
    tags=TAGS,
    status_code=200,
    summary="Legg til et dokument (sendes med neste utsending)",
)
async def add_document(
    db: Db, settings: AppSettings, consultation_id: FromPath[int], data: JSONBody[DocumentCreate]
) -> ConsultationRead:
    consultation = await services.add_document(db, consultation_id, data)
    return await consultation_read(db, settings, consultation)


@post(
    "/api/consultations/{consultation_id:int}/documents/send",
    opt=ADMIN,
    tags=TAGS,
    status_code=200,
    summary="Send de nye dokumentene til de tillitsvalgte",
)
async def send_documents(
    db: Db, settings: AppSettings, user: User, consultation_id: FromPath[int]
) -> ConsultationRead:
    consultation = await services.send_documents(db, settings, consultation_id, user)
    return await consultation_read(db, settings, consultation)


@put(
    "/api/consultations/{consultation_id:int}/protocol",
    opt=ADMIN,
    tags=TAGS,
    summary="Skriv protokollen (en sendt eller bekreftet rettes med correction=true)",
)
async def edit_protocol(
    db: Db,
    settings: AppSettings,
    user: User,
    consultation_id: FromPath[int],
    data: JSONBody[ProtocolEdit],
) -> ConsultationRead:
    consultation = await services.edit_protocol(db, consultation_id, data, user)
    return await consultation_read(db, settings, consultation)


@post(
    "/api/consultations/{consultation_id:int}/protocol/send",
    opt=ADMIN,
    tags=TAGS,
    status_code=200,
    summary="Send protokollen til bekreftelse",
)
async def send_protocol(
    db: Db, settings: AppSettings, user: User, consultation_id: FromPath[int]
) -> ConsultationRead:
    consultation = await services.send_protocol(db, settings, consultation_id, user)
    return await consultation_read(db, settings, consultation)


@post(
    "/api/consultations/{consultation_id:int}/protocol/answers",
    opt=PARTIES,
    tags=TAGS,
    status_code=200,
    summary="Bekreft eller bestrid protokollen",
)
async def answer_protocol(
    db: Db,
    settings: AppSettings,
    user: User,
    consultation_id: FromPath[int],
    data: JSONBody[ProtocolAnswerCreate],
) -> ConsultationRead:
    await queries.get_consultation(db, user, consultation_id)
    consultation = await services.answer_protocol(db, settings, consultation_id, data, user)
    return await consultation_read(db, settings, consultation)


@post(
    "/api/consultations/{consultation_id:int}/comments",
    opt=PARTIES,
    tags=TAGS,
    status_code=200,
    summary="Kommenter",
)
async def add_comment(
    db: Db,
    settings: AppSettings,
    user: User,
    consultation_id: FromPath[int],
    data: JSONBody[CommentCreate],
) -> ConsultationRead:
    await queries.get_consultation(db, user, consultation_id)
    consultation = await services.add_comment(db, consultation_id, data, user)
    return await consultation_read(db, settings, consultation)


@get(
    "/api/consultations/{consultation_id:int}/log",
    opt=READERS,
    tags=TAGS,
    summary="Loggen som JSON (sjekkes med skriptet i README)",
)
async def download_log(db: Db, user: User, consultation_id: FromPath[int]) -> Response[bytes]:
    await queries.get_consultation(db, user, consultation_id)
    body = chain.export_json(await log.entries(db, consultation_id))
    return Response(
        body,
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="drofting-{consultation_id}-logg.json"'
        },
    )


@get(
    "/api/consultations/{consultation_id:int}/log/verify",
    opt=READERS,
    tags=TAGS,
    summary="Sjekk loggen (mot et hode fra en e-post, om du har et)",
)
async def verify_log(
    db: Db, user: User, consultation_id: FromPath[int], head: FromQuery[str | None] = None
) -> VerdictRead:
    await queries.get_consultation(db, user, consultation_id)
    return verdict_read(await verified(db, consultation_id, head))


async def verified(db: AsyncSession, consultation_id: int, head: str | None) -> chain.Verdict:
    try:
        return await log.verify(db, consultation_id, head or None)
    except ValueError:
        raise BadRequest.for_field(
            "head",
            "Hodet må skrives som <nummer>:<64 heksadesimale tegn>, slik e-posten viser det.",
        ) from None


def verdict_read(verdict: chain.Verdict) -> VerdictRead:
    return VerdictRead(
        verdict.ok,
        verdict.entries,
        verdict.head,
        verdict.broken,
        verdict.reason,
        verdict.message or (f"Loggen er hel: {verdict.entries} poster." if verdict.ok else ""),
    )


consultations_router = Router(
    path="/",
    route_handlers=[
        list_consultations,
        create_consultation,
        read_consultation,
        update_consultation,
        add_document,
        send_documents,
        edit_protocol,
        send_protocol,
        answer_protocol,
        add_comment,
        download_log,
        verify_log,
    ],
)
