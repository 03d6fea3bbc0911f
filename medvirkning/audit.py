"""The audit log: every change to a record, with who made it, appended in the same
transaction as the change.

One SQLAlchemy hook writes it for every flush, so no service can forget it. A model opts
out with `__audit__ = False` (sessions, links, the outbox); a column with
`info={"audit": False}` is never written to the log (token hashes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, cast

import msgspec
from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    String,
    Table,
    bindparam,
    event,
    insert,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from medvirkning.db import Base, UTCDateTime, utcnow

QUIET_COLUMNS = {"created_at", "updated_at"}


@dataclass(frozen=True)
class Actor:
    """Who makes the changes of a transaction, as the log shall name them."""

    label: str
    person_id: int | None = None


SYSTEM = Actor("system")


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __audit__ = False
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


def act_as(session: Session | Any, actor: Actor) -> None:
    """Name the actor of the changes made through this session (sync or async)."""
    getattr(session, "sync_session", session).info["actor"] = actor


def plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _audited_keys(model: type[Any]) -> list[str]:
    return [
        column.key
        for column in inspect(model).column_attrs
        if column.key not in QUIET_COLUMNS and column.columns[0].info.get("audit", True)
    ]


def _audited_columns(obj: Any) -> list[str]:
    return _audited_keys(type(obj))


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _audited_columns(obj):
        history = state.attrs[key].history
        if history.has_changes() and history.deleted:
            old, new = history.deleted[0], getattr(obj, key)
            if old != new:
                before[key], after[key] = plain(old), plain(new)
    return before, after


def _action(before: dict[str, Any], after: dict[str, Any]) -> str:
    if set(after) == {"active"}:
        return "reactivate" if after["active"] else "deactivate"
    return "update"


def event_row(actor: Actor, action: str, obj: Any, before: Any, after: Any) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "actor_person_id": actor.person_id,
        "actor_label": actor.label,
        "action": action,
        "entity": obj.__tablename__,
        "entity_id": getattr(obj, "id", None),
        "before": before,
        "after": after,
    }


_ENCODER = msgspec.json.Encoder()
_NULL = "null"  # what the JSON column stores for None


async def record_bulk_create(db: Any, model: type[Any], created: list[dict[str, Any]]) -> None:
    """For records inserted in bulk past the ORM (the flush hook does not see them), the
    same `create` rows the hook writes, in one statement in the caller's transaction.

    Each record's values must name every audited column, its id included."""
    actor: Actor = db.sync_session.info.get("actor", SYSTEM)
    keys = _audited_keys(model)
    # msgspec writes enums and dates as plain() does, but datetimes its own way.
    stamps = [k for k in keys if isinstance(getattr(model, k).type, DateTime | UTCDateTime)]
    connection = await db.connection()
    ready = AuditEvent.__table__.c.at.type.bind_processor(connection.dialect)
    now = ready(utcnow()) if ready else utcnow()
    known = {
        "at": now,
        "actor_person_id": actor.person_id,
        "actor_label": actor.label,
        "action": "create",
        "entity": model.__tablename__,
        "before": _NULL,
    }
    sql, order = _bulk_insert(connection.dialect)
    at = order.index("entity_id"), order.index("after")
    first = [known.get(name) for name in order]
    rows = []
    for values in created:
        row = first.copy()
        row[at[0]] = values["id"]
        row[at[1]] = _ENCODER.encode(
            {k: values[k] for k in keys} | {k: plain(values[k]) for k in stamps}
        ).decode()
        rows.append(tuple(row))
    if rows:
        # Straight to the driver, values ready: SQLAlchemy's per-row work cost as much again.
        await connection.exec_driver_sql(sql, rows)


_BULK_INSERTS: dict[tuple[str, str], tuple[str, list[str]]] = {}


def _bulk_insert(dialect: Dialect) -> tuple[str, list[str]]:
    """The audit row INSERT in the dialect's own SQL, and the order its values go in."""
    key = (dialect.name, dialect.paramstyle)
    if key not in _BULK_INSERTS:
        table = cast(Table, AuditEvent.__table__)
        names = ("at", "actor_person_id", "actor_label", "action", "entity", "entity_id")
        values: dict[str, Any] = {n: bindparam(n) for n in (*names, "before", "after")}
        compiled = insert(table).values(**values).compile(dialect=dialect)
        order = list(compiled.positiontup or [])
        assert sorted(order) == sorted(values), order
        _BULK_INSERTS[key] = compiled.string, order
    return _BULK_INSERTS[key]


@event.listens_for(Session, "after_flush")
def _record(session: Session, _context: Any) -> None:
    actor: Actor = session.info.get("actor", SYSTEM)
    rows = []
    for obj in session.new:
        if getattr(obj, "__audit__", True):
            after = {k: plain(getattr(obj, k)) for k in _audited_columns(obj)}
            rows.append(event_row(actor, "create", obj, None, after))
    for obj in session.dirty:
        if getattr(obj, "__audit__", True) and session.is_modified(obj):
            before, after = _changes(obj)
            if after:
                rows.append(event_row(actor, _action(before, after), obj, before, after))
    for obj in session.deleted:
        if getattr(obj, "__audit__", True):
            before = {k: plain(getattr(obj, k)) for k in _audited_columns(obj)}
            rows.append(event_row(actor, "delete", obj, before, None))
    if rows:
        session.connection().execute(insert(AuditEvent), rows)
