"""Sign-in limits under concurrent bursts, no lock-out by a stranger, and the same work
whether an address is registered or not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import event, func, select

from medvirkning.auth.models import SignInLink
from medvirkning.db import create_engine, create_sessionmaker
from medvirkning.mail.models import OutboxMessage
from medvirkning.people.models import Person
from tests.support import post_form
from tests.test_sign_in import ADDRESS, ask_for_link, link_in, register_person


@pytest.fixture
async def browser_client(live_server: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app served by uvicorn, so requests really run at the same time."""
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        assert (await http.get("/logg-inn")).status_code == 200  # the CSRF cookie
        yield http


async def _burst(http: httpx.AsyncClient, requests: list[tuple[str, str]]) -> list[int]:
    """POST /logg-inn for each (address, client) at once; the clients come by X-Forwarded-For."""
    token = http.cookies["csrftoken"]

    async def one(address: str, client: str) -> int:
        response = await http.post(
            "/logg-inn",
            data={"email": address, "_csrf_token": token},
            headers={"x-forwarded-for": client},
        )
        return response.status_code

    return list(await asyncio.gather(*(one(a, c) for a, c in requests)))


async def _rows(settings, model, *criteria) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as db:
            return await db.scalar(select(func.count()).select_from(model).where(*criteria)) or 0
    finally:
        await engine.dispose()


async def _register(settings, address: str) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            db.add(Person(name="Kari Nordmann", email=address, municipality_id=2))
    finally:
        await engine.dispose()


async def test_a_burst_for_one_address_makes_at_most_five_links(settings, browser_client):
    await _register(settings, ADDRESS)
    answers = await _burst(browser_client, [(ADDRESS, f"10.0.0.{n}") for n in range(20)])
    # Nobody is refused: the address limit only stops the mail (303: to "check your e-mail").
    assert answers == [303] * 20
    assert await _rows(settings, SignInLink) == 5
    assert await _rows(settings, OutboxMessage, OutboxMessage.recipient == ADDRESS) == 5


async def test_a_burst_from_one_client_is_refused_after_thirty(settings, browser_client):
    answers = await _burst(browser_client, [(f"nr{n}@example.no", "10.9.9.9") for n in range(40)])
    assert sorted(answers) == [303] * 30 + [429] * 10
    # Another client is not held back by that one.
    assert await _burst(browser_client, [("ny@example.no", "10.9.9.10")]) == [303]


async def test_a_stranger_cannot_lock_the_owner_out(mail_client, smtp):
    await register_person(mail_client)
    for _ in range(7):  # someone else asks for Kari's link, again and again
        asked = await ask_for_link(mail_client, ADDRESS)
        assert asked.status_code == 200
    # Kari asks herself: the same answer, no sixth mail in her inbox...
    own = await ask_for_link(mail_client, ADDRESS)
    assert own.status_code == 200
    assert "Sjekk e-posten din" in own.text
    messages = await smtp.mailbox.wait_for(5)
    await asyncio.sleep(0.5)
    assert len(smtp.mailbox.to(ADDRESS)) == len(messages) == 5
    # ...and the newest link she has works: the requests beyond the limit voided nothing.
    used = await post_form(mail_client, link_in(messages[-1]), {}, follow_redirects=False)
    assert used.status_code == 303


async def test_known_and_unknown_addresses_run_the_same_statements(anonymous):
    await register_person(anonymous)
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        statements.append(statement)

    engine = anonymous.app.state.database.engine.sync_engine
    await ask_for_link(anonymous, "oppvarming@example.no")  # connections opened, CSRF cookie
    event.listen(engine, "before_cursor_execute", record)
    try:
        runs = []
        for address in (ADDRESS, "ukjent@example.no", "ukjent2@example.no", ADDRESS.upper()):
            statements.clear()
            assert (await ask_for_link(anonymous, address)).status_code == 200
            runs.append(
                [s.replace("ROLLBACK TO SAVEPOINT", "RELEASE SAVEPOINT") for s in statements]
            )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    known, unknown, unknown_again, known_again = runs
    assert len(known) > 5
    assert known == unknown == unknown_again == known_again
    # The unknown addresses left nothing behind.
    settings = anonymous.app.state.settings
    assert await _rows(settings, SignInLink, SignInLink.person_id.is_(None)) == 0
    assert await _rows(settings, SignInLink) == 2
    assert await _rows(settings, OutboxMessage) == 2
