"""The project leader's consultation pages: register and edit a consultation, add and send
documents, write, correct and send the protocol. Every POST that succeeds redirects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import ADMIN, Principal
from medvirkning.consultations import queries, services
from medvirkning.consultations.forms import choices, consultation_from_form, values_of
from medvirkning.consultations.models import Consultation, ConsultationKind
from medvirkning.consultations.pages import detail
from medvirkning.consultations.schemas import (
    ConsultationCreate,
    ConsultationUpdate,
    ProtocolEdit,
)
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings, User
from medvirkning.errors import AppError
from medvirkning.meetings.forms import listed
from medvirkning.meetings.schemas import DocumentCreate
from medvirkning.plan.registers import milestone_options, phase_options
from medvirkning.register import StaleEdit
from medvirkning.settings import Settings
from medvirkning.web import attempt, struct_from_form


async def _form(
    db: AsyncSession,
    consultation: Consultation | None,
    data: dict[str, Any],
    error: AppError | None = None,
) -> Template:
    stale = isinstance(error, StaleEdit)
    version = consultation.version if consultation and (stale or "version" not in data) else None
    return Template(
        "consultations/form.html",
        context={
            "consultation": consultation,
            "values": data,
            "version": version or data.get("version", ""),
            "theirs": values_of(consultation) if consultation and stale else None,
            "ticked": set(listed(data.get("union_ids", []))),
            "kinds": ConsultationKind.options(),
            "phases": await phase_options(db),
            "milestones": await milestone_options(db),
            "error": error,
            "errors": {e.field.split("[")[0]: e.message for e in (error.errors if error else [])},
            **await choices(db),
        },
        status_code=error.status_code if error else 200,
    )


@get("/admin/consultations/new", opt=ADMIN, include_in_schema=False)
async def new_page(db: Db) -> Template:
    return await _form(db, None, {"kind": "consultation"})


@post("/admin/consultations/new", opt=ADMIN, include_in_schema=False)
async def create(db: Db, user: User, data: URLEncodedBody[dict[str, Any]]) -> Template | Redirect:
    made: list[Consultation] = []

    async def act() -> None:
        payload = consultation_from_form(data, ConsultationCreate)
        made.append(await services.create_consultation(db, payload, user))

    if error := await attempt(db, act):
        return await _form(db, None, data, error)
    return Redirect(f"/droftinger/{made[0].id}?melding=lagret", status_code=303)


@get("/admin/consultations/{consultation_id:int}/edit", opt=ADMIN, include_in_schema=False)
async def edit_page(db: Db, consultation_id: FromPath[int]) -> Template:
    consultation = await queries.load_consultation(db, consultation_id)
    return await _form(db, consultation, values_of(consultation))


@post("/admin/consultations/{consultation_id:int}/edit", opt=ADMIN, include_in_schema=False)
async def edit(
    db: Db,
    user: User,
    consultation_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    await queries.load_consultation(db, consultation_id)

    async def act() -> None:
        payload = consultation_from_form(data, ConsultationUpdate)
        await services.update_consultation(db, consultation_id, payload, user)

    if error := await attempt(db, act):
        return await _form(db, await queries.load_consultation(db, consultation_id), data, error)
    return Redirect(f"/droftinger/{consultation_id}?melding=lagret", status_code=303)


async def _act_on_page(
    db: AsyncSession,
    settings: Settings,
    user: Principal,
    consultation_id: int,
    data: dict[str, Any],
    action: Callable[[], Awaitable[Any]],
    done: str,
) -> Template | Redirect:
    """Run an action from the consultation page; a refusal shows the page with the error."""
    await queries.load_consultation(db, consultation_id)
    if error := await attempt(db, action):
        consultation = await queries.load_consultation(db, consultation_id)
        return await detail(db, settings, user, consultation, error=error, typed=data)
    return Redirect(f"/droftinger/{consultation_id}?melding={done}", status_code=303)


@post("/admin/consultations/{consultation_id:int}/documents", opt=ADMIN, include_in_schema=False)
async def add_document(
    db: Db,
    settings: AppSettings,
    user: User,
    consultation_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def act() -> None:
        payload = struct_from_form(DocumentCreate, data, ["title", "url"])
        await services.add_document(db, consultation_id, payload)

    return await _act_on_page(db, settings, user, consultation_id, data, act, "dokument")


@post(
    "/admin/consultations/{consultation_id:int}/documents/send", opt=ADMIN, include_in_schema=False
)
async def send_documents(
    db: Db, settings: AppSettings, user: User, consultation_id: FromPath[int]
) -> Template | Redirect:
    async def act() -> None:
        await services.send_documents(db, settings, consultation_id, user)

    return await _act_on_page(db, settings, user, consultation_id, {}, act, "dokumenter-sendt")


@post("/admin/consultations/{consultation_id:int}/protocol", opt=ADMIN, include_in_schema=False)
async def edit_protocol(
    db: Db,
    settings: AppSettings,
    user: User,
    consultation_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def act() -> None:
        payload = struct_from_form(ProtocolEdit, data, ["text", "correction"])
        await services.edit_protocol(db, consultation_id, payload, user)

    return await _act_on_page(db, settings, user, consultation_id, data, act, "protokoll")


@post(
    "/admin/consultations/{consultation_id:int}/protocol/send", opt=ADMIN, include_in_schema=False
)
async def send_protocol(
    db: Db, settings: AppSettings, user: User, consultation_id: FromPath[int]
) -> Template | Redirect:
    async def act() -> None:
        await services.send_protocol(db, settings, consultation_id, user)

    return await _act_on_page(db, settings, user, consultation_id, {}, act, "protokoll-sendt")


consultation_admin_pages = Router(
    path="/",
    route_handlers=[
        new_page,
        create,
        edit_page,
        edit,
        add_document,
        send_documents,
        edit_protocol,
        send_protocol,
    ],
)
