"""What every page shares: the template engine, Norwegian formats, and reading forms."""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import msgspec
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import SIGNED_IN, Principal, is_allowed
from medvirkning.auth.models import Role
from medvirkning.choices import Choice
from medvirkning.errors import AppError, FieldError, InvalidInput, translate_validation_message
from medvirkning.formats import date_no, datetime_no, number_no, time_no

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# The menu: (address, title, who may see it), in order.
MENU: list[tuple[str, str, Any]] = [
    ("/moter", "Mine møter", SIGNED_IN),
    ("/admin/meetings", "Møter", frozenset({Role.ADMIN})),
    ("/admin/surveys", "Undersøkelser", frozenset({Role.ADMIN, Role.STEERING})),
    ("/droftinger", "Drøftinger", frozenset({Role.ADMIN, Role.STEERING, Role.UNION_REP})),
    ("/admin/municipalities", "Kommuner", SIGNED_IN),
    ("/admin/organisations", "Organisasjoner", SIGNED_IN),
    ("/admin/people", "Personer", frozenset({Role.ADMIN})),
    ("/admin/groups", "Grupper", frozenset({Role.ADMIN, Role.STEERING})),
    ("/admin/phases", "Faser", SIGNED_IN),
    ("/admin/milestones", "Milepæler", SIGNED_IN),
    ("/admin/risk-factors", "Risikofaktorer", SIGNED_IN),
    ("/admin/inputs", "Innspill", frozenset({Role.ADMIN, Role.STEERING})),
    ("/innspill", "Dere sa, vi gjorde", SIGNED_IN),
    ("/admin/decisions", "Vedtak", SIGNED_IN),
    (
        "/admin/learning-points",
        "Læringspunkter",
        frozenset({Role.ADMIN, Role.STEERING, Role.MEMBER}),
    ),
    ("/forankring", "Forankring", frozenset({Role.ADMIN, Role.STEERING})),
    ("/admin/themes", "Temaer", frozenset({Role.ADMIN})),
    ("/admin/role-grants", "Roller", frozenset({Role.ADMIN})),
    ("/admin/audit", "Revisjonslogg", frozenset({Role.ADMIN})),
    ("/admin/outbox", "E-post", frozenset({Role.ADMIN})),
    ("/admin/api-tokens", "API-nøkler", frozenset({Role.ADMIN})),
]


def menu_for(user: Principal | None) -> list[tuple[str, str]]:
    return [(href, title) for href, title, rule in MENU if user and is_allowed(rule, user)]


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    def configure(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.filters.update(
            date_no=date_no, time_no=time_no, datetime_no=datetime_no, number_no=number_no
        )
        env.globals.update(menu_for=menu_for)
        env.autoescape = True
        env.auto_reload = False  # templates change with a deploy: no stat of each file a page

    return TemplateConfig(
        directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=configure
    )


def _args(annotation: Any) -> tuple[Any, ...]:
    """The members of a union, unwrapping Annotated."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return tuple(a for arg in typing.get_args(annotation) for a in _args(arg))
    return (annotation,)


def allows_none(annotation: Any) -> bool:
    return type(None) in _args(annotation)


def choice_of(annotation: Any) -> type[Choice] | None:
    for arg in _args(annotation):
        if isinstance(arg, type) and issubclass(arg, Choice):
            return arg
    return None


@functools.cache
def struct_fields(target: type[msgspec.Struct]) -> dict[str, msgspec.structs.FieldInfo]:
    """A Struct's fields by name (msgspec evaluates the annotations anew on every call)."""
    return {f.name: f for f in msgspec.structs.fields(target)}


def _is_list(annotation: Any) -> bool:
    return any(typing.get_origin(arg) is list for arg in _args(annotation))


def struct_from_form(
    target: type[msgspec.Struct], form: Mapping[str, Any], names: list[str]
) -> Any:
    """Read the named form fields into the Struct, reporting every bad field at once.

    A list field takes every value the form sent under its name (ticked boxes)."""
    fields = struct_fields(target)
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name in names:
        if name not in fields:
            continue
        annotation = fields[name].type
        raw = form.get(name, "")
        if _is_list(annotation):
            items = raw if isinstance(raw, list) else [raw]
            raw = [i.strip() if isinstance(i, str) else i for i in items if i not in ("", None)]
        else:
            raw = (raw[-1] if isinstance(raw, list) else str(raw)).strip()
        if raw == "" and allows_none(annotation):
            values[name] = None
            continue
        if raw in ("", []) and fields[name].default not in (msgspec.NODEFAULT, msgspec.UNSET):
            continue  # left empty: the Struct's default applies
        try:
            values[name] = msgspec.convert(raw, annotation, strict=False)
        except msgspec.ValidationError as exc:
            error = translate_validation_message(str(exc), name)
            message = "Feltet må fylles ut." if raw == "" else error.message
            errors.append(FieldError(name, message))
    if errors:
        raise InvalidInput(errors=errors)
    try:
        return msgspec.convert(values, target, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidInput(errors=[translate_validation_message(str(exc))]) from None


async def attempt(db: AsyncSession, action: Callable[[], Awaitable[Any]]) -> AppError | None:
    """Run a use case for a form; if it is refused, undo what it wrote, so the form can be
    shown again with the errors, and the request's transaction commits nothing."""
    try:
        await action()
    except AppError as error:
        await db.rollback()
        return error
    return None
