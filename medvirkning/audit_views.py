"""Reading the audit log: a filtered list for admins, as JSON and as a page. Nothing here,
or anywhere in the app, edits or deletes an entry."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Router, get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template
from sqlalchemy import Select, func, select

from medvirkning.audit import AuditEvent
from medvirkning.auth.access import ADMIN
from medvirkning.db import Db
from medvirkning.errors import BadRequest
from medvirkning.formats import OSLO

ACTIONS = {
    "create": "opprettet",
    "update": "endret",
    "deactivate": "deaktivert",
    "reactivate": "aktivert igjen",
    "delete": "slettet",
    "sign_in": "logget inn",
    "sign_out": "logget ut",
}


class AuditEventRead(msgspec.Struct, frozen=True):
    id: int
    at: datetime
    actor_person_id: int | None
    actor_label: str
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(msgspec.Struct, frozen=True):
    items: list[AuditEventRead]
    total: int
    limit: int
    offset: int


def _query(
    entity: str,
    entity_id: int | None,
    actor_person_id: int | None,
    action: str,
    since: date | None,
    until: date | None,
) -> Select[Any]:
    stmt = select(AuditEvent)
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    if actor_person_id is not None:
        stmt = stmt.where(AuditEvent.actor_person_id == actor_person_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if since:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(since, time(), OSLO))
    if until:
        stmt = stmt.where(AuditEvent.at < datetime.combine(until + timedelta(days=1), time(), OSLO))
    return stmt


async def _page(db: Db, stmt: Select[Any], limit: int, offset: int) -> tuple[list[AuditEvent], int]:
    total = await db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = await db.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit).offset(offset))
    return list(rows), total


@get("/api/audit-events", opt=ADMIN, tags=["Revisjonslogg"], summary="Les revisjonsloggen")
async def audit_api(
    db: Db,
    entity: FromQuery[str] = "",
    entity_id: FromQuery[int | None] = None,
    actor_person_id: FromQuery[int | None] = None,
    action: FromQuery[str] = "",
    since: FromQuery[date | None] = None,
    until: FromQuery[date | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    offset: Annotated[int, QueryParameter(ge=0)] = 0,
) -> AuditPage:
    stmt = _query(entity, entity_id, actor_person_id, action, since, until)
    rows, total = await _page(db, stmt, limit, offset)
    items = [msgspec.convert(r, AuditEventRead, from_attributes=True) for r in rows]
    return AuditPage(items, total, limit, offset)


def _form_value(name: str, raw: str, kind: type[Any]) -> Any:
    """A filter from the page's form: empty means no filter, anything else must parse."""
    if not raw.strip():
        return None
    try:
        return msgspec.convert(raw.strip(), kind, strict=False)
    except msgspec.ValidationError:
        raise BadRequest.for_field(name, "Filteret har en ugyldig verdi.") from None


@get("/admin/audit", opt=ADMIN, include_in_schema=False)
async def audit_page(
    db: Db,
    entity: FromQuery[str] = "",
    entity_id: FromQuery[str] = "",
    action: FromQuery[str] = "",
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
    page: FromQuery[int] = 1,
) -> Template:
    page = max(page, 1)
    stmt = _query(
        entity,
        _form_value("entity_id", entity_id, int),
        None,
        action,
        _form_value("since", since, date),
        _form_value("until", until, date),
    )
    rows, total = await _page(db, stmt, 50, (page - 1) * 50)
    entities = await db.scalars(select(AuditEvent.entity).distinct().order_by(AuditEvent.entity))
    return Template(
        "audit/list.html",
        context={
            "events": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // 50)),
            "actions": ACTIONS,
            "entities": list(entities),
            "filters": {
                "entity": entity,
                "entity_id": entity_id,
                "action": action,
                "since": since,
                "until": until,
            },
        },
    )


audit_router = Router(path="/", route_handlers=[audit_api, audit_page])
