"""The outbox for admins: what waits, what failed and why, and sending a failed one again."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Router, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import func, select

from medvirkning.auth.access import ADMIN
from medvirkning.db import Db, utcnow
from medvirkning.errors import Conflict, NotFound
from medvirkning.mail.models import OutboxMessage, OutboxStatus
from medvirkning.mail.schemas import OutboxMessageRead
from medvirkning.transaction import wake_outbox_after_commit


async def _messages(db: Db, status: OutboxStatus | None, limit: int) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(await db.scalars(stmt))


async def outbox_counts(db: Db) -> dict[str, int]:
    rows = await db.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status.value: count for status, count in rows}


async def _retry(db: Db, message_id: int) -> OutboxMessage:
    message = await db.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"Fant ingen e-post med id {message_id}.")
    if message.status != OutboxStatus.FAILED:
        raise Conflict("Bare e-post som har feilet, kan sendes på nytt.")
    message.status, message.attempts, message.next_attempt_at = OutboxStatus.PENDING, 0, utcnow()
    wake_outbox_after_commit(db)
    return message


@get("/api/outbox", opt=ADMIN, tags=["E-post"], summary="E-post i utboksen")
async def outbox_api(
    db: Db,
    status: FromQuery[OutboxStatus | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> list[OutboxMessageRead]:
    rows = await _messages(db, status, limit)
    return [msgspec.convert(r, OutboxMessageRead, from_attributes=True) for r in rows]


@post(
    "/api/outbox/{message_id:int}/retry",
    opt=ADMIN,
    tags=["E-post"],
    status_code=200,
    summary="Send en feilet e-post på nytt",
)
async def retry_api(db: Db, message_id: FromPath[int]) -> OutboxMessageRead:
    message = await _retry(db, message_id)
    await db.flush()
    return msgspec.convert(message, OutboxMessageRead, from_attributes=True)


@get("/admin/outbox", opt=ADMIN, include_in_schema=False)
async def outbox_page(db: Db, status: FromQuery[str] = "") -> Template:
    chosen = OutboxStatus(status) if status in OutboxStatus._value2member_map_ else None
    return Template(
        "outbox/list.html",
        context={
            "messages": await _messages(db, chosen, 200),
            "counts": await outbox_counts(db),
            "status": status,
            "statuses": OutboxStatus.options(),
        },
    )


@post("/admin/outbox/{message_id:int}/retry", opt=ADMIN, include_in_schema=False)
async def retry_page(db: Db, message_id: FromPath[int]) -> Redirect:
    await _retry(db, message_id)
    return Redirect("/admin/outbox?status=failed", status_code=303)


outbox_router = Router(path="/", route_handlers=[outbox_api, retry_api, outbox_page, retry_page])
