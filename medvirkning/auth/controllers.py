"""Sign-in and sign-out pages, who am I, and the admin's API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.middleware.csrf import generate_csrf_token
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from medvirkning.auth import services
from medvirkning.auth.access import ADMIN, EVERYONE, OPEN
from medvirkning.auth.middleware import SESSION_COOKIE, session_cookie
from medvirkning.auth.models import ApiToken, Role
from medvirkning.auth.next_page import NEXT_COOKIE, safe_next
from medvirkning.auth.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenRead, MeRead
from medvirkning.auth.tokens import create_token
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings, User
from medvirkning.errors import AppError, InvalidInput, NotFound
from medvirkning.region.registers import municipality_options, union_options
from medvirkning.schema import Ref
from medvirkning.web import attempt, struct_from_form

# --- sign-in ---------------------------------------------------------------------------


@get("/logg-inn", opt=OPEN, include_in_schema=False)
async def sign_in_page(settings: AppSettings, sendt: FromQuery[bool] = False) -> Template:
    if sendt:  # after asking: the same answer whether the address is known or not
        minutes = settings.sign_in_link_minutes
        return Template("auth/sign_in_sent.html", context={"minutes": minutes})
    return Template("auth/sign_in.html", context={"email": "", "error": None})


@post("/logg-inn", opt=OPEN, include_in_schema=False)
async def ask_for_link(
    request: Request[Any, Any, Any],
    db: Db,
    settings: AppSettings,
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    email = str(data.get("email", "")).strip()
    if "@" not in email:
        invalid = InvalidInput.for_field(
            "email", "Skriv e-postadressen din, for eksempel navn@kommune.no."
        )
        return Template(
            "auth/sign_in.html", context={"email": email, "error": invalid}, status_code=422
        )
    client = request.client.host if request.client else "unknown"

    async def ask() -> None:
        await services.request_sign_in_link(db, settings, email, client)

    if error := await attempt(db, ask):
        context = {"email": email, "error": error}
        return Template("auth/sign_in.html", context=context, status_code=error.status_code)
    return Redirect("/logg-inn?sendt=true", status_code=303)


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
    request: Request[Any, Any, Any], db: Db, settings: AppSettings, token: FromPath[str]
) -> Response[Any]:
    try:
        _, secret = await services.use_sign_in_link(db, token)
    except services.LinkNotValid as error:
        return Template("auth/link_invalid.html", context={"error": error}, status_code=410)
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
async def sign_out(db: Db, user: User) -> Redirect:
    await services.end_session(db, user)
    response = Redirect("/logg-inn?utlogget=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@get("/api/me", opt=EVERYONE, tags=["Innlogging"], summary="Hvem er jeg")
async def me(user: User) -> MeRead:
    return MeRead(user.label, sorted(user.roles), user.person_id)


# --- API tokens ------------------------------------------------------------------------


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
async def create_token_api(db: Db, user: User, data: JSONBody[ApiTokenCreate]) -> ApiTokenCreated:
    token, secret = await create_token(db, user, data)
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


# The new secret, shown once on the page the form redirects to: a cookie of that page alone,
# read and deleted there, so a reload neither repeats the creation nor shows it again.
NEW_TOKEN_COOKIE = "medvirkning_new_token"


@get("/admin/api-tokens", opt=ADMIN, include_in_schema=False)
async def tokens_page(request: Request[Any, Any, Any], db: Db) -> Template:
    secret = request.cookies.get(NEW_TOKEN_COOKIE)
    page = await _page(db, secret=secret if secret and secret.startswith("mv_") else None)
    if secret:
        page.delete_cookie(NEW_TOKEN_COOKIE, path="/admin/api-tokens")
    return page


@post("/admin/api-tokens", opt=ADMIN, include_in_schema=False)
async def create_token_page(
    db: Db, settings: AppSettings, user: User, data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    made: list[str] = []

    async def create() -> None:
        names = ["name", "role", "union_id", "municipality_id", "expires_on"]
        payload = struct_from_form(ApiTokenCreate, data, names)
        made.append((await create_token(db, user, payload))[1])

    if error := await attempt(db, create):
        return await _page(db, error=error, values=data)
    shown_once = Cookie(
        key=NEW_TOKEN_COOKIE,
        value=made[0],
        path="/admin/api-tokens",
        max_age=120,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )
    return Redirect("/admin/api-tokens", status_code=303, cookies=[shown_once])


@get("/admin/api-tokens/{token_id:int}/revoke", opt=ADMIN, include_in_schema=False)
async def revoke_token_question(db: Db, token_id: FromPath[int]) -> Template:
    token = await _token(db, token_id)
    return Template("auth/revoke_token.html", context={"token": token})


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
        revoke_token_question,
        revoke_token_page,
    ],
)
