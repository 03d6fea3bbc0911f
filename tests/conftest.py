"""Fixtures: the real app on a real SQLite file and a real PostgreSQL server.

Each test gets a fresh database copied from one that the migrations built and the seed
filled once per session: a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import itertools
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from medvirkning.app import create_app
from medvirkning.auth.models import Role
from medvirkning.db import create_engine
from medvirkning.mail.imap import close
from medvirkning.migrate import upgrade
from medvirkning.settings import Settings, load_settings
from tests.support import sign_in_as
from tests.test_calendar import ical_js  # noqa: F401  (the Node parser, for every module)

POSTGRES_URL = os.environ.get("MEDVIRKNING_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("MEDVIRKNING_TEST_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
_database_numbers = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_POSTGRES and not POSTGRES_URL:
        raise pytest.UsageError(
            "PostgreSQL is required (MEDVIRKNING_TEST_REQUIRE_POSTGRES=1) but "
            "MEDVIRKNING_TEST_POSTGRES_URL is not set: run the suite with `python -m tests`."
        )


def pytest_report_header() -> str:
    if POSTGRES_URL:
        return f"databases: SQLite and PostgreSQL ({POSTGRES_URL.rsplit('@', 1)[-1]})"
    return "databases: SQLite only — the PostgreSQL half is NOT run (see README: Tests)"


_postgres_passed: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Seen in the main process also when xdist runs the tests in workers.
    if report.when == "call" and report.passed and "postgresql" in report.nodeid:
        _postgres_passed.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A required PostgreSQL half that ran no test must not pass as success.
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the main process decides
    if REQUIRE_POSTGRES and exitstatus == 0 and not _postgres_passed and session.testscollected:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nPostgreSQL was required, but no test passed against it.")


def _pg_dsn(database: str) -> str:
    base = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    return base.rsplit("/", 1)[0] + "/" + database


def _sqlalchemy_pg_url(database: str) -> str:
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + database


def _run_in_thread(coroutine: Any) -> None:
    """Session fixtures may first be asked for inside a test's running event loop."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


async def _build(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        if url.startswith("sqlite"):
            async with engine.connect() as connection:
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _run_in_thread(_build(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    name = f"template_{_worker()}"

    async def create() -> None:
        connection = await asyncpg.connect(_pg_dsn("postgres"))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        await _build(_sqlalchemy_pg_url(name))

    _run_in_thread(create())
    return name


async def _pg_admin(statement: str) -> None:
    connection = await asyncpg.connect(_pg_dsn("postgres"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, migrated and seeded database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "medvirkning.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL is not running (python -m tests starts it)")
    template = request.getfixturevalue("postgres_template")
    name = f"test_{_worker()}_{next(_database_numbers)}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _sqlalchemy_pg_url(name)
    await _pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "MEDVIRKNING_DATA_DIR": str(tmp_path / "data"),
            "MEDVIRKNING_DATABASE_URL": database_url,
            "MEDVIRKNING_LOG_LEVEL": "warning",
            # Tests that deliver mail say so (smtp_settings) or drive the worker themselves.
            "MEDVIRKNING_OUTBOX_WORKER": "false",
        }
    )


_APPS: dict[tuple[bool, str], Litestar] = {}


def app_for(settings: Settings) -> Litestar:
    """The real app for these settings. Building one takes about half a second (Litestar
    prepares each of its route handlers), so each test process builds one for each kind of
    settings that shape it, and gives each test its own through the app's state, from which
    the lifespan, the middleware and every handler read them."""
    key = (settings.secure_cookies, settings.log_level)
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(settings)
    app.state.settings = settings
    app.csrf_config.secret = settings.secret_key  # type: ignore[union-attr]
    return app


@pytest.fixture
async def anonymous(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    """The real app, with nobody signed in."""
    async with AsyncTestClient(app=app_for(settings)) as test_client:
        yield test_client


@pytest.fixture
async def client(anonymous: AsyncTestClient) -> AsyncTestClient:
    """The real app, with the project leader (an admin) signed in."""
    await sign_in_as(anonymous, Role.ADMIN, email="prosjektleder@kongsbergregionen.no")
    return anonymous


CHROMIUM = os.environ.get("MEDVIRKNING_TEST_CHROMIUM") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else ""
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free port, for a real browser."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        # An app of its own: uvicorn's lifespan leaves the app holding its channel, which
        # the next test's client would otherwise find and drop unclosed.
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM:
        if os.environ.get("MEDVIRKNING_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required for the page tests but was not found")
        pytest.skip("Chromium not installed: apt-get install chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        await chromium.close()


class Mailbox:
    """What a real SMTP server (aiosmtpd) received."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    async def wait_for(self, count: int) -> list[email.message.EmailMessage]:
        """At least `count` messages, within 15 seconds."""
        try:
            async with asyncio.timeout(15):
                # The server's thread fills the list; polling is the simple bridge.
                while len(self.messages) < count:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise AssertionError(f"{len(self.messages)} of {count} messages arrived") from None
        return list(self.messages)


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self._controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on a free port, running; tests may stop and start it."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    """The settings, sending through the test's SMTP server, retrying fast."""
    return msgspec.structs.replace(
        settings,
        mail_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        outbox_worker=True,
        outbox_poll_seconds=0.1,
        outbox_retry_seconds=0.05,
    )


@pytest.fixture
async def mail_client(smtp_settings: Settings) -> AsyncIterator[AsyncTestClient]:
    """The real app sending through the test's SMTP server, nobody signed in."""
    async with AsyncTestClient(app=app_for(smtp_settings)) as test_client:
        yield test_client


@pytest.fixture
async def organiser(mail_client: AsyncTestClient) -> AsyncTestClient:
    """The project leader, signed in, with mail going to the test's SMTP server."""
    await sign_in_as(mail_client, Role.ADMIN, email="pl@kongsbergregionen.no")
    return mail_client


IMAP_HOST = os.environ.get("MEDVIRKNING_TEST_IMAP_HOST", "")
IMAP_PORT = int(os.environ.get("MEDVIRKNING_TEST_IMAP_PORT") or 0)
IMAP_PASSWORD = os.environ.get("MEDVIRKNING_TEST_IMAP_PASSWORD", "")
REPLY_ADDRESS = "moter@kongsbergregionen.no"


class ImapMailbox:
    """A fresh mailbox on the throwaway Dovecot: a user of its own for each test."""

    def __init__(self, user: str) -> None:
        self.user = user

    async def _client(self) -> Any:
        import aioimaplib

        client = aioimaplib.IMAP4(IMAP_HOST, IMAP_PORT, timeout=10)
        await client.wait_hello_from_server()
        assert (await client.login(self.user, IMAP_PASSWORD)).result == "OK"
        return client

    async def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a message as the mail server would: APPEND, unseen."""
        client = await self._client()
        try:
            response = await client.append(raw, mailbox=folder)
            assert response.result == "OK", response
        finally:
            await client.logout()
            close(client)

    async def messages(self, folder: str = "INBOX") -> list[bytes]:
        """The messages in a folder (none if it does not exist), read without marking them."""
        client = await self._client()
        try:
            if (await client.select(f'"{folder}"')).result != "OK":
                return []
            found = (await client.search("ALL", charset=None)).lines[0].split()
            messages = []
            for number in found:
                response = await client.fetch(number.decode(), "(BODY.PEEK[])")
                messages += [bytes(line) for line in response.lines if isinstance(line, bytearray)]
            return messages
        finally:
            await client.logout()
            close(client)


@pytest.fixture
def imap_mailbox() -> ImapMailbox:
    if not IMAP_HOST:
        if os.environ.get("MEDVIRKNING_TEST_REQUIRE_IMAP") == "1":
            pytest.fail("Dovecot is required for the reply-mailbox tests but is not running")
        pytest.skip("Dovecot is not running (python -m tests starts it; apt-get dovecot-imapd)")
    return ImapMailbox(f"svar-{uuid.uuid4().hex[:12]}@kongsbergregionen.no")


@pytest.fixture
def reply_settings(smtp_settings: Settings, imap_mailbox: ImapMailbox) -> Settings:
    """Sending through the test's SMTP server, with the test's IMAP mailbox as reply mailbox."""
    return msgspec.structs.replace(
        smtp_settings,
        reply_imap_host=IMAP_HOST,
        reply_imap_port=IMAP_PORT,
        reply_imap_security="none",
        reply_imap_username=imap_mailbox.user,
        reply_imap_password=IMAP_PASSWORD,
        reply_address=REPLY_ADDRESS,
        # The tests read the mailbox themselves; the service's own round comes once an hour.
        replies_every_seconds=3600,
    )


@pytest.fixture
async def reply_client(reply_settings: Settings) -> AsyncIterator[AsyncTestClient]:
    """The real app with a reply mailbox; its own job reads an empty mailbox of its own, so
    only the test reads the test's mailbox."""
    idle = msgspec.structs.replace(
        reply_settings, reply_imap_username=f"tom-{uuid.uuid4().hex[:12]}@kongsbergregionen.no"
    )
    async with AsyncTestClient(app=app_for(idle)) as test_client:
        yield test_client
