"""A register's JSON list read as plain rows: only the columns its Read Struct names, and
each linked record's id and name by a join, with no ORM objects made.

Loading 100 people as ORM objects (with their municipality, organisation and union) took
about ten times the work of reading the same columns. A register whose Read has a field
this cannot derive from the model is listed through the ORM as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Integer, Select, and_, bindparam, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from medvirkning.auth.access import Principal
from medvirkning.register import (
    ListQuery,
    Register,
    _filtered,
    count_past_the_end,
    everything,
    list_records,
    to_read,
)
from medvirkning.register_links import LinkedIds


@dataclass(frozen=True)
class RowPlan:
    """The statement's columns, and where in a row each field of the Read Struct is."""

    columns: tuple[Any, ...]
    joins: tuple[tuple[Any, Any], ...]  # (aliased linked model, ON clause), outer joins
    plain: tuple[tuple[str, int], ...]  # a column as it is
    links: tuple[tuple[str, int], ...]  # a linked record: its id here, its name next
    version: int | None  # updated_at, shown as `version`
    read_list: Any  # list[register.read], for one msgspec.convert call
    # Many-to-many fields (register_links.LinkedIds): one more statement each, for the page.
    linked: tuple[LinkedIds, ...] = ()

    def values(self, row: Sequence[Any]) -> dict[str, Any]:
        item = {name: row[at] for name, at in self.plain}
        for name, at in self.links:
            item[name] = None if row[at] is None else {"id": row[at], "name": row[at + 1]}
        if self.version is not None:
            item["version"] = row[self.version].isoformat()
        return item


def _linked_fields(model: Any) -> dict[str, LinkedIds]:
    """The model's many-to-many fields, by the Read fields they give (ids and records)."""
    fields: dict[str, LinkedIds] = {}
    for klass in model.__mro__:
        for name, value in vars(klass).items():
            if isinstance(value, LinkedIds):
                fields[name] = value
                if value.records:
                    fields[value.records] = value
    return fields


async def _add_linked(
    db: AsyncSession, register: Register, plan: RowPlan, items: list[dict[str, Any]]
) -> None:
    """Each item's linked ids (sorted) and records (by name), in one statement per field."""
    model: Any = register.model
    ids = [item["id"] for item in items]
    for linked in plan.linked:
        link = linked.link_model(model)
        table = model.__table__
        parent = next(fk.parent for fk in link.__table__.foreign_keys if fk.column.table is table)
        key = getattr(link, linked.key)
        target: Any = inspect(link).relationships[linked.target(model)].mapper.class_
        found: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
        if ids:
            stmt = select(parent, key, target.name).join(target, target.id == key)
            for owner, linked_id, name in await db.execute(stmt.where(parent.in_(ids))):
                found[owner].append((linked_id, name))
        for item in items:
            pairs = found[item["id"]]
            item[linked.name] = sorted(i for i, _ in pairs)
            if linked.records:
                by_name = sorted(pairs, key=lambda pair: pair[1])
                item[linked.records] = [{"id": i, "name": n} for i, n in by_name]


def _plan(register: Register) -> RowPlan | None:
    model: Any = register.model
    mapper = inspect(model)
    columns: list[Any] = []
    joins: list[tuple[Any, Any]] = []
    plain: list[tuple[str, int]] = []
    links: list[tuple[str, int]] = []
    version = None
    linked_fields = _linked_fields(model)
    linked: list[LinkedIds] = []
    for name in register.read.__struct_fields__:
        if name in linked_fields:
            if linked_fields[name] not in linked:
                linked.append(linked_fields[name])
        elif name == "version" and "updated_at" in mapper.columns:
            version = len(columns)
            columns.append(model.updated_at)
        elif name in mapper.column_attrs:
            plain.append((name, len(columns)))
            columns.append(getattr(model, name))
        elif name in mapper.relationships:
            relation = mapper.relationships[name]
            if relation.uselist or "name" not in relation.mapper.columns:
                return None
            target: Any = aliased(relation.mapper.class_, name=f"linked_{name}")
            on = and_(
                *(
                    getattr(model, mine.key) == getattr(target, theirs.key)
                    for mine, theirs in relation.local_remote_pairs
                )
            )
            joins.append((target, on))
            links.append((name, len(columns)))
            columns += [target.id, target.name]
        else:
            return None
    read_list = list[register.read]  # type: ignore[name-defined]
    if linked and "id" not in dict(plain):
        return None
    return RowPlan(
        tuple(columns), tuple(joins), tuple(plain), tuple(links), version, read_list, tuple(linked)
    )


_PLANS: dict[str, RowPlan | None] = {}


def plan_for(register: Register) -> RowPlan | None:
    if register.slug not in _PLANS:
        _PLANS[register.slug] = _plan(register)
    return _PLANS[register.slug]


def _statement(register: Register, plan: RowPlan) -> Select[Any]:
    stmt = select(*plan.columns).select_from(register.model)
    for target, on in plan.joins:
        stmt = stmt.outerjoin(target, on)
    return stmt


_PAGES: dict[tuple[str, bool], Select[Any]] = {}


def _page(register: Register, plan: RowPlan, query: ListQuery, user: Principal) -> Select[Any]:
    """The page's statement, with limit and offset bound at execution; built once for a
    register everyone reads whole and a list neither searched nor filtered."""
    key = (register.slug, query.include_inactive)
    common = register.readable_by is everything and not query.q.strip() and not query.filters
    if common and key in _PAGES:
        return _PAGES[key]
    stmt = (
        _filtered(register, query, user, _statement(register, plan))
        .order_by(*register.order_by)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    if common:
        _PAGES[key] = stmt
    return stmt


async def list_reads(
    db: AsyncSession, register: Register, query: ListQuery, user: Principal
) -> tuple[list[Any], int | None]:
    """A page of the records the user may read as Read Structs; the total only when asked."""
    plan = plan_for(register)
    if plan is None:
        rows, total = await list_records(db, register, query, user)
        return [to_read(register, row) for row in rows], total
    page = _page(register, plan, query, user)
    if query.total:  # the number of all matches with the page: each row carries it, last
        page = page.add_columns(func.count().over())
    # Through the connection: the columns are read as rows, without the ORM's result setup.
    connection = await db.connection()
    rows = (await connection.execute(page, {"limit": query.limit, "offset": query.offset})).all()
    values = [plan.values(row) for row in rows]
    total = None
    if query.total:
        total = rows[0][-1] if rows else await count_past_the_end(db, register, query, user)
    if plan.linked:
        await _add_linked(db, register, plan, values)
    return msgspec.convert(values, plan.read_list), total
