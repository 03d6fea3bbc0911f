from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medvirkning.choices import Choice, choice_column
from medvirkning.db import Base, Timestamped, utcnow
from medvirkning.people.models import Person
from medvirkning.region.models import Municipality, Organisation


class Role(Choice):
    ADMIN = "admin", "administrator (prosjektleder og prosjektstab)"
    STEERING = "steering", "styringsgruppe"
    MEMBER = "member", "gruppemedlem"
    UNION_REP = "union_rep", "tillitsvalgt"


class RoleGrant(Timestamped, Base):
    """A role a person holds; a union representative's is scoped to a union and a
    municipality (none: the region)."""

    __tablename__ = "role_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[Role] = mapped_column(choice_column(Role))
    union_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    active: Mapped[bool] = mapped_column(default=True)

    person: Mapped[Person] = relationship(lazy="joined")
    union: Mapped[Organisation | None] = relationship(lazy="joined")
    municipality: Mapped[Municipality | None] = relationship(lazy="joined")


class SignInLink(Base):
    __tablename__ = "sign_in_link"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    # None only in the stand-in made (and rolled back) for an unknown address.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]


class SignInAttempt(Base):
    """The "send me a link" requests counted for one client or one address in the window
    that began at `window_start`; one row per key, counted up atomically.

    The key holds the client or the address only as a keyed hash."""

    __tablename__ = "sign_in_attempt"
    __audit__ = False

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(index=True)
    requests: Mapped[int]


class UserSession(Base):
    __tablename__ = "user_session"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(lazy="joined")


class ApiToken(Timestamped, Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info={"audit": False})
    role: Mapped[Role] = mapped_column(choice_column(Role))
    union_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    # The admin who made it: the token works only while they are an active admin.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None] = mapped_column(info={"audit": False})

    created_by: Mapped[Person | None] = relationship(lazy="joined")
