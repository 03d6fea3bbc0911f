"""The outbox against a real SMTP server: nothing lost while SMTP is down, nothing sent twice,
several workers sharing one database, failures shown to admins."""

from __future__ import annotations

import asyncio
import email
import email.policy
import sqlite3
import threading
import time
from collections import Counter
from datetime import timedelta

import msgspec
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from sqlalchemy import func, select, update

from medvirkning.db import create_engine, create_sessionmaker, utcnow
from medvirkning.mail.backends import Claimed, FolderBackend, backend_for
from medvirkning.mail.models import OutboxMessage, OutboxStatus
from medvirkning.mail.outbox import Letter, compose, enqueue, letter_bytes
from medvirkning.mail.worker import claim, deliver_due, run_worker
from tests.conftest import Mailbox, SmtpServer, free_port


async def queue(settings, count: int, start: int = 0) -> list[str]:
    """`count` messages in the outbox, as the service writes them; their Message-IDs."""
    context = {"link": "http://x/", "minutes": 15, "expires_at": utcnow()}
    letters = [
        compose(
            settings,
            f"ansatt{n}@kommune.no",
            f"Melding {n}",
            "sign_in",
            {"name": f"Ansatt {n}", **context},
        )
        for n in range(start, start + count)
    ]
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            return await enqueue(db, settings, letters, kind="test")
    finally:
        await engine.dispose()


async def deliver_all(settings, rounds: int = 400) -> None:
    """Run the worker's delivery until nothing is due or waiting."""
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    try:
        backend = backend_for(settings)
        for _ in range(rounds):
            await deliver_due(sessions, backend, settings)
            async with sessions() as db:
                left = await db.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
                )
            if not left:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{left} messages still waiting")
    finally:
        await engine.dispose()


async def statuses(settings) -> Counter[str]:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as db:
            rows = await db.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
            return Counter({status.value: count for status, count in rows})
    finally:
        await engine.dispose()


async def outbox_rows(settings) -> list[OutboxMessage]:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as db:
            return list(await db.scalars(select(OutboxMessage)))
    finally:
        await engine.dispose()


async def deliver_over_two_connections(settings, mailbox: Mailbox, count: int) -> list[str]:
    """`count` messages delivered in one batch over two connections to a server keeping
    them in `mailbox`; their Message-IDs."""
    server = SmtpServer(free_port())
    server.mailbox = mailbox
    server.start()
    try:
        settings = offline_settings(
            settings, server.port, outbox_connections=2, outbox_batch_size=200
        )
        ids = await queue(settings, count)
        await deliver_all(settings)
        await mailbox.wait_for(count)
        await asyncio.sleep(0.2)  # nothing more arrives
    finally:
        server.stop()
    return ids


def offline_settings(settings, port: int, **changes):
    return msgspec.structs.replace(
        settings,
        mail_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        outbox_retry_seconds=0.01,
        outbox_worker=False,
        **changes,
    )


async def test_smtp_down_while_200_are_queued_loses_none_and_doubles_none(settings):
    server = SmtpServer(free_port())  # not started: SMTP is down
    settings = offline_settings(settings, server.port)
    sent_ids = await queue(settings, 200)

    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    for _ in range(3):  # the worker tries while SMTP is down
        await deliver_due(sessions, backend_for(settings), settings)
        async with sessions() as db:
            await db.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
            await db.commit()
    await engine.dispose()
    waiting = await statuses(settings)
    assert waiting == {"pending": 200}

    server.start()  # SMTP is back
    try:
        await deliver_all(settings)
        received = await server.mailbox.wait_for(200)
    finally:
        server.stop()
    message_ids = [m["Message-ID"] for m in received]
    assert len(message_ids) == 200
    assert sorted(message_ids) == sorted(sent_ids)
    assert await statuses(settings) == {"sent": 200}


async def test_a_message_that_keeps_failing_is_marked_failed_and_shown_to_admins(settings, client):
    server = SmtpServer(free_port())
    settings = offline_settings(settings, server.port, outbox_max_attempts=3)
    await queue(settings, 1)
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    for _ in range(3):
        await deliver_due(sessions, backend_for(settings), settings)
        async with sessions() as db:
            await db.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
            await db.commit()
    await engine.dispose()
    assert await statuses(settings) == {"failed": 1}

    failed = (await client.get("/api/outbox", params={"status": "failed"})).json()
    assert len(failed) == 1
    assert failed[0]["attempts"] == 3
    assert "Connect" in failed[0]["last_error"] or "refused" in failed[0]["last_error"].lower()
    page = await client.get("/admin/outbox")
    assert "kunne ikke sendes" in page.text
    assert "ansatt0@kommune.no" in page.text

    retried = await client.post(f"/api/outbox/{failed[0]['id']}/retry")
    assert retried.json()["status"] == "pending"
    server.start()
    try:
        await deliver_all(settings)
        assert len(await server.mailbox.wait_for(1)) == 1
    finally:
        server.stop()
    assert await statuses(settings) == {"sent": 1}


async def test_only_a_failed_message_can_be_sent_again(settings, client):
    await queue(settings, 1)
    message = (await client.get("/api/outbox")).json()[0]
    response = await client.post(f"/api/outbox/{message['id']}/retry")
    assert response.status_code == 409


async def test_a_worker_that_dies_after_sending_resends_the_same_message(settings, smtp):
    """The documented window: SMTP accepted, the worker died before recording it."""
    settings = offline_settings(settings, smtp.port)
    [message_id] = await queue(settings, 1)
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    async with sessions() as db:
        [claimed] = await claim(db, 10)
    connection = await backend_for(settings).connect()
    await connection.send(claimed)  # accepted by the server ...
    await connection.close()  # ... and the worker dies here, before marking it sent.
    async with sessions() as db, db.begin():
        await db.execute(update(OutboxMessage).values(locked_until=utcnow() - timedelta(seconds=1)))
    await engine.dispose()

    await deliver_all(settings)
    received = await smtp.mailbox.wait_for(2)
    assert [m["Message-ID"] for m in received] == [message_id, message_id]
    assert received[0].as_bytes() == received[1].as_bytes()
    assert await statuses(settings) == {"sent": 1}


async def test_a_sent_message_is_recorded_with_its_time_and_a_secret_one_loses_its_text(
    settings, smtp
):
    settings = offline_settings(settings, smtp.port)
    context = {"link": "http://x/", "minutes": 15, "expires_at": utcnow()}
    letters = [
        compose(settings, f"ansatt{n}@kommune.no", "Lenke", "sign_in", {"name": "A", **context})
        for n in range(4)
    ]
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            kept = await enqueue(db, settings, letters[:2], kind="test")
            secret = await enqueue(db, settings, letters[2:], kind="test", purge_after_send=True)
    finally:
        await engine.dispose()
    before = utcnow()
    await deliver_all(settings)
    rows = {message.message_id: message for message in await outbox_rows(settings)}
    assert await smtp.mailbox.wait_for(4)
    for message in rows.values():
        assert message.status == OutboxStatus.SENT
        assert message.sent_at is not None
        assert before - timedelta(seconds=1) <= message.sent_at <= utcnow()
        assert message.locked_until is None
        assert message.last_error == ""
    assert all(rows[m].mime for m in kept)
    assert all(rows[m].mime is None for m in secret)


class Choosy(Mailbox):
    """Refuses ansatt1 at RCPT TO and ansatt3's content at DATA, as a relay might."""

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("ansatt1@"):
            return "550 5.1.1 Ukjent mottaker"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if envelope.rcpt_tos == ["ansatt3@kommune.no"]:
            return "552 5.3.4 For stor"
        return await super().handle_DATA(server, session, envelope)


async def test_a_refused_message_leaves_the_others_sent_once_and_recorded(settings):
    """Each message's envelope goes while the one before is recorded: a refusal at either
    step fails only its own message, and every accepted one is recorded sent exactly once."""
    server = SmtpServer(free_port())
    server.mailbox = Choosy()
    server.start()
    try:
        settings = offline_settings(settings, server.port, outbox_max_attempts=1)
        ids = await queue(settings, 6)
        engine = create_engine(settings.database_url)
        try:
            await deliver_due(create_sessionmaker(engine), backend_for(settings), settings)
        finally:
            await engine.dispose()
        received = await server.mailbox.wait_for(4)
        await asyncio.sleep(0.2)  # nothing more arrives
        assert sorted(m["To"] for m in server.mailbox.messages) == [
            f"ansatt{n}@kommune.no" for n in (0, 2, 4, 5)
        ]
        assert {m["Message-ID"] for m in received} == {ids[n] for n in (0, 2, 4, 5)}
        assert await statuses(settings) == {"sent": 4, "failed": 2}
    finally:
        server.stop()


class Auditing(Mailbox):
    """Before accepting each message, reads the outbox (SQLite, from the server's thread) and
    notes every message it accepted before that is not yet recorded as sent; and notes the
    connections the messages came over. After every tenth it holds the database's write
    lock for a moment, so recording that one takes long enough to be overtaken."""

    def __init__(self, database: str) -> None:
        super().__init__()
        self.database = database
        self.accepted: list[str] = []
        self.unrecorded: list[set[str]] = []
        self.peers: set[object] = set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with sqlite3.connect(self.database) as db:
            sent = {
                row[0]
                for row in db.execute("SELECT message_id FROM outbox_message WHERE status = 'sent'")
            }
        if waiting := set(self.accepted) - sent:
            self.unrecorded.append(waiting)
        self.peers.add(session.peer)
        answer = await super().handle_DATA(server, session, envelope)
        self.accepted.append(self.messages[-1]["Message-ID"])
        if len(self.accepted) % 10 == 0:
            self._hold_write_lock(0.3)
        return answer

    def _hold_write_lock(self, seconds: float) -> None:
        held = threading.Event()

        def hold() -> None:
            db = sqlite3.connect(self.database, isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            held.set()
            time.sleep(seconds)
            db.execute("COMMIT")
            db.close()

        threading.Thread(target=hold, daemon=True).start()
        held.wait(5)  # taken before the server answers, so before the worker records it


# The server reads the outbox from its own thread through sqlite3: the rule is the worker's,
# the same on both databases.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_over_two_connections_no_content_goes_before_the_message_before_is_recorded(
    settings,
):
    """Two connections at once, and still at most one message accepted and not recorded at
    any moment: a worker killed at any point sends at most one message twice."""
    mailbox = Auditing(settings.database_url.split(":///", 1)[1])
    ids = await deliver_over_two_connections(settings, mailbox, 120)
    assert sorted(mailbox.accepted) == sorted(ids)
    assert len(mailbox.peers) == 2
    assert mailbox.unrecorded == []
    assert await statuses(settings) == {"sent": 120}


class Dropping(Mailbox):
    """Drops the connection the first time ansatt5 is named, as a server restarting would."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = False

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("ansatt5@") and not self.dropped:
            self.dropped = True
            server.transport.close()
            return "421 4.3.2 Tjenesten starter på nytt"
        envelope.rcpt_tos.append(address)
        return "250 OK"


async def test_a_dropped_connection_leaves_the_rest_to_the_other_and_its_message_is_retried(
    settings,
):
    mailbox = Dropping()
    ids = await deliver_over_two_connections(settings, mailbox, 40)
    assert mailbox.dropped
    counts = Counter(m["Message-ID"] for m in mailbox.messages)
    assert set(counts) == set(ids)
    assert max(counts.values()) == 1
    assert await statuses(settings) == {"sent": 40}
    attempts = [message.attempts for message in await outbox_rows(settings)]
    # Only the message in hand when the connection dropped was tried again (and, if the
    # client read the 421 as a refusal first, the next on that connection).
    assert sum(1 for tries in attempts if tries > 1) in (1, 2)


class OneConnectionController(Controller):
    """An SMTP server that takes one connection at a time and greets any further one with
    421, as a relay with a limit per client does."""

    def factory(self):
        controller = self

        class OneAtATime(SMTP):
            def connection_made(self, transport):
                self.counted = not controller.busy
                if not self.counted:
                    transport.write(b"421 4.7.0 For mange samtidige tilkoblinger\r\n")
                    transport.close()
                    controller.turned_away += 1
                    return
                controller.busy = True
                super().connection_made(transport)

            def connection_lost(self, exc):
                if self.counted:
                    controller.busy = False
                    super().connection_lost(exc)

        return OneAtATime(self.handler, **self.SMTP_kwargs)


async def test_a_server_that_takes_one_connection_at_a_time_gets_every_message_once(settings):
    port = free_port()
    mailbox = Mailbox()
    controller = OneConnectionController(mailbox, hostname="127.0.0.1", port=port)
    controller.busy, controller.turned_away = False, 0
    controller.start()
    try:
        settings = offline_settings(settings, port, outbox_connections=3, outbox_max_attempts=1)
        ids = await queue(settings, 60)
        await deliver_all(settings)
        received = await mailbox.wait_for(60)
        await asyncio.sleep(0.2)  # nothing more arrives
    finally:
        controller.stop()
    assert controller.turned_away >= 1
    assert sorted(m["Message-ID"] for m in mailbox.messages) == sorted(ids)
    assert len(received) == 60
    assert await statuses(settings) == {"sent": 60}


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_two_workers_on_one_database_deliver_1000_messages_exactly_once(
    settings, smtp, database_url
):
    settings = offline_settings(settings, smtp.port, outbox_batch_size=25, outbox_poll_seconds=0.05)
    sent_ids = await queue(settings, 1000)
    stop = asyncio.Event()
    engines = [create_engine(settings.database_url) for _ in range(2)]
    workers = [
        asyncio.create_task(run_worker(create_sessionmaker(engine), settings, stop))
        for engine in engines
    ]
    try:
        # Each message is recorded in a commit of its own, and on SQLite the two workers take
        # turns at the write lock: on a busy machine that can take more than the usual 15 s.
        async with asyncio.timeout(60):
            while len(smtp.mailbox.messages) < 1000:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # time for a double to show up, if there were one
    finally:
        stop.set()
        await asyncio.gather(*workers)
        for engine in engines:
            await engine.dispose()
    counts = Counter(m["Message-ID"] for m in smtp.mailbox.messages)
    assert len(smtp.mailbox.messages) == 1000
    assert set(counts) == set(sent_ids)
    assert max(counts.values()) == 1
    assert await statuses(settings) == {"sent": 1000}


async def test_folder_backend_writes_eml_files_a_person_can_open(settings, tmp_path):
    settings = msgspec.structs.replace(settings, mail_folder=tmp_path / "mail", outbox_worker=False)
    [message_id] = await queue(settings, 1)
    await deliver_all(settings)
    [path] = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Message-ID"] == message_id
    assert message.get_body(("plain",)).get_content().startswith("Hei Ansatt 0")
    assert message.get_body(("html",)) is not None
    # Sending the same message again leaves one file, not two.
    engine = create_engine(settings.database_url)
    async with create_sessionmaker(engine)() as db:
        row = await db.scalar(select(OutboxMessage))
    await engine.dispose()
    backend = await FolderBackend(tmp_path / "mail").connect()
    await backend.send(Claimed(row.id, row.message_id, row.recipient, path.read_bytes(), 1))
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


async def test_mail_is_norwegian_with_a_text_and_an_html_part(settings):
    letter = compose(
        settings,
        "kari@kommune.no",
        "Lenke for å logge inn i Medvirkning",
        "sign_in",
        {"name": "Kari", "link": "http://x/logg-inn/abc", "minutes": 15, "expires_at": utcnow()},
    )
    message_id, mime = letter_bytes(settings, letter)
    parsed = email.message_from_bytes(mime, policy=email.policy.default)
    assert parsed["Message-ID"] == message_id
    assert parsed["Subject"] == "Lenke for å logge inn i Medvirkning"
    assert (
        parsed["From"].addresses[0].display_name
        == "Medvirkning – ERP-prosjektet i Kongsbergregionen"
    )
    assert parsed.get_content_type() == "multipart/alternative"
    assert not parsed.defects
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Lenken virker én gang og er gyldig i 15 minutter" in text
    assert '<html lang="nb">' in html
    assert 'href="http://x/logg-inn/abc"' in html
    assert all(len(line) <= 998 for line in mime.split(b"\r\n"))


async def test_a_letter_with_a_calendar_is_mixed_with_the_file_attached(settings):
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:M\xc3\xb8te\r\nEND:VCALENDAR\r\n"
    letter = Letter(
        "kari@kommune.no", "Invitasjon: Møte", "Tekst æøå " * 40, "<p>HTML</p>", ics, "REQUEST"
    )
    _, mime = letter_bytes(settings, letter)
    parsed = email.message_from_bytes(mime, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    assert not parsed.defects
    [calendar] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_payload(decode=True) == ics
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "invitasjon.ics"
    assert attachment.get_payload(decode=True) == ics
    assert parsed.get_body(("plain",)).get_content().rstrip() == ("Tekst æøå " * 40).rstrip()


async def test_the_worker_command_sends_on_its_own_and_stops_on_sigterm(settings, tmp_path):
    import os
    import signal
    import sys

    await queue(settings, 3)
    env = os.environ | {
        "MEDVIRKNING_DATABASE_URL": settings.database_url,
        "MEDVIRKNING_DATA_DIR": str(settings.data_dir),
        "MEDVIRKNING_MAIL_FOLDER": str(tmp_path / "ut"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "medvirkning",
        "worker",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(30):
            while len(list((tmp_path / "ut").glob("*.eml"))) < 3:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = await process.communicate()
    assert process.returncode == 0, out.decode()
    assert await statuses(settings) == {"sent": 3}
