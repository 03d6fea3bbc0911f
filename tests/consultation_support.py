"""Shared set-up for the consultation tests: unions, representatives and consultations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from medvirkning.auth.middleware import SESSION_COOKIE
from medvirkning.auth.models import Role
from medvirkning.db import utcnow
from medvirkning.region.models import Organisation
from tests import scenario
from tests.support import database, sign_in_as


async def ids(client: Any) -> dict[str, int]:
    """The seeded municipalities and unions the tests use, by name."""
    async with database(client) as db:
        found = await scenario.municipality_ids(db)
        for name in ("Fagforbundet", "Utdanningsforbundet"):
            found[name] = await db.scalar(select(Organisation.id).where(Organisation.name == name))
    return found


async def add_meeting(client: Any, title: str, starts_at: datetime | None = None) -> int:
    async with database(client) as db, db.begin():
        meeting_id, _ = await scenario.add_meeting(
            db, title, starts_at or utcnow() + timedelta(days=14), []
        )
    return meeting_id


async def create(
    client: Any,
    matter: str,
    municipality_id: int | None,
    union_ids: list[int],
    meeting_id: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "matter": matter,
        "kind": "consultation",
        "municipality_id": municipality_id,
        "meeting_id": meeting_id,
        "unions": [{"union_id": u, "participants": "Tillitsvalgt"} for u in union_ids],
        **extra,
    }
    response = await client.post("/api/consultations", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


class Roles:
    """Sessions for several people on one test client, switched by name."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.sessions: dict[str, str] = {"admin": client.cookies[SESSION_COOKIE]}
        self.person_ids: dict[str, int] = {}

    async def add(
        self, name: str, *roles: Role, union: str | None = None, municipality: str | None = None
    ) -> int:
        person_id = await sign_in_as(
            self.client,
            *roles,
            email=f"{name}@kommune.no",
            union=union,
            municipality=municipality,
        )
        self.sessions[name] = self.client.cookies[SESSION_COOKIE]
        self.person_ids[name] = person_id
        self.be("admin")
        return person_id

    def be(self, name: str) -> Any:
        self.client.cookies.set(SESSION_COOKIE, self.sessions[name])
        return self.client
