"""Access rules: every route names who may use it; a route without a rule is refused.

A handler (or its router) carries `opt={"allow": …}`: PUBLIC, SIGNED_IN or a set of roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from medvirkning.auth.models import Role

PUBLIC = "public"
SIGNED_IN = "signed_in"


def allow(*roles: Role | str) -> dict[str, Any]:
    return {"allow": roles[0] if roles[0] in (PUBLIC, SIGNED_IN) else frozenset(roles)}


OPEN = allow(PUBLIC)
EVERYONE = allow(SIGNED_IN)
ADMIN = allow(Role.ADMIN)
ADMIN_AND_STEERING = allow(Role.ADMIN, Role.STEERING)


@dataclass(frozen=True)
class UnionScope:
    union_id: int | None
    municipality_id: int | None  # None: the whole region


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a signed-in person, or a script with an API token."""

    label: str
    roles: frozenset[Role]
    person_id: int | None = None
    name: str = ""
    session_id: int | None = None
    token_id: int | None = None
    union_scopes: tuple[UnionScope, ...] = field(default=())

    def has(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))


def is_allowed(rule: Any, principal: Principal | None) -> bool:
    if rule == PUBLIC:
        return True
    if principal is None:
        return False
    return rule == SIGNED_IN or bool(principal.roles & rule)


async def access_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Deny by default: a route must carry a rule, and the caller must satisfy it.

    Async though it awaits nothing: Litestar runs a plain function guard in a thread."""
    if "allow" not in handler.opt:
        raise PermissionDeniedException("route without an access rule")
    rule = handler.opt["allow"]
    principal = connection.scope.get("user")
    if is_allowed(rule, principal):
        return
    if principal is None:
        raise NotAuthorizedException()
    raise PermissionDeniedException()
