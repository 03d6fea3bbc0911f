"""A many-to-many field of a register: a record's links to records of another register,
read and written as a list of their ids (a decision's municipalities).

The links are rows of a mapped link model, so the audit log records each one added or
removed. One field needs four parts, all here: `LinkedIds` on the model, `must_all_exist`
as a rule, the link model's column as a filter (see `register._matches`), and a form
field of kind "checkboxes".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session

from medvirkning.db import Base, utcnow
from medvirkning.errors import FieldError


class LinkedIds:
    """The ids a record is linked to, through `links` (a relationship to the link model with
    cascade "all, delete-orphan") and the link model's column `key`.

    Setting it adds and removes link rows, collapses duplicates, and moves the record's
    version on: its own columns may not change, but what it says has."""

    def __init__(self, links: str, key: str, records: str = "") -> None:
        self.links = links
        self.key = key
        # The model's attribute with the linked records themselves (see `records_of`).
        self.records = records
        self.name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    def __get__(self, record: Any, owner: Any = None) -> Any:
        if record is None:
            return self
        return sorted(getattr(link, self.key) for link in getattr(record, self.links))

    def link_model(self, owner: type[Any]) -> Any:
        return inspect(owner).relationships[self.links].mapper.class_

    def target(self, owner: type[Any]) -> str:
        """The link model's relationship to the linked record (by the `key` column)."""
        relationships = inspect(self.link_model(owner)).relationships
        return next(r.key for r in relationships if self.key in {c.key for c in r.local_columns})

    def records_of(self, record: Any) -> list[Any]:
        """The linked records, by name: what the Read's list of {id, name} shows."""
        target = self.target(type(record))
        linked = (getattr(link, target) for link in getattr(record, self.links))
        return sorted(linked, key=lambda r: r.name)

    def __set__(self, record: Any, ids: Iterable[int]) -> None:
        wanted = list(dict.fromkeys(ids))
        current = list(getattr(record, self.links))
        kept = [link for link in current if getattr(link, self.key) in wanted]
        have = {getattr(link, self.key) for link in kept}
        link_model = self.link_model(type(record))
        added = [link_model(**{self.key: i}) for i in wanted if i not in have]
        if not added and len(kept) == len(current):
            return
        # Deleted by name, not left as orphans, so the audit log sees each removal.
        session = object_session(record)
        if session is not None:
            for link in current:
                if link not in kept:
                    session.delete(link)
        setattr(record, self.links, kept + added)
        if hasattr(record, "updated_at") and inspect(record).persistent:
            record.updated_at = utcnow()


def as_ids(value: Any) -> set[int]:
    """Ticked boxes as a set of ids, however the form or record gave them: one id alone
    comes from a form as a string, several as a list (compared as numbers, never as text)."""
    items = value if isinstance(value, list | tuple | set) else [value]
    return {int(i) for i in items if str(i).strip().isdigit()}


async def must_all_exist(
    db: AsyncSession,
    model: type[Base],
    values: dict[str, Any],
    before: Any,
    field_name: str,
    message: str,
    empty_message: str,
) -> list[FieldError]:
    """A rule: the list names at least one record, and every newly given id an active record
    of the model (links kept from before stay valid)."""
    ids = values.get(field_name)
    if ids is None:
        return []
    if not ids:
        return [FieldError(field_name, empty_message)]
    new = set(ids) - set(getattr(before, field_name) if before is not None else ())
    if not new:
        return []
    table: Any = model
    found = set(await db.scalars(select(table.id).where(table.id.in_(new), table.active.is_(True))))
    return [FieldError(field_name, message)] if new - found else []
