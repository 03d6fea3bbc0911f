"""A many-to-many field of a register: a record's links to records of another register,
read and written as a list of their ids (a decision's municipalities).

The links are rows of a mapped link model, so the audit log records each one added or
removed. One field needs four parts, all here: `LinkedIds` on the model, `must_all_exist`
as a rule, the link model's column as a filter (see `register._filtered`), and a form
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

    def __init__(self, links: str, key: str) -> None:
        self.links = links
        self.key = key

    def __get__(self, record: Any, owner: Any = None) -> Any:
        if record is None:
            return self
        return sorted(getattr(link, self.key) for link in getattr(record, self.links))

    def __set__(self, record: Any, ids: Iterable[int]) -> None:
        wanted = list(dict.fromkeys(ids))
        current = list(getattr(record, self.links))
        kept = [link for link in current if getattr(link, self.key) in wanted]
        have = {getattr(link, self.key) for link in kept}
        link_model = inspect(type(record)).relationships[self.links].mapper.class_
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
