"""The shapes of sign-in and API tokens at the API's edge."""

from __future__ import annotations

from datetime import date

import msgspec

from medvirkning.auth.models import Role
from medvirkning.schema import Id, Name, Ref, Struct


class MeRead(msgspec.Struct, frozen=True):
    label: str
    roles: list[Role]
    person_id: int | None


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
