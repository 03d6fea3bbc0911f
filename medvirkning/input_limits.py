"""What any request may carry, checked in one place before a handler runs.

`check_input` is a guard on every route: ids in the path and whole numbers in the query
within what both databases hold, no NUL byte anywhere (PostgreSQL refuses it in text),
query values of a sane length, and JSON bodies that are JSON: the right content type,
UTF-8, and not nested deeper than any of our Structs.
"""

from __future__ import annotations

import re
import weakref
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from medvirkning.errors import BadRequest, FieldError, NotFound, UnsupportedMediaType
from medvirkning.schema import MAX_ID

# PostgreSQL's integer; SQLite's is wider. No row has an id beyond it.
SMALLEST, LARGEST = -(2**31), MAX_ID
MAX_QUERY_VALUE = 1_000
MAX_JSON_DEPTH = 16
_JSON = re.compile(r"^application/(?:[\w.+-]+\+)?json\s*(?:;|$)", re.IGNORECASE)
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")


def within_range(name: str, value: int) -> int:
    """The number, or a 400 naming the parameter when no database column can hold it."""
    if not SMALLEST <= value <= LARGEST:
        message = f"Tallet må være mellom {SMALLEST} og {LARGEST}."
        raise BadRequest(message, [FieldError(name, message)])
    return value


def _refuse(name: str, message: str) -> BadRequest:
    return BadRequest(message, [FieldError(name, message)])


def _check_path(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    if "\x00" in connection.scope["path"]:
        raise NotFound()
    for value in connection.path_params.values():
        if isinstance(value, int) and not SMALLEST <= value <= LARGEST:
            raise NotFound()  # an id no row can have
        if isinstance(value, str) and "\x00" in value:
            raise NotFound()


# Per handler function (the guard sees a fresh copy of the route handler each request).
_INTEGER_NAMES: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _integer_query_names(handler: BaseRouteHandler) -> set[str]:
    found = _INTEGER_NAMES.get(handler.fn)
    if found is None:
        found = _INTEGER_NAMES[handler.fn] = _read_integer_query_names(handler)
    return found


def _read_integer_query_names(handler: BaseRouteHandler) -> set[str]:
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        if field.is_subclass_of(bool) or not (
            field.is_subclass_of(int) or field.has_inner_subclass_of(int)
        ):
            continue
        alias = getattr(field.kwarg_definition, "query", None)
        names.add(alias or name)
    return names


def _check_query(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    integers = _integer_query_names(handler)
    for name, value in connection.query_params.multi_items():
        if "\x00" in value:
            raise _refuse(name, "Verdien kan ikke inneholde NUL-tegn.")
        if len(value) > MAX_QUERY_VALUE:
            raise _refuse(name, f"Verdien kan være høyst {MAX_QUERY_VALUE} tegn.")
        if name in integers and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            within_range(name, int(value))


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest, not counting brackets inside strings."""
    depth = deepest = 0
    for byte in _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", body)):
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _check_json(body: bytes, content_type: str) -> None:
    if not _JSON.match(content_type):
        raise UnsupportedMediaType()
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse("body", f"Forespørselen er ikke gyldig UTF-8 (byte {exc.start}).") from None
    if json_depth(body) > MAX_JSON_DEPTH:
        message = f"JSON-dokumentet er nøstet dypere enn {MAX_JSON_DEPTH} nivåer."
        raise _refuse("body", message)


def _check_form(body: bytes) -> None:
    if b"\x00" not in body and b"%00" not in body:
        return  # no NUL, raw or encoded: nothing to look for field by field
    for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
        if "\x00" in value or "\x00" in name:
            raise _refuse(name.replace("\x00", ""), "Verdien kan ikke inneholde NUL-tegn.")


async def check_input(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """A guard on every route: refuses what no handler or database should see."""
    _check_path(connection)
    _check_query(connection, handler)
    if not isinstance(connection, Request) or connection.method not in ("POST", "PUT", "PATCH"):
        return
    content_type = connection.headers.get("content-type", "")
    takes_data = "data" in handler.parsed_fn_signature.parameters
    if takes_data and connection.scope["path"].startswith("/api/"):
        _check_json(await connection.body(), content_type)
    elif content_type.lower().startswith("application/x-www-form-urlencoded"):
        _check_form(await connection.body())
