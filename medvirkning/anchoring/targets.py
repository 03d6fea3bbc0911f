"""The targets of the gap rules: each source declares its own with a default; an admin
changes them on one page."""

from __future__ import annotations

from typing import Any

from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.anchoring.models import AnchoringTarget
from medvirkning.anchoring.record import all_targets
from medvirkning.errors import AppError, FieldError, InvalidInput

LARGEST = 3650  # ten years of days: more is a typing error


async def current(db: AsyncSession) -> dict[str, int]:
    stored = dict((await db.execute(select(AnchoringTarget.code, AnchoringTarget.value))).all())
    return {t.code: stored.get(t.code, t.default) for t in all_targets()}


def from_form(data: dict[str, Any], partial: bool = False) -> dict[str, int]:
    """The targets given, checked; every target unless `partial` (the API sets some)."""
    known = {t.code for t in all_targets()}
    unknown = [
        FieldError(code, "Det finnes ikke noe mål med dette navnet.")
        for code in data
        if code not in known and code != "_csrf_token"
    ]
    if unknown:
        raise InvalidInput(errors=unknown)
    values, errors = {}, []
    for target in all_targets():
        if partial and target.code not in data:
            continue
        raw = data.get(target.code, "")
        text = str(raw[-1] if isinstance(raw, list) else raw).strip()
        if not text.isdigit() or not 0 <= int(text) <= LARGEST:
            message = f"Skriv et helt tall fra 0 til {LARGEST}, for eksempel {target.default}."
            errors.append(FieldError(target.code, message))
        else:
            values[target.code] = int(text)
    if errors:
        raise InvalidInput(errors=errors)
    return values


async def set_targets(db: AsyncSession, values: dict[str, int]) -> None:
    rows = {row.code: row for row in await db.scalars(select(AnchoringTarget))}
    for code, value in values.items():
        if code in rows:
            rows[code].value = value
        else:
            db.add(AnchoringTarget(code=code, value=value))
    await db.flush()


def form(
    values: dict[str, int],
    typed: dict[str, Any],
    error: AppError | None = None,
    saved: bool = False,
) -> Template:
    shown = {code: typed.get(code, values.get(code, "")) for code in values}
    return Template(
        "anchoring/targets.html",
        context={
            "targets": all_targets(),
            "values": {k: v[-1] if isinstance(v, list) else v for k, v in shown.items()},
            "error": error,
            "errors": {e.field: e.message for e in (error.errors if error else [])},
            "saved": saved,
        },
        status_code=error.status_code if error else 200,
    )
