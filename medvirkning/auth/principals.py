"""The principal behind a request's session cookie or API token, kept a few seconds in
this process's memory.

Looking up the session (or token), the person and their grants was most of a small
request's work. A lookup's result is kept per secret hash for `principal_cache_seconds`
(5 by default; 0 turns the memory off). Any write made through a SQLAlchemy session in
this process to a person, a role grant, a session or a token empties it at once (at the
flush, and again after the commit). Another server process learns of such a change when
its entry expires: a signed-out session, a revoked token or a withdrawn role works there
for at most `principal_cache_seconds` more.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from medvirkning.auth.access import Principal, UnionScope
from medvirkning.auth.models import ApiToken, Role, RoleGrant, UserSession
from medvirkning.auth.services import hashed
from medvirkning.db import utcnow
from medvirkning.people.models import Person
from medvirkning.settings import Settings

# One "last used" write a minute is enough (written after the request; see bookkeeping).
MARK_EVERY = timedelta(minutes=1)


@dataclass
class Found:
    """A working session or token as stored, with the times each request checks anew."""

    principal: Principal
    seen_at: datetime | None  # the session's last_seen_at, the token's last_used_at
    expires_at: datetime | None = None  # a token's last moment


class PrincipalMemory:
    """Secret hash -> (Found, monotonic deadline). `generation` counts the emptyings, so a
    lookup that read the database before one is not kept after it."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[Found, float]] = {}
        self.generation = 0
        self._lock = threading.Lock()  # the test client's app runs in a thread of its own

    def get(self, key: str) -> Found | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            self.entries.pop(key, None)
            return None
        return entry[0]

    def keep(self, key: str, found: Found, seconds: float, generation: int) -> None:
        with self._lock:
            if generation == self.generation and seconds > 0:
                if len(self.entries) > 50_000:  # a bound, not a policy: sessions are far fewer
                    self.entries.clear()
                self.entries[key] = (found, time.monotonic() + seconds)

    def forget_all(self) -> None:
        with self._lock:
            self.generation += 1
            self.entries.clear()


MEMORY = PrincipalMemory()


def still_valid(found: Found, settings: Settings, session: bool) -> bool:
    now = utcnow()
    if session:
        assert found.seen_at is not None
        return found.seen_at + timedelta(hours=settings.session_idle_hours) > now
    return found.expires_at is None or found.expires_at > now


def mark_used(found: Found, session: bool) -> list[Any]:
    """The "last used" write due now, if any, noted in the kept entry too (so it is due
    again a minute later, not on every request)."""
    now = utcnow()
    if found.seen_at is not None and now - found.seen_at <= MARK_EVERY:
        return []
    found.seen_at = now
    if session:
        table = cast(Table, UserSession.__table__)
        return [
            update(table).where(table.c.id == found.principal.session_id).values(last_seen_at=now)
        ]
    table = cast(Table, ApiToken.__table__)
    return [update(table).where(table.c.id == found.principal.token_id).values(last_used_at=now)]


@functools.cache  # built once: building a statement took longer than running it
def _session_query() -> Select[Any]:
    """An open session of an active person, with each active grant (one row per grant)."""
    s, p, g = UserSession.__table__.c, Person.__table__.c, RoleGrant.__table__.c
    return (
        select(s.id, s.last_seen_at, p.id, p.name, p.email, g.role, g.union_id, g.municipality_id)
        .select_from(
            UserSession.__table__.join(Person.__table__, p.id == s.person_id).outerjoin(
                RoleGrant.__table__, and_(g.person_id == p.id, g.active.is_(True))
            )
        )
        .where(s.token_hash == bindparam("hash"), s.ended_at.is_(None), p.active.is_(True))
    )


@functools.cache
def _token_query() -> Select[Any]:
    """A token not revoked whose creator is still an active admin."""
    t, p, g = ApiToken.__table__.c, Person.__table__.c, RoleGrant.__table__.c
    creator_is_admin = (
        select(g.id)
        .join(Person.__table__, p.id == g.person_id)
        .where(
            g.person_id == t.created_by_id,
            g.role == Role.ADMIN,
            g.active.is_(True),
            p.active.is_(True),
        )
        .exists()
    )
    return select(
        t.id, t.name, t.role, t.union_id, t.municipality_id, t.expires_at, t.last_used_at
    ).where(t.token_hash == bindparam("hash"), t.revoked_at.is_(None), creator_is_admin)


async def find_session(connection: Any, token_hash: str) -> Found | None:
    rows = (await connection.execute(_session_query(), {"hash": token_hash})).all()
    if not rows:
        return None
    session_id, seen_at, person_id, name, email = rows[0][:5]
    granted = [(role, union, municipality) for *_, role, union, municipality in rows if role]
    principal = Principal(
        label=f"{name} <{email}>",
        roles=frozenset(role for role, _, _ in granted),
        person_id=person_id,
        name=name,
        session_id=session_id,
        union_scopes=tuple(UnionScope(u, m) for role, u, m in granted if role == Role.UNION_REP),
    )
    return Found(principal, seen_at)


async def find_token(connection: Any, token_hash: str) -> Found | None:
    row = (await connection.execute(_token_query(), {"hash": token_hash})).first()
    if row is None:
        return None
    token_id, name, role, union_id, municipality_id, expires_at, last_used_at = row
    principal = Principal(
        label=f"API-nøkkel «{name}»",
        roles=frozenset({role}),
        token_id=token_id,
        union_scopes=(UnionScope(union_id, municipality_id),) if role == Role.UNION_REP else (),
    )
    return Found(principal, last_used_at, expires_at)


async def principal_for(
    transaction: Any, settings: Settings, secret: str, session: bool
) -> tuple[Principal | None, list[Any]]:
    """The principal behind a session secret (`session`) or a token, from memory or else
    from the database in the request's transaction; and the "last used" write now due."""
    token_hash = hashed(secret)
    key = ("session:" if session else "token:") + token_hash
    found = MEMORY.get(key)
    if found is None:
        generation = MEMORY.generation
        db = await transaction.begin()
        found = await (find_session if session else find_token)(db, token_hash)
        if found is None:
            return None, []
        MEMORY.keep(key, found, settings.principal_cache_seconds, generation)
    if not still_valid(found, settings, session):
        return None, []
    return found.principal, mark_used(found, session)


# --- forgetting: any write in this process to what a principal is made of -----------------

_WATCHED = frozenset({"person", "role_grant", "user_session", "api_token"})
# A new session or token is not in memory yet; a new person has no session yet.
_NEW_IRRELEVANT = frozenset({"person", "user_session", "api_token"})
_WROTE = "principal_inputs_written"


def _forget(session: Session) -> None:
    session.info[_WROTE] = True
    MEMORY.forget_all()


@event.listens_for(Session, "after_flush")
def _forget_after_flush(session: Session, _context: Any) -> None:
    changed = chain(session.dirty, session.deleted)
    new = (o for o in session.new if getattr(o, "__tablename__", "") not in _NEW_IRRELEVANT)
    if any(getattr(o, "__tablename__", "") in _WATCHED for o in chain(changed, new)):
        _forget(session)


@event.listens_for(Session, "do_orm_execute")
def _forget_after_bulk_write(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _WATCHED:
        _forget(state.session)


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    # A request may have read the rows between the flush and the commit.
    if session.info.pop(_WROTE, False):
        MEMORY.forget_all()
