"""Small helpers the tests share."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from httpx import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.middleware import SESSION_COOKIE
from medvirkning.auth.models import Role, RoleGrant
from medvirkning.auth.services import start_session
from medvirkning.db import create_engine, create_sessionmaker
from medvirkning.people.models import Person
from medvirkning.region.models import Municipality, Organisation


def error_fields(response: Response) -> list[str]:
    body = response.json()
    assert body["message"], body
    return [e["field"] for e in body["errors"]]


def assert_refused(response: Response, status: int, field: str) -> dict[str, Any]:
    """The API refused the request with this status, naming the field in Norwegian."""
    assert response.status_code == status, response.text
    body = response.json()
    assert field in error_fields(response), body
    message = next(e["message"] for e in body["errors"] if e["field"] == field)
    # Norwegian, not the parser's English.
    assert message
    assert "Expected" not in message, message
    assert "Object" not in message, message
    return body


async def total(client: Any, slug: str, **params: Any) -> int:
    response = await client.get(
        f"/api/{slug}", params={"include_inactive": True, "total": True, **params}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


async def find_id(client: Any, slug: str, **params: Any) -> int:
    response = await client.get(f"/api/{slug}", params=params)
    items = response.json()["items"]
    assert len(items) == 1, items
    return int(items[0]["id"])


@asynccontextmanager
async def database(client: Any) -> AsyncIterator[AsyncSession]:
    """A session on the app's database, from the test's own event loop (the app runs in another)."""
    engine = create_engine(client.app.state.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def sign_in_as(
    client: Any,
    *roles: Role,
    email: str = "",
    union: str | None = None,
    municipality: str | None = None,
) -> int:
    """Give a person these roles and a session, and put its cookie on the client.

    Sign-in itself is tested through the e-mail link; this skips the mail for other tests."""
    email = email or f"{'-'.join(roles) or 'ingen'}-{uuid.uuid4().hex[:8]}@kommune.no"
    async with database(client) as db, db.begin():
        secretariat = await db.scalar(
            select(Organisation.id).where(Organisation.name.like("Sekretariatet%"))
        )
        person = Person(
            name=f"Test {email.split('@')[0]}", email=email, organisation_id=secretariat
        )
        db.add(person)
        await db.flush()
        union_id = union and await db.scalar(
            select(Organisation.id).where(Organisation.name == union)
        )
        municipality_id = municipality and await db.scalar(
            select(Municipality.id).where(Municipality.name == municipality)
        )
        for role in roles:
            db.add(
                RoleGrant(
                    person_id=person.id,
                    role=role,
                    union_id=union_id if role == Role.UNION_REP else None,
                    municipality_id=municipality_id if role == Role.UNION_REP else None,
                )
            )
        secret = await start_session(db, person)
        person_id = person.id
    client.cookies.set(SESSION_COOKIE, secret)
    return person_id


async def post_form(client: Any, url: str, data: dict[str, Any], **kwargs: Any) -> Response:
    """Post a form as a browser does, with the CSRF token from the cookie."""
    if "csrftoken" not in client.cookies:
        await client.get("/tilgjengelighet")
    return await client.post(
        url, data={**data, "_csrf_token": client.cookies["csrftoken"]}, **kwargs
    )


async def edit_version(client: Any, url: str) -> str:
    """The version an edit page carries in its form (sent back to detect a stale save)."""
    page = await client.get(url)
    match = re.search(r'<input type="hidden" name="version" value="([^"]+)">', page.text)
    assert match, "the edit form carries no version"
    return match.group(1)
