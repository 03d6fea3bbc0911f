"""Sign-in and sign-out pages, who am I, and the admin's API tokens."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie, State
from litestar.middleware.csrf import generate_csrf_token
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from medvirkning.auth import services
from medvirkning.auth.access import ADMIN, EVERYONE, OPEN, Principal
from medvirkning.auth.middleware import SESSION_COOKIE, session_cookie
from medvirkning.auth.models import ApiToken, Role
from medvirkning.auth.next_page import NEXT_COOKIE, safe_next
from medvirkning.db import Db
from medvirkning.errors import AppError, InvalidInput, NotFound
from medvirkning.formats import OSLO
from medvirkning.region.models import Municipality, Organisation
from medvirkning.region.registers import UNIONS, municipality_options, union_options
from medvirkning.schema import Id, Name, Ref, Struct
from medvirkning.web import struct_from_form

# --- sign-in ---------------------------------------------------------------------------


@get("/logg-inn", opt=OPEN, include_in_schema=False)
async def sign_in_page(request: Request[Any, Any, Any]) -> Template:
    return Template("auth/sign_in.html", context={"email": "", "error": None})


@post("/logg-inn", opt=OPEN, include_in_schema=False)
async def ask_for_link(
    request: Request[Any, Any, Any], db: Db, state: State, data: URLEncodedBody[dict[str, Any]]
) -> Template:
    email = str(data.get("email", "")).strip()
    if "@" not in email:
        error = InvalidInput.for_field(
            "email", "Skriv e-postadressen din, for eksempel navn@kommune.no."
        )
        return Template(
            "auth/sign_in.html", context={"email": email, "error": error}, status_code=422
        )
    client = request.client.host if request.client else "unknown"
    try:
        await services.request_sign_in_link(db, state.settings, email, client)
    except services.TooManyAttempts as error:
        await db.rollback()
        return Template(
            "auth/sign_in.html", context={"email": email, "error": error}, status_code=429
        )
    # The same answer whether the address is known or not.
    return Template(
        "auth/sign_in_sent.html", context={"minutes": state.settings.sign_in_link_minutes}
    )


@get("/logg-inn/{token:str}", opt=OPEN, include_in_schema=False)
async def confirm_page(db: Db, token: FromPath[str]) -> Template:
    # Mail scanners follow links: looking at the link spends nothing, the button does.
    try:
        await services.check_sign_in_link(db, token)
    except services.LinkNotValid as error:
        return Template("auth/link_invalid.html", context={"error": error}, status_code=410)
    return Template("auth/sign_in_confirm.html", context={"token": token})


@post("/logg-inn/{token:str}", opt=OPEN, include_in_schema=False)
async def use_link(
    request: Request[Any, Any, Any], db: Db, state: State, token: FromPath[str]
) -> Response[Any]:
    try:
        _, secret = await services.use_sign_in_link(db, token)
    except services.LinkNotValid as error:
        return Template("auth/link_invalid.html", context={"error": error}, status_code=410)
    settings = state.settings
    # A new session gets a new CSRF token too: one planted before sign-in is worth nothing.
    csrf = Cookie(
        key="csrftoken",
        value=generate_csrf_token(settings.secret_key),
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    # Back to the page sign-in stopped them at, if it is one of ours.
    response = Redirect(
        safe_next(request.cookies.get(NEXT_COOKIE)),
        status_code=303,
        cookies=[session_cookie(settings, secret), csrf],
    )
    response.delete_cookie(NEXT_COOKIE, path="/logg-inn")
    return response


@post("/logg-ut", opt=EVERYONE, include_in_schema=False)
async def sign_out(request: Request[Principal, Any, Any], db: Db) -> Redirect:
    await services.end_session(db, request.user)
    response = Redirect("/logg-inn?utlogget=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class MeRead(msgspec.Struct, frozen=True):
    label: str
    roles: list[Role]
    person_id: int | None


@get("/api/me", opt=EVERYONE, tags=["Innlogging"], summary="Hvem er jeg")
async def me(request: Request[Principal, Any, Any]) -> MeRead:
    user = request.user
    return MeRead(user.label, sorted(user.roles), user.person_id)


# --- API tokens ------------------------------------------------------------------------


class ApiTokenCreate(Struct):
    name: Name
    role: Role
    union_id: Id | None = None
    municipality_id: Id | None = None
    expires_on: date | None = None  # the last day it works (Norwegian time); none: no end


class ApiTokenRead(msgspec.Struct, frozen=True):
    id: int
    name: str
    role: Role
    union_id: int | None
    municipality_id: int | None
    created_by: Ref | None
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None
    works: bool  # not revoked, not expired, and its creator still an active admin


class ApiTokenCreated(msgspec.Struct, frozen=True):
    token: ApiTokenRead
    secret: str


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _read(token: ApiToken, works: bool) -> ApiTokenRead:
    creator = token.created_by
    return ApiTokenRead(
        token.id,
        token.name,
        token.role,
        token.union_id,
        token.municipality_id,
        Ref(creator.id, creator.name) if creator else None,
        token.created_at.isoformat(),
        _iso(token.expires_at),
        _iso(token.revoked_at),
        _iso(token.last_used_at),
        works,
    )


async def _check_scope(db: Db, data: ApiTokenCreate) -> None:
    """A union representative's token names an existing union (and maybe municipality)."""
    if data.role != Role.UNION_REP:
        if data.union_id is not None or data.municipality_id is not None:
            raise InvalidInput.for_field(
                "union_id", "Bare en tillitsvalgt-nøkkel har fagforening og kommune."
            )
        return
    union = await db.get(Organisation, data.union_id) if data.union_id else None
    if union is None or not union.active or union.kind not in UNIONS:
        raise InvalidInput.for_field("union_id", "En tillitsvalgt-nøkkel må ha en fagforening.")
    if data.municipality_id is not None:
        municipality = await db.get(Municipality, data.municipality_id)
        if municipality is None or not municipality.active:
            raise InvalidInput.for_field("municipality_id", "Velg en kommune som finnes.")


async def _create(db: Db, user: Principal, data: ApiTokenCreate) -> tuple[ApiToken, str]:
    await _check_scope(db, data)
    expires_at = None
    if data.expires_on is not None:
        today = datetime.now(OSLO).date()
        if data.expires_on < today:
            raise InvalidInput.for_field("expires_on", "Utløpsdatoen kan ikke være passert.")
        if data.expires_on > today + timedelta(days=3653):
            raise InvalidInput.for_field("expires_on", "Utløpsdatoen kan ligge høyst ti år fram.")
        # Works through the whole last day, Norwegian time.
        expires_at = datetime.combine(data.expires_on + timedelta(days=1), time(), OSLO)
    return await services.create_api_token(
        db,
        data.name.strip(),
        data.role,
        await services.token_creator(db, user),
        data.union_id,
        data.municipality_id,
        expires_at,
    )


async def _token(db: Db, token_id: int) -> ApiToken:
    token = await db.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"Fant ingen API-nøkkel med id {token_id}.")
    return token


@get("/api/api-tokens", opt=ADMIN, tags=["API-nøkler"], summary="List API-nøkler")
async def list_tokens_api(db: Db) -> list[ApiTokenRead]:
    return [_read(*row) for row in await services.list_api_tokens(db)]


@post(
    "/api/api-tokens", opt=ADMIN, tags=["API-nøkler"], summary="Lag en API-nøkkel (vises én gang)"
)
async def create_token_api(
    request: Request[Principal, Any, Any], db: Db, data: JSONBody[ApiTokenCreate]
) -> ApiTokenCreated:
    token, secret = await _create(db, request.user, data)
    return ApiTokenCreated(_read(token, True), secret)


@post(
    "/api/api-tokens/{token_id:int}/revoke",
    opt=ADMIN,
    tags=["API-nøkler"],
    status_code=200,
    summary="Trekk tilbake en API-nøkkel",
)
async def revoke_token_api(db: Db, token_id: FromPath[int]) -> ApiTokenRead:
    token = await _token(db, token_id)
    await services.revoke_api_token(db, token)
    return _read(token, False)


async def _page(
    db: Db,
    error: AppError | None = None,
    values: dict[str, Any] | None = None,
    secret: str | None = None,
) -> Template:
    return Template(
        "auth/api_tokens.html",
        status_code=error.status_code if error else 200,
        context={
            "tokens": await services.list_api_tokens(db),
            "roles": Role.options(),
            "unions": await union_options(db),
            "municipalities": await municipality_options(db),
            "error": error,
            "values": values or {},
            "secret": secret,
        },
    )


@get("/admin/api-tokens", opt=ADMIN, include_in_schema=False)
async def tokens_page(db: Db) -> Template:
    return await _page(db)


@post("/admin/api-tokens", opt=ADMIN, include_in_schema=False)
async def create_token_page(
    request: Request[Principal, Any, Any], db: Db, data: URLEncodedBody[dict[str, Any]]
) -> Template:
    try:
        payload = struct_from_form(
            ApiTokenCreate, data, ["name", "role", "union_id", "municipality_id", "expires_on"]
        )
        assert isinstance(payload, ApiTokenCreate)
        _, secret = await _create(db, request.user, payload)
    except AppError as error:
        await db.rollback()
        return await _page(db, error=error, values=data)
    return await _page(db, secret=secret)


@post("/admin/api-tokens/{token_id:int}/revoke", opt=ADMIN, include_in_schema=False)
async def revoke_token_page(db: Db, token_id: FromPath[int]) -> Redirect:
    await services.revoke_api_token(db, await _token(db, token_id))
    return Redirect("/admin/api-tokens", status_code=303)


auth_router = Router(
    path="/",
    route_handlers=[
        sign_in_page,
        ask_for_link,
        confirm_page,
        use_link,
        sign_out,
        me,
        list_tokens_api,
        create_token_api,
        revoke_token_api,
        tokens_page,
        create_token_page,
        revoke_token_page,
    ],
)
