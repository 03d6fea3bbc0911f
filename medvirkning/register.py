"""The one mechanism behind every register: list, search, read, create, edit, deactivate.

A domain describes its register (model, Structs, rules, page columns and fields) once; the
service functions here apply it. Records that evidence points to are deactivated, never
deleted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from medvirkning.auth.access import ADMIN, ADMIN_AND_STEERING, Principal
from medvirkning.db import Base, utcnow
from medvirkning.errors import (
    AppError,
    BadRequest,
    Conflict,
    ErrorRead,
    FieldError,
    InvalidInput,
    NotFound,
)

Values = dict[str, Any]
# A rule sees the values the record would have after the change, and the record before it.
Rule = Callable[[AsyncSession, Values, Any], Awaitable[list[FieldError]]]
Options = Callable[[AsyncSession], Awaitable[list[tuple[str, str]]]]
# The rows a user may read, as a WHERE clause: every read of a register goes through it.
Scope = Callable[[Principal], ColumnElement[bool]]


def everything(user: Principal) -> ColumnElement[bool]:
    """The scope of a register whose route rule already says who may read all of it."""
    return true()


@dataclass(frozen=True)
class Unique:
    """A column whose value no other record may have (compared case-insensitively if asked)."""

    column: str
    message: str
    ignore_case: bool = False


@dataclass(frozen=True)
class Column:
    """A column of the register's list page."""

    label: str
    value: Callable[[Any], Any]


# Up to `limit` active records matching a search, as (id, label), and how many matched.
Search = Callable[[AsyncSession, str, int], Awaitable[tuple[list[tuple[str, str]], int]]]


@dataclass(frozen=True)
class Picker:
    """Search-then-pick for a field whose choices are too many to list (50,000 people)."""

    search: Search
    labels: Callable[[AsyncSession, Sequence[int]], Awaitable[dict[int, str]]]
    prompt: str = "Søk etter navn eller e-postadresse"
    limit: int = 50


@dataclass(frozen=True)
class FormField:
    """A field of the register's form page; `name` is the Struct field it fills."""

    name: str
    label: str
    kind: str = "text"  # text, textarea, email, number, date, select, pick, checkboxes
    hint: str = ""
    options: Options | None = None
    autocomplete: str = ""
    pick: Picker | None = None  # for kind "pick"


@dataclass(frozen=True)
class Register:
    slug: str
    title: str
    singular: str
    model: type[Base]
    create: type[msgspec.Struct]
    update: type[msgspec.Struct]
    read: type[msgspec.Struct]
    search: Sequence[InstrumentedAttribute[Any]]
    order_by: Sequence[Any]
    columns: Sequence[Column]
    fields: Sequence[FormField]
    rules: Sequence[Rule] = ()
    unique: Sequence[Unique] = ()
    filters: dict[str, InstrumentedAttribute[Any]] = field(default_factory=dict)
    deactivatable: bool = True
    label: Callable[[Any], str] = str
    # Who may read and who may change the register (see medvirkning.auth.access).
    read_access: dict[str, Any] = field(default_factory=lambda: ADMIN_AND_STEERING)
    write_access: dict[str, Any] = field(default_factory=lambda: ADMIN)
    readable_by: Scope = everything
    # The heading of the form for a new record, where "Ny {singular}" is wrong ("Nytt …").
    new_label: str = ""

    @property
    def new_title(self) -> str:
        return self.new_label or f"Ny {self.singular}"


class ListQuery(msgspec.Struct, frozen=True, kw_only=True):
    q: str = ""
    include_inactive: bool = False
    filters: dict[str, Any] = {}
    limit: int = 50
    offset: int = 0
    total: bool = False  # count every match: a second query, so only when asked


async def options(
    db: AsyncSession,
    model: type[Base],
    label: Callable[[Any], str],
    *criteria: Any,
    order_by: Any,
) -> list[tuple[str, str]]:
    """The choices of a select field: active records of the model, as (id, label)."""
    stmt = select(model).where(model.active.is_(True), *criteria).order_by(order_by)  # type: ignore[attr-defined]
    rows: Any = (await db.scalars(stmt)).unique()
    return [(str(row.id), label(row)) for row in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(
    register: Register, query: ListQuery, user: Principal, base: Select[Any] | None = None
) -> Select[Any]:
    """The records the user may read that match the query (`base`: other columns of them)."""
    stmt = (select(register.model) if base is None else base).where(register.readable_by(user))
    if register.deactivatable and not query.include_inactive:
        stmt = stmt.where(register.model.active.is_(True))  # type: ignore[attr-defined]
    if query.q.strip() and register.search:
        pattern = f"%{_escape_like(query.q.strip())}%"
        stmt = stmt.where(or_(*(col.ilike(pattern, escape="\\") for col in register.search)))
    for name, value in query.filters.items():
        stmt = stmt.where(_matches(register, register.filters[name], value))
    return stmt


def _matches(register: Register, column: Any, value: Any) -> ColumnElement[bool]:
    """The filter's clause; on a column of a link table (a many-to-many field, see
    register_links.py) the records linked to the value."""
    table: Any = register.model.__table__
    if column.table is table:
        return column == value
    link = next(fk.parent for fk in column.table.foreign_keys if fk.column.table is table)
    model: Any = register.model
    return model.id.in_(select(link).where(column == value))


async def list_records(
    db: AsyncSession, register: Register, query: ListQuery, user: Principal
) -> tuple[Sequence[Any], int | None]:
    """A page of the records the user may read; the number of matches only when asked."""
    stmt = _filtered(register, query, user)
    page = stmt.order_by(*register.order_by).limit(query.limit).offset(query.offset)
    if not query.total:
        return (await db.scalars(page)).unique().all(), None
    # The page and the number of all matches in one statement: each row carries the count.
    rows = (await db.execute(page.add_columns(func.count().over()))).unique().all()
    if rows:
        return [record for record, _ in rows], rows[0][1]
    return [], await count_past_the_end(db, register, query, user)


async def count_past_the_end(
    db: AsyncSession, register: Register, query: ListQuery, user: Principal
) -> int:
    """The number of matches when the page holds no row to carry it: none at all, or a page
    past the last."""
    if not query.offset:
        return 0
    matches = _filtered(register, query, user).subquery()
    return await db.scalar(select(func.count()).select_from(matches)) or 0


async def get_record(db: AsyncSession, register: Register, record_id: int) -> Any:
    """A record to change (the route's write rule already allowed the change)."""
    row = await db.get(register.model, record_id)
    if row is None:
        raise NotFound(f"Fant ingen {register.singular} med id {record_id}.")
    return row


async def read_record(db: AsyncSession, register: Register, record_id: int, user: Principal) -> Any:
    """A record to show, if it is in the user's scope."""
    model: Any = register.model
    row = await db.scalar(select(model).where(model.id == record_id, register.readable_by(user)))
    if row is None:
        raise NotFound(f"Fant ingen {register.singular} med id {record_id}.")
    return row


def _values(data: msgspec.Struct) -> Values:
    """The fields the request set (UNSET fields are left as they are); text is trimmed."""
    return {
        name: value.strip() if isinstance(value, str) else value
        for name, value in msgspec.structs.asdict(data).items()
        if value is not msgspec.UNSET
    }


async def _check(db: AsyncSession, register: Register, values: Values, row: Any) -> None:
    errors: list[FieldError] = []
    for rule in register.rules:
        errors.extend(await rule(db, values, row))
    if errors:
        raise InvalidInput(errors=errors)
    for unique in register.unique:
        column = getattr(register.model, unique.column)
        value = values.get(unique.column)
        if value is None:
            continue
        clause = func.lower(column) == value.lower() if unique.ignore_case else column == value
        stmt = select(register.model.id).where(clause)  # type: ignore[attr-defined]
        if row is not None:
            stmt = stmt.where(register.model.id != row.id)  # type: ignore[attr-defined]
        if await db.scalar(stmt.limit(1)) is not None:
            raise Conflict(unique.message, [FieldError(unique.column, unique.message)])


async def _flush(db: AsyncSession, register: Register) -> None:
    try:
        await db.flush()
    except IntegrityError as exc:  # a concurrent request won the race for a unique value
        raise Conflict(
            f"Lagringen av {register.singular} kom i konflikt med en annen endring."
        ) from exc


async def create_record(db: AsyncSession, register: Register, data: msgspec.Struct) -> Any:
    values = _values(data)
    await _check(db, register, values, None)
    row = register.model(**values)
    db.add(row)
    await _flush(db, register)
    return await _reloaded(db, register, row)


class StaleEditRead(ErrorRead, frozen=True):
    current: Any = None  # the record as the other person saved it


class StaleEdit(AppError):
    """The record changed after the user read it: their save would overwrite that change."""

    code = "stale_edit"
    status_code = 409

    def __init__(self, label: str, current: Any = None) -> None:
        super().__init__(
            f"Noen andre har endret {label} mens du redigerte. "
            "Se endringene deres nedenfor, og lagre på nytt."
        )
        self.current = current

    def to_read(self) -> StaleEditRead:
        return StaleEditRead(self.code, self.message, self.errors, current=self.current)


async def claim_version(
    db: AsyncSession, row: Any, seen: str, label: Callable[[Any], str] = str
) -> None:
    """Compare-and-set on `updated_at`: move `row` (any Timestamped model) to a new version
    if it is still at the version `seen`, else refresh it to the other person's version and
    raise StaleEdit naming it by `label(row)`.

    The UPDATE holds the row until the transaction ends, so two saves of one version can
    never both pass."""
    try:
        seen_at = datetime.fromisoformat(seen)
    except ValueError:
        raise BadRequest.for_field("version", "Versjonen er ugyldig. Last siden på nytt.") from None
    if seen_at.tzinfo is None:
        raise BadRequest.for_field("version", "Versjonen er ugyldig. Last siden på nytt.")
    model = type(row)
    claimed = await db.execute(
        update(model)
        .where(model.id == row.id, model.updated_at == seen_at)
        .values(updated_at=max(utcnow(), seen_at + timedelta(microseconds=1)))
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        await db.refresh(row)
        raise StaleEdit(label(row))


async def update_record(
    db: AsyncSession, register: Register, record_id: int, data: msgspec.Struct
) -> Any:
    """Change a record; with a `version` the change is refused if someone saved after it."""
    row = await get_record(db, register, record_id)
    changes = _values(data)
    seen = changes.pop("version", None)
    if seen is not None:
        try:
            await claim_version(db, row, seen, register.label)
        except StaleEdit as stale:
            stale.current = to_read(register, row)
            raise
    after = {name: getattr(row, name) for name in register.create.__struct_fields__} | changes
    await _check(db, register, after, row)
    for name, value in changes.items():
        setattr(row, name, value)
    await _flush(db, register)
    return await _reloaded(db, register, row)


async def set_active(db: AsyncSession, register: Register, record_id: int, active: bool) -> Any:
    row = await get_record(db, register, record_id)
    row.active = active
    await db.flush()
    return await _reloaded(db, register, row)


async def _reloaded(db: AsyncSession, register: Register, row: Any) -> Any:
    """The row as stored, with its linked records loaded for the response."""
    return await db.get(register.model, row.id, populate_existing=True)


def to_read(register: Register, row: Any) -> Any:
    return msgspec.convert(row, register.read, from_attributes=True)


async def must_exist(
    db: AsyncSession, model: type[Base], values: Values, before: Any, field_name: str, message: str
) -> list[FieldError]:
    """A rule: a newly given id names an active record of the model (kept links stay valid)."""
    record_id = values.get(field_name)
    if record_id is None or (before is not None and getattr(before, field_name) == record_id):
        return []
    row = await db.get(model, record_id)
    if row is None or not getattr(row, "active", True):
        return [FieldError(field_name, message)]
    return []
