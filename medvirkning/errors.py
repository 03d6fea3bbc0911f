"""One error base with a stable code, an HTTP status and a Norwegian message, and its handlers."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError

from medvirkning.auth.next_page import remember_page
from medvirkning.schema import PATTERN_MESSAGES
from medvirkning.security import redact


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class ErrorRead(msgspec.Struct, frozen=True):
    code: str
    message: str
    errors: list[FieldError] = []


class AppError(Exception):
    """A domain error: the request is refused and nothing is written."""

    code = "error"
    status_code = 400
    message = "Forespørselen kunne ikke utføres."

    def __init__(self, message: str | None = None, errors: list[FieldError] | None = None) -> None:
        self.message = message or type(self).message
        self.errors = errors or []
        super().__init__(self.message)

    @classmethod
    def for_field(cls, field: str, message: str) -> AppError:
        return cls(message, [FieldError(field, message)])

    def to_read(self) -> ErrorRead:
        return ErrorRead(self.code, self.message, self.errors)


class BadRequest(AppError):
    code = "bad_request"
    status_code = 400
    message = "Forespørselen er ikke gyldig."


class InvalidInput(AppError):
    code = "invalid_input"
    status_code = 422
    message = "Noen felt har ugyldige verdier."


class Conflict(AppError):
    code = "conflict"
    status_code = 409
    message = "Det finnes allerede en oppføring med denne verdien."


class NotFound(AppError):
    code = "not_found"
    status_code = 404
    message = "Fant ikke det du ba om."


class UnsupportedMediaType(AppError):
    code = "unsupported_media_type"
    status_code = 415
    message = "API-et tar bare imot JSON: send Content-Type: application/json."


class Forbidden(AppError):
    code = "forbidden"
    status_code = 403
    message = "Du har ikke tilgang til dette."


# msgspec's English messages, rendered in Norwegian.
_MSGSPEC_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Object contains unknown field `(?P<f>[^`]+)`"), "Ukjent felt."),
    (re.compile(r"Object missing required field `(?P<f>[^`]+)`"), "Feltet må fylles ut."),
    (re.compile(r"Expected `str` of length >= 1"), "Feltet må fylles ut."),
    (re.compile(r"Expected `str` of length <= (?P<n>\d+)"), "Teksten kan være høyst {n} tegn."),
    (re.compile(r"Expected `str` matching regex"), "Verdien har feil format."),
    (re.compile(r"Expected `int` >= (?P<n>-?\d+)"), "Tallet må være minst {n}."),
    (re.compile(r"Expected `int` <= (?P<n>-?\d+)"), "Tallet kan være høyst {n}."),
    (re.compile(r"Invalid enum value"), "Verdien er ikke et av de tillatte valgene."),
    (re.compile(r"Invalid (RFC 3339 encoded )?date"), "Datoen må skrives som ÅÅÅÅ-MM-DD."),
    (re.compile(r"Expected `int`"), "Verdien må være et heltall."),
    (re.compile(r"Expected `str`"), "Verdien må være tekst."),
    (re.compile(r"Expected `bool`"), "Verdien må være sann eller usann."),
    (re.compile(r"Expected `date`"), "Datoen må skrives som ÅÅÅÅ-MM-DD."),
    (re.compile(r"Expected `object`"), "Forventet et JSON-objekt."),
    (
        re.compile(r"JSON is malformed: .*\(byte (?P<n>\d+)\)"),
        "Forespørselen er ikke gyldig JSON: feil ved byte {n}.",
    ),
    (
        re.compile(r"Input data was truncated"),
        "Forespørselen er ikke gyldig JSON: den slutter for tidlig.",
    ),
    (re.compile(r"JSON is malformed"), "Forespørselen er ikke gyldig JSON."),
]
_PATH = re.compile(r"at `\$(?:\.(?P<f>[\w.\[\]]+))?`")


def translate_validation_message(text: str, key: str | None = None) -> FieldError:
    """Turn a msgspec/Litestar validation message into a Norwegian message with the field named."""
    field = "" if key in (None, "data") else key.removeprefix("data.")
    if path := _PATH.search(text):
        field = path.group("f") or field
    for regex, norwegian in PATTERN_MESSAGES.items():
        if "matching regex" in text and repr(regex) in text:
            return FieldError(field or "body", norwegian)
    for pattern, norwegian in _MSGSPEC_MESSAGES:
        if match := pattern.search(text):
            groups = match.groupdict()
            if groups.get("f"):
                field = f"{field}.{groups['f']}" if field and field != groups["f"] else groups["f"]
            return FieldError(field or "body", norwegian.format(**groups))
    return FieldError(field or "body", "Ugyldig verdi.")


def from_validation_exception(exc: ValidationException) -> BadRequest:
    extra: Any = exc.extra
    items = extra if isinstance(extra, list) else []
    errors = [
        translate_validation_message(str(item.get("message", "")), item.get("key"))
        for item in items
        if isinstance(item, dict)
    ] or [translate_validation_message(str(exc.detail))]
    return BadRequest(errors=errors)


def wants_json(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith(("/api/", "/schema")) or request.url.path == "/health":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def handle_app_error(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    return _page_or_json(request, exc)


def handle_validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Any]:
    return _page_or_json(request, from_validation_exception(exc))


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code == 400 and _BODY_NOT_JSON.search(str(exc.detail)):
        return _page_or_json(request, BadRequest(errors=[translate_validation_message(exc.detail)]))
    if exc.status_code == 401 and not wants_json(request):
        secure = request.app.state.settings.secure_cookies
        return Redirect("/logg-inn", status_code=303, cookies=remember_page(request, secure))
    error = AppError(_HTTP_MESSAGES.get(exc.status_code, "Forespørselen kunne ikke utføres."))
    error.status_code = exc.status_code
    error.code = _HTTP_CODES.get(exc.status_code, "error")
    return _page_or_json(request, error, headers=exc.headers)


def handle_internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_value_the_database_refused(exc):  # a limit a check above missed: still not a 500
        path = redact(request.url.path)
        request.logger.warning("database refused a value on %s %s", request.method, path)
        return _page_or_json(request, BadRequest(_VALUE_REFUSED))
    path = redact(request.url.path)  # answer and feed links carry secrets
    request.logger.exception("unhandled error on %s %s", request.method, path)
    error = AppError("Noe gikk galt hos oss. Prøv igjen om litt.")
    error.status_code = HTTP_500_INTERNAL_SERVER_ERROR
    error.code = "internal_error"
    return _page_or_json(request, error)


_BODY_NOT_JSON = re.compile(r"JSON is malformed|Input data was truncated")
_VALUE_REFUSED = (
    "Forespørselen har en verdi databasen ikke kan lagre (for stort tall eller ugyldige tegn)."
)


def is_value_the_database_refused(exc: BaseException) -> bool:
    """An integer beyond the column's range, or a NUL byte or bad encoding in text."""
    if isinstance(exc, OverflowError):  # SQLite: "Python int too large to convert"
        return True
    if isinstance(exc, DBAPIError):
        exc = exc.orig or exc
    # asyncpg: DataError (int32 range), CharacterNotInRepertoireError (NUL), via the adapter.
    cause = getattr(exc, "__cause__", None) or exc
    names = {type(e).__name__ for e in (exc, cause)}
    return bool(names & {"DataError", "CharacterNotInRepertoireError", "OverflowError"})


_HTTP_MESSAGES = {
    401: "Du må logge inn.",
    403: "Du har ikke tilgang til dette.",
    404: "Fant ikke siden eller ressursen.",
    405: "Metoden er ikke tillatt her.",
    413: "Forespørselen er for stor.",
    415: "Innholdstypen støttes ikke.",
    429: "For mange forespørsler. Vent litt og prøv igjen.",
    503: "Tjenesten er midlertidig utilgjengelig.",
}
_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


def _page_or_json(
    request: Request[Any, Any, Any], error: AppError, headers: dict[str, str] | None = None
) -> Response[Any]:
    if wants_json(request):
        return Response(
            error.to_read(),
            status_code=error.status_code,
            media_type=MediaType.JSON,
            headers=headers,
        )
    template = request.app.template_engine
    assert template is not None
    html = template.get_template("error.html").render(error=error, request=request)
    return Response(html, status_code=error.status_code, media_type=MediaType.HTML, headers=headers)
