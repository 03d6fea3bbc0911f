"""The request path: one transaction a request shared by sign-in and handler, lists that
count only when asked, and a health check that does not read the migrations from disk."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import event

from medvirkning.auth.models import Role
from medvirkning.auth.principals import MEMORY
from medvirkning.auth.services import create_api_token
from medvirkning.migrate import MIGRATIONS
from tests.support import database, sign_in_as


class Statements:
    """What the app's engine sends: SQL statements and transactions begun."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        self.transactions = 0


@contextmanager
def counted(client: AsyncTestClient) -> Iterator[Statements]:
    engine = client.app.state.database.engine.sync_engine
    seen = Statements()

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.sql.append(sql)

    def begun(_conn: Any) -> None:
        seen.transactions += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begun)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begun)


async def api_token(client: AsyncTestClient, role: Role = Role.ADMIN) -> str:
    admin = await sign_in_as(client, Role.ADMIN)
    client.cookies.clear()
    async with database(client) as db, db.begin():
        _, secret = await create_api_token(db, "Rapportering", role, created_by=admin)
    return secret


async def test_a_token_read_is_one_transaction_of_two_statements(anonymous):
    bearer = {"Authorization": f"Bearer {await api_token(anonymous)}"}
    # The first use writes the token's "last used" time (once a minute); then reads only.
    assert (await anonymous.get("/api/municipalities", headers=bearer)).status_code == 200
    MEMORY.forget_all()  # as another process, or this one a few seconds later, finds it
    with counted(anonymous) as seen:
        response = await anonymous.get("/api/municipalities", headers=bearer)
    assert response.status_code == 200
    assert len(response.json()["items"]) == 8
    # The token lookup and the page: one transaction, no count query.
    assert len(seen.sql) == 2, seen.sql
    assert seen.transactions == 1


async def test_a_token_known_to_the_process_costs_no_lookup(anonymous):
    bearer = {"Authorization": f"Bearer {await api_token(anonymous)}"}
    assert (await anonymous.get("/api/municipalities", headers=bearer)).status_code == 200
    with counted(anonymous) as seen:
        response = await anonymous.get("/api/municipalities", headers=bearer)
    assert len(response.json()["items"]) == 8
    assert len(seen.sql) == 1, seen.sql  # the page
    assert seen.transactions == 1


async def test_a_signed_in_list_shares_the_transaction_of_the_session_lookup(client):
    assert (await client.get("/api/people", params={"limit": 100})).status_code == 200
    MEMORY.forget_all()
    with counted(client) as seen:
        response = await client.get("/api/people", params={"limit": 100})
    assert response.status_code == 200
    # The session with its person and roles, the page.
    assert len(seen.sql) == 2, seen.sql
    assert seen.transactions == 1
    with counted(client) as seen:
        assert (await client.get("/api/people", params={"limit": 100})).status_code == 200
    assert len(seen.sql) == 1, seen.sql


async def test_lists_count_their_matches_only_when_asked(client):
    plain = (await client.get("/api/municipalities")).json()
    assert plain["total"] is None
    assert len(plain["items"]) == 8
    counted_list = await client.get("/api/municipalities", params={"total": True, "limit": 3})
    assert counted_list.json()["total"] == 8
    assert len(counted_list.json()["items"]) == 3


async def test_a_page_with_its_total_is_one_statement_and_right_on_every_page(client):
    def page(**params: Any) -> Any:
        return client.get("/api/municipalities", params={"total": True, **params})

    with counted(client) as seen:
        first = (await page(limit=3)).json()
    assert len([sql for sql in seen.sql if "FROM municipality" in sql]) == 1
    assert (first["total"], len(first["items"])) == (8, 3)
    last = (await page(limit=3, offset=6)).json()
    assert (last["total"], len(last["items"])) == (8, 2)
    past = (await page(limit=3, offset=30)).json()  # no row to carry the count
    assert (past["total"], past["items"]) == (8, [])
    found = (await page(q="berg")).json()  # Kongsberg and Flesberg, nothing else
    assert found["total"] == len(found["items"]) > 0
    assert all("berg" in item["name"].lower() for item in found["items"])


_reads: list[str] = []
_recording: list[bool] = []


def _watch(name: str, args: tuple[Any, ...]) -> None:
    # Audit events see every file the process opens or lists, in any thread.
    if _recording and name in ("open", "os.listdir", "os.scandir") and args:
        path = str(args[0])
        if path.startswith(str(MIGRATIONS)):
            _reads.append(path)


sys.addaudithook(_watch)


async def test_health_answers_without_reading_the_migrations_from_disk(anonymous):
    _reads.clear()
    _recording.append(True)
    try:
        response = await anonymous.get("/health")
    finally:
        _recording.clear()
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert _reads == []


def test_no_handler_resolves_its_dependencies_in_a_task_group(anonymous):
    """Litestar resolves the dependencies of one level together in an anyio task group, two
    new tasks a request (a tenth of a survey submit's time); ours come one after another."""
    together = [
        (route.path, sorted(d.key for d in batch))
        for route in anonymous.app.routes
        for _, kwargs_model in getattr(route, "route_handler_map", {}).values()
        for batch in kwargs_model.dependency_batches
        if len(batch) > 1
    ]
    assert together == []
    receipt = "/undersokelse/{token:str}/kvittering"  # asks for both
    _, kwargs_model = next(r for r in anonymous.app.routes if r.path == receipt).route_handler_map[
        "GET"
    ]
    asked = [sorted(d.key for d in batch) for batch in kwargs_model.dependency_batches]
    assert asked == [["settings"], ["db"]]
