"""The admin pages of a register, built from its description: list, search, form, deactivate."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from medvirkning import register as service
from medvirkning.db import Db
from medvirkning.dependencies import User
from medvirkning.errors import AppError, FieldError
from medvirkning.register import FormField, Register
from medvirkning.register_api import list_query_from
from medvirkning.web import allows_none, choice_of, struct_fields, struct_from_form

PAGE_SIZE = 50


async def _field_views(
    db: Db,
    register: Register,
    values: dict[str, Any],
    errors: list[FieldError],
    editing: bool,
) -> list[dict[str, Any]]:
    create_fields = struct_fields(register.create)
    editable = set(register.update.__struct_fields__) if editing else set(create_fields)
    messages = {e.field: e.message for e in errors}
    views = []
    for field in register.fields:
        info = create_fields[field.name]
        views.append(
            {
                "field": field,
                "value": _as_text(values.get(field.name)),
                "error": messages.get(field.name, ""),
                "required": info.required and not allows_none(info.type),
                "readonly": field.name not in editable,
                "options": await _options(db, field, info.type),
            }
        )
    return views


async def _options(db: Db, field: FormField, annotation: Any) -> list[tuple[str, str]]:
    if field.options is not None:
        return await field.options(db)
    choice = choice_of(annotation)
    return choice.options() if choice else []


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _record_values(register: Register, row: Any) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in register.fields}


def page_router(register: Register) -> Router:
    names = [f.name for f in register.fields]

    async def form_page(
        db: Db,
        row: Any,
        values: dict[str, Any],
        error: AppError | None = None,
        saved: bool = False,
    ) -> Template:
        errors = error.errors if error else []
        return Template(
            "register/form.html",
            context={
                "register": register,
                "record": row,
                "fields": await _field_views(db, register, values, errors, row is not None),
                "error": error,
                "saved": saved,
            },
            status_code=error.status_code if error else 200,
        )

    @get("/", name=f"{register.slug}_list", opt=register.read_access)
    async def list_page(
        request: Request[Any, Any, Any],
        db: Db,
        user: User,
        q: FromQuery[str] = "",
        include_inactive: FromQuery[bool] = False,
        page: FromQuery[int] = 1,
    ) -> Template:
        page = max(page, 1)
        query = list_query_from(
            register, request, q, include_inactive, PAGE_SIZE, (page - 1) * PAGE_SIZE, total=True
        )
        rows, count = await service.list_records(db, register, query, user)
        total = count or 0  # asked for: the page says "N treff"
        return Template(
            "register/list.html",
            context={
                "register": register,
                "rows": rows,
                "total": total,
                "q": q,
                "include_inactive": include_inactive,
                "page": page,
                "pages": max(1, -(-total // PAGE_SIZE)),
                "filters": query.filters,
            },
        )

    @get("/new", name=f"{register.slug}_new", opt=register.write_access)
    async def new_page(request: Request[Any, Any, Any], db: Db) -> Template:
        # Defaults first; links may prefill a field, like a group's "add member" link.
        defaults = {
            name: f.default
            for name, f in struct_fields(register.create).items()
            if f.default is not msgspec.NODEFAULT
        }
        given = {n: request.query_params[n] for n in names if n in request.query_params}
        return await form_page(db, None, defaults | given)

    @post("/new", name=f"{register.slug}_create", opt=register.write_access)
    async def create(db: Db, data: URLEncodedBody[dict[str, Any]]) -> Template | Redirect:
        try:
            payload = struct_from_form(register.create, data, names)
            row = await service.create_record(db, register, payload)
        except AppError as error:
            await db.rollback()
            return await form_page(db, None, data, error)
        return Redirect(f"/admin/{register.slug}/{row.id}?saved=1", status_code=303)

    @get("/{record_id:int}", name=f"{register.slug}_edit", opt=register.read_access)
    async def edit_page(
        db: Db, user: User, record_id: FromPath[int], saved: FromQuery[bool] = False
    ) -> Template:
        row = await service.read_record(db, register, record_id, user)
        return await form_page(db, row, _record_values(register, row), saved=saved)

    @post("/{record_id:int}", name=f"{register.slug}_update", opt=register.write_access)
    async def update(
        db: Db, record_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
    ) -> Template | Redirect:
        editable = [n for n in names if n in register.update.__struct_fields__]
        try:
            payload = struct_from_form(register.update, data, editable)
            await service.update_record(db, register, record_id, payload)
        except AppError as error:
            await db.rollback()
            row = await service.get_record(db, register, record_id)
            return await form_page(db, row, _record_values(register, row) | dict(data), error)
        return Redirect(f"/admin/{register.slug}/{record_id}?saved=1", status_code=303)

    handlers: list[Any] = [list_page, new_page, create, edit_page, update]
    if register.deactivatable:

        @post(
            "/{record_id:int}/active", name=f"{register.slug}_set_active", opt=register.write_access
        )
        async def set_active(
            db: Db, record_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
        ) -> Redirect:
            active = data.get("active") == "true"
            await service.set_active(db, register, record_id, active)
            return Redirect(f"/admin/{register.slug}/{record_id}?saved=1", status_code=303)

        handlers.append(set_active)
    return Router(path=f"/admin/{register.slug}", route_handlers=handlers, include_in_schema=False)
