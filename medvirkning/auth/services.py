"""Sign-in links, sessions, API tokens and the principal behind a request.

Secrets (link, session and API tokens) are random, shown or sent once, and stored only
as their SHA-256 hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.audit import Actor, AuditEvent, act_as, event_row
from medvirkning.auth.access import Principal, UnionScope
from medvirkning.auth.models import (
    ApiToken,
    Role,
    RoleGrant,
    SignInAttempt,
    SignInLink,
    UserSession,
)
from medvirkning.bookkeeping import later
from medvirkning.db import utcnow
from medvirkning.errors import AppError
from medvirkning.mail.outbox import compose, enqueue
from medvirkning.people.models import Person
from medvirkning.settings import Settings


class TooManyAttempts(AppError):
    code = "rate_limited"
    status_code = 429
    message = "For mange forespørsler om innloggingslenke. Vent et kvarter og prøv igjen."


class LinkNotValid(AppError):
    code = "link_not_valid"
    status_code = 410
    message = "Lenken er allerede brukt, er erstattet av en nyere lenke, eller er utløpt."


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hashed(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def keyed(settings: Settings, value: str) -> str:
    """A keyed hash: lets us count requests per address without storing the address."""
    return hmac.new(settings.secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()


async def _check_rate(
    db: AsyncSession, settings: Settings, address_key: str, client_key: str
) -> None:
    window = utcnow() - timedelta(minutes=15)
    await db.execute(delete(SignInAttempt).where(SignInAttempt.at < utcnow() - timedelta(days=1)))

    async def count(*criteria: Any) -> int:
        stmt = (
            select(func.count())
            .select_from(SignInAttempt)
            .where(SignInAttempt.at >= window, *criteria)
        )
        return await db.scalar(stmt) or 0

    if await count(SignInAttempt.address_key == address_key) >= settings.sign_in_limit_per_address:
        raise TooManyAttempts()
    if await count(SignInAttempt.client_key == client_key) >= settings.sign_in_limit_per_client:
        raise TooManyAttempts()
    db.add(SignInAttempt(address_key=address_key, client_key=client_key))


async def request_sign_in_link(
    db: AsyncSession, settings: Settings, email: str, client: str
) -> None:
    """Send a fresh link to a known, active person; for any other address do nothing visible."""
    email = email.strip()
    await _check_rate(db, settings, keyed(settings, email.lower()), keyed(settings, client))
    person = await db.scalar(
        select(Person).where(func.lower(Person.email) == email.lower(), Person.active.is_(True))
    )
    if person is None:
        return
    now = utcnow()
    await db.execute(
        update(SignInLink)
        .where(
            SignInLink.person_id == person.id,
            SignInLink.used_at.is_(None),
            SignInLink.voided_at.is_(None),
        )
        .values(voided_at=now)
    )
    token = new_secret()
    expires_at = now + timedelta(minutes=settings.sign_in_link_minutes)
    db.add(
        SignInLink(
            person_id=person.id, token_hash=hashed(token), created_at=now, expires_at=expires_at
        )
    )
    message = compose(
        settings,
        person.email,
        "Lenke for å logge inn i Medvirkning",
        "sign_in",
        {
            "name": person.name,
            "link": f"{settings.public_base_url}/logg-inn/{token}",
            "minutes": settings.sign_in_link_minutes,
            "expires_at": expires_at,
        },
    )
    await enqueue(db, settings, [message], kind="sign_in", purge_after_send=True)


async def check_sign_in_link(db: AsyncSession, token: str) -> SignInLink:
    link = await db.scalar(select(SignInLink).where(SignInLink.token_hash == hashed(token)))
    if link is None or link.used_at or link.voided_at or link.expires_at <= utcnow():
        raise LinkNotValid()
    return link


async def use_sign_in_link(db: AsyncSession, token: str) -> tuple[Person, str]:
    """Spend the link (once) and open a session; return the person and the session secret."""
    link = await check_sign_in_link(db, token)
    used = await db.execute(
        update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]  # a parallel request spent it first
        raise LinkNotValid()
    person = await db.get(Person, link.person_id)
    if person is None or not person.active:
        raise LinkNotValid()
    secret = await start_session(db, person)
    return person, secret


async def start_session(db: AsyncSession, person: Person) -> str:
    secret = new_secret()
    db.add(UserSession(person_id=person.id, token_hash=hashed(secret)))
    actor = Actor(f"{person.name} <{person.email}>", person.id)
    act_as(db, actor)
    await _log(db, actor, "sign_in", person)
    return secret


async def end_session(db: AsyncSession, principal: Principal) -> None:
    if principal.session_id is None:
        return
    await db.execute(
        update(UserSession).where(UserSession.id == principal.session_id).values(ended_at=utcnow())
    )
    person = await db.get(Person, principal.person_id)
    await _log(db, Actor(principal.label, principal.person_id), "sign_out", person)


async def _log(db: AsyncSession, actor: Actor, action: str, person: Person | None) -> None:
    row = event_row(actor, action, person, None, None) if person else None
    if row:
        await db.execute(insert(AuditEvent), [row])


async def _grants(db: AsyncSession, person_id: int) -> list[RoleGrant]:
    rows = await db.scalars(
        select(RoleGrant).where(RoleGrant.person_id == person_id, RoleGrant.active.is_(True))
    )
    return list(rows)


def _principal(person: Person, grants: list[Any], **ids: int | None) -> Principal:
    return Principal(
        label=f"{person.name} <{person.email}>",
        roles=frozenset(g.role for g in grants),
        person_id=person.id,
        name=person.name,
        union_scopes=tuple(
            UnionScope(g.union_id, g.municipality_id) for g in grants if g.role == Role.UNION_REP
        ),
        **ids,
    )


async def session_principal(db: AsyncSession, settings: Settings, secret: str) -> Principal | None:
    """The person behind a session cookie, if the session is open, fresh and the person active."""
    session = await db.scalar(select(UserSession).where(UserSession.token_hash == hashed(secret)))
    now = utcnow()
    idle = timedelta(hours=settings.session_idle_hours)
    if session is None or session.ended_at or session.last_seen_at + idle <= now:
        return None
    if not session.person.active:
        return None
    if now - session.last_seen_at > timedelta(minutes=1):  # one write a minute is enough
        later(db, update(UserSession).where(UserSession.id == session.id).values(last_seen_at=now))
    return _principal(session.person, await _grants(db, session.person_id), session_id=session.id)


async def token_principal(db: AsyncSession, secret: str) -> Principal | None:
    token = await db.scalar(select(ApiToken).where(ApiToken.token_hash == hashed(secret)))
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        later(db, update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    scopes = (
        (UnionScope(token.union_id, token.municipality_id),) if token.role == Role.UNION_REP else ()
    )
    return Principal(
        label=f"API-nøkkel «{token.name}»",
        roles=frozenset({token.role}),
        token_id=token.id,
        union_scopes=scopes,
    )


async def create_api_token(
    db: AsyncSession,
    name: str,
    role: Role,
    created_by: int | None,
    union_id: int | None = None,
    municipality_id: int | None = None,
) -> tuple[ApiToken, str]:
    secret = "mv_" + new_secret()
    token = ApiToken(
        name=name,
        token_hash=hashed(secret),
        role=role,
        union_id=union_id,
        municipality_id=municipality_id,
        created_by_id=created_by,
    )
    db.add(token)
    await db.flush()
    return token, secret


async def revoke_api_token(db: AsyncSession, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await db.flush()


async def ensure_admin(
    db: AsyncSession,
    name: str,
    email: str,
    organisation_id: int | None,
    municipality_id: int | None,
) -> tuple[Person, bool]:
    """The person with this address, created if new, holding the admin role; True if granted now."""
    person = await db.scalar(select(Person).where(func.lower(Person.email) == email.lower()))
    if person is None:
        person = Person(
            name=name, email=email, organisation_id=organisation_id, municipality_id=municipality_id
        )
        db.add(person)
        await db.flush()
    held = await db.scalar(
        select(RoleGrant).where(
            RoleGrant.person_id == person.id,
            RoleGrant.role == Role.ADMIN,
            RoleGrant.active.is_(True),
        )
    )
    if held is not None:
        return person, False
    db.add(RoleGrant(person_id=person.id, role=Role.ADMIN))
    await db.flush()
    return person, True
