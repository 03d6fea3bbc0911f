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
from medvirkning.errors import AppError, BadRequest, FieldError
from medvirkning.register import FormField, Picker, Register, StaleEdit
from medvirkning.register_api import list_query_from
from medvirkning.register_links import as_ids
from medvirkning.web import allows_none, attempt, choice_of, struct_fields, struct_from_form

PAGE_SIZE = 50


async def _field_views(
    db: Db,
    register: Register,
    values: dict[str, Any],
    errors: list[FieldError],
    editing: bool,
    stored: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """What the form shows per field; `stored` holds the other person's values after a
    stale save, shown beside what this user typed where the two differ."""
    create_fields = struct_fields(register.create)
    editable = set(register.update.__struct_fields__) if editing else set(create_fields)
    messages: dict[str, str] = {}
    for error in errors:
        name = error.field.split("[", 1)[0]
        messages[name] = f"{messages[name]} {error.message}" if name in messages else error.message
    views = []
    for field in register.fields:
        info = create_fields[field.name]
        value = _as_text(values.get(field.name))
        choices = await _options(db, field, info.type)
        view = {
            "field": field,
            "value": value,
            "error": messages.get(field.name, ""),
            "required": info.required and not allows_none(info.type),
            "readonly": field.name not in editable,
            "options": choices,
            "stored": None,
        }
        if field.pick is not None:
            view |= await _pick_view(db, field.pick, value, _text(values.get(f"{field.name}__q")))
        if field.kind == "checkboxes":
            view["ticked"] = as_ids(values.get(field.name, []))
        if stored is not None and field.name in editable:
            theirs = _as_text(stored.get(field.name))
            if field.kind == "checkboxes":
                theirs_ticked = as_ids(stored.get(field.name, []))
                if theirs_ticked != view["ticked"]:
                    labels = [label for v, label in choices if int(v) in theirs_ticked]
                    view["stored"] = ", ".join(labels) or "(tomt)"
            elif theirs != value:
                view["stored"] = _shown(theirs, view)
        views.append(view)
    return views


async def _pick_view(db: Db, picker: Picker, value: str, q: str) -> dict[str, Any]:
    chosen = int(value) if value.isdigit() else None
    labels = await picker.labels(db, [chosen]) if chosen else {}
    results, matches = await picker.search(db, q, picker.limit) if q.strip() else ([], 0)
    return {
        "value_label": labels.get(chosen, "") if chosen else "",
        "q": q,
        "results": [(i, label) for i, label in results if i != value],
        "matches": matches,
        "picker": picker,
    }


def _shown(text: str, view: dict[str, Any]) -> str:
    """A stored value as the user would read it: the label of a choice, "(tomt)" for none."""
    if text == "":
        return "(tomt)"
    if view.get("value_label") and text == view["value"]:
        return str(view["value_label"])
    return next((label for value, label in view["options"] if value == text), text)


async def _options(db: Db, field: FormField, annotation: Any) -> list[tuple[str, str]]:
    if field.options is not None:
        return await field.options(db)
    choice = choice_of(annotation)
    return choice.options() if choice else []


def _text(value: Any) -> str:
    return str(value[-1] if isinstance(value, list) else value or "")


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _record_values(register: Register, row: Any) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in register.fields}


def _unticked_too(register: Register, data: dict[str, Any]) -> dict[str, Any]:
    """A form sends nothing for a group of checkboxes left all unticked: that is no ids."""
    boxes: dict[str, Any] = {
        f.name: [] for f in register.fields if f.kind == "checkboxes" and f.name not in data
    }
    return data | boxes


def _searching(data: dict[str, Any]) -> bool:
    """The form's "Søk" button was pressed: show matches, save nothing."""
    return "_search" in data


def page_router(register: Register) -> Router:
    names = [f.name for f in register.fields]
    # A picker's search words may come in the address too: /admin/memberships/new?person_id__q=kari
    query_names = names + [f"{f.name}__q" for f in register.fields if f.pick is not None]

    async def form_page(
        db: Db,
        row: Any,
        values: dict[str, Any],
        error: AppError | None = None,
        saved: bool = False,
        version: str = "",
        stored: dict[str, Any] | None = None,
    ) -> Template:
        errors = error.errors if error else []
        editing = row is not None
        return Template(
            "register/form.html",
            context={
                "register": register,
                "record": row,
                "fields": await _field_views(db, register, values, errors, editing, stored),
                "error": error,
                "saved": saved,
                "version": version,
                "stale": stored is not None,
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
        given = {n: request.query_params[n] for n in query_names if n in request.query_params}
        return await form_page(db, None, defaults | given)

    @post("/new", name=f"{register.slug}_create", opt=register.write_access)
    async def create(db: Db, data: URLEncodedBody[dict[str, Any]]) -> Template | Redirect:
        data = _unticked_too(register, data)
        if _searching(data):
            return await form_page(db, None, data)
        created: list[Any] = []

        async def create_it() -> None:
            payload = struct_from_form(register.create, data, names)
            created.append(await service.create_record(db, register, payload))

        if error := await attempt(db, create_it):
            return await form_page(db, None, data, error)
        return Redirect(f"/admin/{register.slug}/{created[0].id}?saved=1", status_code=303)

    @get("/{record_id:int}", name=f"{register.slug}_edit", opt=register.read_access)
    async def edit_page(
        db: Db, user: User, record_id: FromPath[int], saved: FromQuery[bool] = False
    ) -> Template:
        row = await service.read_record(db, register, record_id, user)
        values = _record_values(register, row)
        return await form_page(db, row, values, saved=saved, version=row.version)

    @post("/{record_id:int}", name=f"{register.slug}_update", opt=register.write_access)
    async def update(
        db: Db, record_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
    ) -> Template | Redirect:
        # The page always sends the version it showed: a save over someone else's is refused.
        data = _unticked_too(register, data)
        editable = [n for n in names if n in register.update.__struct_fields__] + ["version"]
        seen = _text(data.get("version"))
        if _searching(data):
            row = await service.get_record(db, register, record_id)
            return await form_page(db, row, _record_values(register, row) | data, version=seen)
        error = (
            BadRequest("Skjemaet er gammelt. Last siden på nytt, og lagre igjen.")
            if not seen
            else await attempt(
                db,
                lambda: service.update_record(
                    db, register, record_id, struct_from_form(register.update, data, editable)
                ),
            )
        )
        if error is None:
            return Redirect(f"/admin/{register.slug}/{record_id}?saved=1", status_code=303)
        row = await service.get_record(db, register, record_id)
        typed = _record_values(register, row) | data
        if isinstance(error, StaleEdit):
            # Keep what was typed, show what the other person saved, and save over it next time.
            stored = _record_values(register, row)
            return await form_page(db, row, typed, error, version=row.version, stored=stored)
        return await form_page(db, row, typed, error, version=seen)

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
