"""An answer cannot be joined to the person who gave it, by anything an administrator with
SQL access can read: not a column, not an id, not PostgreSQL's xmin or ctid, not SQLite's
rowid order, not a date, not the outbox or the logs. And one link answers once, even when it
is submitted twice at the same moment."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import func, select, text

from medvirkning.mail.models import OutboxStatus
from medvirkning.surveys import answering
from medvirkning.surveys.models import SurveyAnswer
from medvirkning.surveys.respondents import SurveyAnswered, SurveyOpenLink
from medvirkning.surveys.submitting import SubmitQueue
from medvirkning.transaction import Database
from tests.support import database
from tests.survey_links import (
    form,
    full_answers,
    link_in,
    links_in_outbox,
    published_survey,
    send_to,
    session_on,
    until_mixed,
)


async def _submit(url: str, settings: Any, token: str, answers: dict[str, Any]) -> None:
    database_ = Database.connect(url)
    try:
        async with database_.transaction() as db:
            found = await answering.respondent(db, settings, token)
            await answering.submit(db, found, answers)
    finally:
        await database_.close()


# --- one link, submitted twice at the same moment ------------------------------------------


async def test_one_link_submitted_twice_at_once_stores_exactly_one_answer(anonymous):
    settings = anonymous.app.state.settings
    async with database(anonymous) as db, db.begin():
        survey_id = await published_survey(db)
        await send_to(db, settings, survey_id, ["samtidig@kommune.no"])
        token = (await links_in_outbox(db))["samtidig@kommune.no"]
    barrier = asyncio.Barrier(2)
    engines = [Database.connect(settings.database_url) for _ in range(2)]

    async def one(database_: Database) -> str:
        try:
            async with database_.transaction() as db:
                found = await answering.respondent(db, settings, token)
                assert found.state == "open"  # both have read the link as unanswered
                await barrier.wait()
                await answering.submit(db, found, full_answers())
            return "stored"
        except answering.AlreadyAnswered as refused:
            return refused.message

    try:
        outcomes = await asyncio.gather(*(one(e) for e in engines))
    finally:
        for engine in engines:
            await engine.close()
    assert sorted(outcomes) == sorted(["stored", answering.AlreadyAnswered.message])
    assert "allerede brukt til å svare" in answering.AlreadyAnswered.message
    async with database(anonymous) as db:
        assert await db.scalar(select(func.count()).select_from(SurveyAnswer)) == 1
        assert await db.scalar(select(func.count()).select_from(SurveyAnswered)) == 1


async def test_the_page_tells_the_second_of_two_simultaneous_submits_it_was_already_answered(
    live_server, settings
):
    async with session_on(settings.database_url) as db, db.begin():
        survey_id = await published_survey(db)
        await send_to(db, settings, survey_id, ["to.faner@kommune.no"])
        token = (await links_in_outbox(db))["to.faner@kommune.no"]
    url = f"/undersokelse/{token}"
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        await http.get(url)
        csrf = http.cookies["csrftoken"]
        answers = full_answers()
        await http.post(url, data={**form(answers, 1, "neste"), "_csrf_token": csrf})
        pages = await asyncio.gather(
            *(
                http.post(url, data={**form(answers, 2, "send"), "_csrf_token": csrf})
                for _ in range(2)
            )
        )
    statuses = sorted(page.status_code for page in pages)
    assert statuses == [303, 409]
    receipt = next(p for p in pages if p.status_code == 303).headers["location"]
    assert receipt == f"{url}/kvittering"
    assert "Du har allerede svart" in next(p.text for p in pages if p.status_code == 409)
    async with session_on(settings.database_url) as db:
        assert await db.scalar(select(func.count()).select_from(SurveyAnswer)) == 1


async def test_many_people_submitting_at_once_each_twice_store_one_answer_each(
    live_server, settings
):
    people = [f"samtidig.{n}@notodden.kommune.no" for n in range(10)]
    async with session_on(settings.database_url) as db, db.begin():
        survey_id = await published_survey(db)
        await send_to(db, settings, survey_id, people)
        links = await links_in_outbox(db)
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        await http.get("/tilgjengelighet")
        csrf = http.cookies["csrftoken"]
        for person in people:
            await http.post(
                f"/undersokelse/{links[person]}",
                data={**form(full_answers(), 1, "neste"), "_csrf_token": csrf},
            )
        pages = await asyncio.gather(
            *(
                http.post(
                    f"/undersokelse/{links[person]}",
                    data={**form(full_answers(), 2, "send"), "_csrf_token": csrf},
                )
                for person in people * 2
            )
        )
    assert sorted(page.status_code for page in pages) == [303] * 10 + [409] * 10
    async with session_on(settings.database_url) as db:
        assert await db.scalar(select(func.count()).select_from(SurveyAnswer)) == 10
        assert await db.scalar(select(func.count()).select_from(SurveyAnswered)) == 10


# --- what the database holds ----------------------------------------------------------------


async def table_rows(db: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table as SQL shows it, with the system columns on PostgreSQL."""
    if db.get_bind().dialect.name == "postgresql":
        names = await db.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        )
        columns = "xmin::text AS xmin, ctid::text AS ctid, *"
    else:
        names = await db.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
        )
        columns = "*"
    found = {}
    for name in list(names):
        rowid = ", rowid AS rowid" if db.get_bind().dialect.name == "sqlite" else ""
        try:
            result = await db.execute(text(f'SELECT {columns}{rowid} FROM "{name}"'))
        except Exception:  # a WITHOUT ROWID table
            result = await db.execute(text(f'SELECT * FROM "{name}"'))
        found[name] = [dict(row) for row in result.mappings()]
    return found


def _text(row: dict[str, Any]) -> str:
    return " ".join(
        value.decode("latin-1") if isinstance(value, bytes) else str(value)
        for value in row.values()
    )


@pytest.fixture
def served(smtp_settings: Any, caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    """The app as `medvirkning run` serves it (proxy headers, the access log through its
    secrets filter), sending mail to the test's SMTP server, every log line captured."""
    import threading
    import time

    import uvicorn

    from medvirkning.app import create_app
    from medvirkning.security import uvicorn_log_config
    from tests.conftest import free_port

    port = free_port()
    config = uvicorn.Config(
        create_app(smtp_settings),
        host="127.0.0.1",
        port=port,
        log_level="debug",
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_config=uvicorn_log_config(),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    caplog.set_level(logging.DEBUG)
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).addHandler(caplog.handler)  # after the secrets filter
    yield f"http://127.0.0.1:{port}"
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).removeHandler(caplog.handler)
    server.should_exit = True
    thread.join(timeout=10)


async def _answer(http: httpx.AsyncClient, token: str, answers: dict[str, Any], ip: str) -> None:
    url = f"/undersokelse/{token}"
    await http.get(url, headers={"x-forwarded-for": ip})
    for section, action in ((1, "neste"), (2, "send")):
        data = {**form(answers, section, action), "_csrf_token": http.cookies["csrftoken"]}
        done = await http.post(url, data=data, headers={"x-forwarded-for": ip})
        assert done.status_code == 303, done.text


async def test_no_token_address_or_ip_is_stored_or_logged_next_to_an_answer(
    served, smtp_settings, smtp, caplog
):
    settings = smtp_settings
    people = [f"ansatt.{n}@rollag.kommune.no" for n in range(6)]
    ips = [f"203.0.113.{10 + n}" for n in range(len(people) + 2)]
    open_code = "intranett" + "X7" * 10
    async with session_on(settings.database_url) as db, db.begin():
        survey_id = await published_survey(db, threshold=3)
        await send_to(db, settings, survey_id, people)
        db.add(SurveyOpenLink(survey_id=survey_id, code=open_code, limit_per_hour=10))
    letters = await smtp.mailbox.wait_for(len(people))
    tokens = {message["To"]: link_in(message.as_bytes()) for message in letters}
    assert set(tokens) == set(people)
    async with httpx.AsyncClient(base_url=served, timeout=60) as http:
        # Each person answers from an address of their own; two more through the open link.
        for (_, token), ip in zip(sorted(tokens.items()), ips, strict=False):
            await _answer(http, token, full_answers(ips.index(ip)), ip)
        opened = []
        for ip in ips[-2:]:
            page = f"/apen-undersokelse/{open_code}"
            await http.get(page, headers={"x-forwarded-for": ip})
            started = await http.post(
                page,
                data={"_csrf_token": http.cookies["csrftoken"]},
                headers={"x-forwarded-for": ip},
            )
            assert started.status_code == 303, started.text
            opened.append(started.headers["location"].rsplit("/", 1)[1])
            await _answer(http, opened[-1], full_answers(), ip)
    secrets_ = [*tokens.values(), *opened]
    async with session_on(settings.database_url) as db:
        await until_mixed(db)  # the newest batch's mix follows it within about a second
        rows = await table_rows(db)
        is_postgres = db.get_bind().dialect.name == "postgresql"
    stored_answers = rows["survey_answer"]
    assert len(stored_answers) == len(people) + 2
    for row in stored_answers:
        assert set(row) - {"xmin", "ctid", "rowid"} == {
            "id",
            "survey_version_id",
            "municipality_id",
            "answered_on",
            "answers",
        }
        stored = _text(row)
        for secret in [*secrets_, *people, *ips]:
            assert secret not in stored, f"{secret} stored with an answer"
    everything = "\n".join(_text(row) for table in rows.values() for row in table)
    for secret in secrets_:
        assert secret not in everything, "a link token is stored"
    for ip in ips:
        assert ip not in everything, "an IP address is stored"
    for table, held in rows.items():
        if table not in ("survey_recipient", "outbox_message"):
            for person in people:
                assert person not in "\n".join(map(_text, held)), f"{person} in {table}"
    # The letters are sent, and their text (with the link) is gone from the outbox.
    sent = [row for row in rows["outbox_message"] if row["kind"] == "survey_link"]
    assert len(sent) == len(people)
    assert all(row["status"] == OutboxStatus.SENT.value for row in sent)
    assert all(row["mime"] is None for row in sent)
    if is_postgres:
        # One transaction wrote every answer and every mark: xmin tells none apart.
        written_by = {row["xmin"] for row in [*stored_answers, *rows["survey_answered"]]}
        assert len(written_by) == 1
    # What the service logged (the test's own HTTP client logs the links it opens).
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    assert "POST /undersokelse/***" in logged  # the access log was captured, redacted
    for secret in secrets_:
        assert secret not in logged
    for row in stored_answers:
        assert row["answers"] not in logged
    assert "Bedre rapporter" not in logged


# --- 200 answers in a known order -----------------------------------------------------------

RESPONDENTS = 200


def spearman(first: list[float], second: list[float]) -> float:
    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        ranked = [0.0] * len(values)
        for rank, index in enumerate(order):
            ranked[index] = float(rank)
        return ranked

    a, b = ranks(first), ranks(second)
    n = len(a)
    mean = (n - 1) / 2
    top = sum((x - mean) * (y - mean) for x, y in zip(a, b, strict=True))
    bottom = sum((x - mean) ** 2 for x in a)
    return top / bottom


def _physical(row: dict[str, Any]) -> tuple[int, ...]:
    if "ctid" in row:  # "(page,offset)"
        page, offset = row["ctid"].strip("()").split(",")
        return int(page), int(offset)
    return (int(row["rowid"]),)


async def _submit_queued(url: str, settings: Any, tokens: list[str]) -> None:
    """Through the answering pages' queue, one at a time: each its own batch, left waiting
    for the queue's mix (at most one a second), which must have run when it returns."""
    database_ = Database.connect(url)
    queue = SubmitQueue(database_)
    try:
        for n, token in enumerate(tokens):
            async with database_.transaction() as db:
                found = await answering.respondent(db, settings, token)
            assert await queue.submit(answering.submission_of(found, full_answers(n)))
        async with database_.transaction() as db:
            await until_mixed(db)  # the mixer's own time, not a shutdown's
    finally:
        await queue.close()
        await database_.close()


@pytest.mark.parametrize("path", ["one transaction each", "the answering pages' queue"])
async def test_nothing_stored_predicts_who_gave_which_of_200_answers(anonymous, path):
    settings = anonymous.app.state.settings
    people = [f"person.{n:03d}@kongsberg.kommune.no" for n in range(RESPONDENTS)]
    async with database(anonymous) as db, db.begin():
        survey_id = await published_survey(db, threshold=3)
        await send_to(db, settings, survey_id, people)
        links = await links_in_outbox(db)
    # Person n answers n-th, with n in the free text: who gave which answer is known.
    if path == "one transaction each":
        for n, person in enumerate(people):
            await _submit(settings.database_url, settings, links[person], full_answers(n))
    else:
        await _submit_queued(settings.database_url, settings, [links[p] for p in people])
    async with database(anonymous) as db:
        rows = await table_rows(db)
        recipients = {row["id"]: people.index(row["email"]) for row in rows["survey_recipient"]}
    answers_ = rows["survey_answer"]
    marks = rows["survey_answered"]
    assert len(answers_) == len(marks) == RESPONDENTS
    author = [int(msgspec.json.decode(row["answers"])["annet"].split()[-1]) for row in answers_]
    assert sorted(author) == list(range(RESPONDENTS))
    # Orders an administrator could read off the answer rows: none follows the submit order.
    predictors = {
        "physical order": [_physical(row) for row in answers_],
        "answer id": [row["id"] for row in answers_],
    }
    if "xmin" in answers_[0]:
        assert len({row["xmin"] for row in answers_} | {row["xmin"] for row in marks}) == 1
    assert len({row["answered_on"] for row in answers_}) == 1  # the day, the same for all
    for name, keys in predictors.items():
        order = sorted(range(RESPONDENTS), key=lambda i: keys[i])
        position = [0.0] * RESPONDENTS
        for rank, index in enumerate(order):
            position[index] = float(rank)
        rho = spearman(position, [float(a) for a in author])
        assert abs(rho) < 0.3, f"{name} follows the submit order (rho {rho:.2f})"
    # Pairing the k-th answer with the k-th "has answered" mark, as stored: chance only.
    answers_in_place = [
        author[i] for i in sorted(range(RESPONDENTS), key=lambda i: _physical(answers_[i]))
    ]
    marks_in_place = [recipients[row["recipient_id"]] for row in sorted(marks, key=_physical)]
    matches = sum(a == m for a, m in zip(answers_in_place, marks_in_place, strict=True))
    assert matches <= 7, f"{matches} of {RESPONDENTS} answers sit where their mark sits"
    mark_rho = spearman([float(m) for m in marks_in_place], [float(i) for i in range(RESPONDENTS)])
    assert abs(mark_rho) < 0.3, f"the marks' order follows the submit order ({mark_rho:.2f})"
