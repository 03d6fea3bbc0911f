"""Sign-in links, sessions, API tokens and the principal behind a request.

Secrets (link, session and API tokens) are random, shown or sent once, and stored only
as their SHA-256 hash.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, event, func, insert, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Exists

from medvirkning.audit import Actor, AuditEvent, act_as, event_row
from medvirkning.auth.access import Principal
from medvirkning.auth.models import (
    ApiToken,
    Role,
    RoleGrant,
    SignInAttempt,
    SignInLink,
    UserSession,
)
from medvirkning.db import upsert_for, utcnow
from medvirkning.errors import AppError
from medvirkning.mail.outbox import compose, enqueue
from medvirkning.people.models import Person
from medvirkning.settings import Settings
from medvirkning.signing import sign


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
    return sign(settings, "sign-in-count", value)


# Both limits count requests in a window that begins with the first request.
WINDOW = timedelta(minutes=15)


async def _count(db: AsyncSession, key: str) -> int:
    """Count one more request for the key and return the window's count, in one atomic
    statement: concurrent requests wait on the row, so a burst cannot slip past the limit."""
    now = utcnow()
    upsert = upsert_for(db.get_bind().dialect.name)
    stmt = upsert(SignInAttempt).values(key=key, window_start=now, requests=1)
    current = SignInAttempt.window_start > now - WINDOW
    stmt = stmt.on_conflict_do_update(
        index_elements=[SignInAttempt.key],
        set_={
            "requests": case((current, SignInAttempt.requests + 1), else_=1),
            "window_start": case((current, SignInAttempt.window_start), else_=now),
        },
    )
    return (await db.execute(stmt.returning(SignInAttempt.requests))).scalar_one()


async def _forget_ended_windows(db: AsyncSession) -> None:
    # SKIP LOCKED: never wait for (or deadlock with) a request counting on such a row.
    ended = (
        select(SignInAttempt.key)
        .where(SignInAttempt.window_start <= utcnow() - WINDOW)
        .limit(100)
        .with_for_update(skip_locked=True)
    )
    await db.execute(delete(SignInAttempt).where(SignInAttempt.key.in_(ended)))


async def request_sign_in_link(
    db: AsyncSession, settings: Settings, email: str, client: str
) -> None:
    """Send a fresh link to a known, active person; for any other address do nothing visible.

    Too many requests from one client are refused. Too many for one address send no more
    mail, silently: a stranger cannot lock the owner out, whose last link still works."""
    email = email.strip()
    # Client first, then address: every request takes the row locks in the same order.
    if await _count(db, "client:" + keyed(settings, client)) > settings.sign_in_limit_per_client:
        raise TooManyAttempts()
    requests = await _count(db, "address:" + keyed(settings, email.lower()))
    await _forget_ended_windows(db)
    if requests > settings.sign_in_limit_per_address:
        return
    person = await db.scalar(
        select(Person).where(func.lower(Person.email) == email.lower(), Person.active.is_(True))
    )
    # An unknown address gets the same statements and the same mail made, rolled back at the
    # end, so the time taken does not tell whether the address is registered.
    async with db.begin_nested() as savepoint:
        await _make_link_and_mail(db, settings, person, email)
        if person is None:
            await savepoint.rollback()


async def _make_link_and_mail(
    db: AsyncSession, settings: Settings, person: Person | None, email: str
) -> None:
    now = utcnow()
    person_id = person.id if person else None
    await db.execute(
        update(SignInLink)
        .where(
            SignInLink.person_id == (person_id or 0),
            SignInLink.used_at.is_(None),
            SignInLink.voided_at.is_(None),
        )
        .values(voided_at=now)
    )
    token = new_secret()
    expires_at = now + timedelta(minutes=settings.sign_in_link_minutes)
    await db.execute(
        insert(SignInLink).values(
            person_id=person_id, token_hash=hashed(token), created_at=now, expires_at=expires_at
        )
    )
    message = compose(
        settings,
        person.email if person else email,
        "Lenke for å logge inn i Medvirkning",
        "sign_in",
        {
            "name": person.name if person else email.split("@")[0],
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


@event.listens_for(Session, "after_flush")
def _end_sessions_of_deactivated(session: Session, _context: Any) -> None:
    """A deactivated person's sessions end, so reactivation does not bring one back."""
    gone = [
        obj.id
        for obj in session.dirty
        if isinstance(obj, Person)
        and not obj.active
        and inspect(obj).attrs.active.history.has_changes()
    ]
    if gone:
        session.connection().execute(
            update(UserSession)
            .where(UserSession.person_id.in_(gone), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


@functools.cache  # built once: building the clause took longer than running its query
def _creator_is_active_admin() -> Exists:
    return (
        select(RoleGrant.id)
        .join(Person, Person.id == RoleGrant.person_id)
        .where(
            RoleGrant.person_id == ApiToken.created_by_id,
            RoleGrant.role == Role.ADMIN,
            RoleGrant.active.is_(True),
            Person.active.is_(True),
        )
        .exists()
    )


def _works(token: ApiToken, creator_is_admin: bool) -> bool:
    expired = token.expires_at is not None and token.expires_at <= utcnow()
    return token.revoked_at is None and not expired and creator_is_admin


async def list_api_tokens(db: AsyncSession) -> list[tuple[ApiToken, bool]]:
    """Every token, the working ones first, each with whether it works now."""
    rows = await db.execute(
        select(ApiToken, _creator_is_active_admin()).order_by(
            ApiToken.revoked_at.is_not(None), ApiToken.id
        )
    )
    return [(token, _works(token, creator_is_admin)) for token, creator_is_admin in rows]


async def token_creator(db: AsyncSession, principal: Principal) -> int | None:
    """The person a new token answers to: the admin signed in, or the one behind the token
    that makes it."""
    if principal.person_id is not None or principal.token_id is None:
        return principal.person_id
    return await db.scalar(select(ApiToken.created_by_id).where(ApiToken.id == principal.token_id))


async def create_api_token(
    db: AsyncSession,
    name: str,
    role: Role,
    created_by: int | None,
    union_id: int | None = None,
    municipality_id: int | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    secret = "mv_" + new_secret()
    token = ApiToken(
        name=name,
        token_hash=hashed(secret),
        role=role,
        union_id=union_id,
        municipality_id=municipality_id,
        created_by_id=created_by,
        expires_at=expires_at,
    )
    db.add(token)
    await db.flush()
    await db.refresh(token, ["created_by"])
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
