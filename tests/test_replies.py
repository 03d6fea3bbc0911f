"""Answers from the calendar's own buttons: REPLYs as Outlook, Google and Thunderbird write
them (tests/replies/*.eml), delivered to a real IMAP server (Dovecot) and read by the job."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import hmac
import json
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from email.header import Header
from pathlib import Path
from string import Template

import msgspec
import pytest

from medvirkning.auth.models import Role
from medvirkning.formats import OSLO
from medvirkning.mail.imap import MailboxUnavailable, oauth_token, reply_mailbox
from medvirkning.meetings.replies import Outcome, poll_replies
from medvirkning.settings import Settings, SettingsError, load_settings
from medvirkning.transaction import Database
from tests.conftest import REPLY_ADDRESS
from tests.support import sign_in_as
from tests.test_meetings import (
    IN_A_WEEK,
    calendar_of,
    event_of,
    meeting_body,
    reference_group,
    reminders,
)

FIXTURES = Path(__file__).parent / "replies"
HANDLED, UNREADABLE = "Medvirkning/Behandlet", "Medvirkning/Uleselig"
SUBJECTS = {
    "outlook": {"ACCEPTED": "Godtatt", "TENTATIVE": "Foreløpig godtatt", "DECLINED": "Avslått"},
    "google": {
        "ACCEPTED": "Invitasjon godtatt",
        "TENTATIVE": "Invitasjon godtatt foreløpig",
        "DECLINED": "Invitasjon avslått",
        "DELEGATED": "Invitasjon delegert",
    },
    "thunderbird": {"ACCEPTED": "Godtatt", "TENTATIVE": "Foreløpig godtatt", "DECLINED": "Avslått"},
}


def calendar_reply(
    program: str,
    invitation: dict,
    meeting: dict,
    partstat: str,
    *,
    sender: str = "",
    uid: str = "",
    recurrence: datetime | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """The REPLY this calendar program sends when the invitee presses a button."""
    start = datetime.fromisoformat(meeting["starts_at"])
    end = datetime.fromisoformat(meeting["ends_at"])
    stamp = stamp or datetime.now(UTC)
    subject = f"{SUBJECTS[program][partstat]}: {meeting['title']}"

    def local(moment: datetime) -> str:
        return moment.astimezone(OSLO).strftime("%Y%m%dT%H%M%S")

    def utc(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    lines = (FIXTURES / f"{program}.eml").read_text().splitlines()
    if recurrence is None:  # a REPLY for a single meeting or a whole series
        lines = [line for line in lines if "${RECURRENCE_" not in line]
    text = Template("\r\n".join(lines) + "\r\n").substitute(
        NAME=invitation["person"]["name"],
        FROM=sender or invitation["email"],
        ATTENDEE=invitation["email"].upper() if program == "outlook" else invitation["email"],
        ORGANIZER=REPLY_ADDRESS,
        SUBJECT=Header(subject, "utf-8").encode(linesep="\r\n"),
        SUBJECT_TEXT=subject,
        DATE=email.utils.format_datetime(stamp),
        TOKEN=uuid.uuid4().hex,
        UID=uid or meeting["series_uid"] or meeting["uid"],
        PARTSTAT=partstat,
        STAMP=utc(stamp),
        START_LOCAL=local(start),
        END_LOCAL=local(end),
        START_UTC=utc(start),
        END_UTC=utc(end),
        RECURRENCE_LOCAL=local(recurrence) if recurrence else "",
        RECURRENCE_UTC=utc(recurrence) if recurrence else "",
    )
    return text.encode()


async def poll(settings: Settings) -> dict[Outcome, int]:
    database = Database.connect(settings.database_url)
    try:
        return await poll_replies(database, settings)
    finally:
        await database.close()


async def answers(client, meeting_id: int) -> dict[str, str]:
    meeting = (await client.get(f"/api/meetings/{meeting_id}")).json()
    return {i["email"].split("@")[0]: i["answer"] for i in meeting["invitations"]}


@pytest.fixture
async def organiser(reply_client):
    await sign_in_as(reply_client, Role.ADMIN, email="pl@kongsbergregionen.no")
    return reply_client


async def invited(organiser, smtp, **changes) -> tuple[dict, dict[str, dict]]:
    group_id, _ = await reference_group(organiser)
    created = await organiser.post("/api/meetings", json=meeting_body(group_id, **changes))
    assert created.status_code == 201, created.text
    meeting = created.json()
    await smtp.mailbox.wait_for(3)
    people = {i["email"].split("@")[0]: i for i in meeting["invitations"]}
    return meeting, people


@pytest.mark.parametrize(
    ("program", "partstat", "answer"),
    [
        ("outlook", "ACCEPTED", "accepted"),
        ("google", "TENTATIVE", "tentative"),
        ("thunderbird", "DECLINED", "declined"),
    ],
)
async def test_a_calendar_answer_is_recorded_and_the_reply_moved_to_the_handled_folder(
    organiser, smtp, reply_settings, imap_mailbox, program, partstat, answer
):
    meeting, people = await invited(organiser, smtp)
    # The calendar asks for an answer and sends it to the reply mailbox.
    _, calendar = calendar_of(smtp.mailbox.messages[0])
    event = event_of(calendar)
    assert str(event["ORGANIZER"]) == f"mailto:{REPLY_ADDRESS}"
    assert {a.params["RSVP"] for a in event.get("ATTENDEE")} == {"TRUE"}
    text = smtp.mailbox.messages[0].get_body(("plain",)).get_content()
    assert "knappene i kalenderen din" in text or "knappane i kalenderen din" in text

    reply = calendar_reply(program, people["anne"], meeting, partstat)
    await imap_mailbox.append(reply)
    assert await poll(reply_settings) == {Outcome.HANDLED: 1, Outcome.UNREADABLE: 0}
    assert await answers(organiser, meeting["id"]) == {
        "anne": answer,
        "olav": "no_answer",
        "siri": "no_answer",
    }
    assert await imap_mailbox.messages() == []
    assert len(await imap_mailbox.messages(HANDLED)) == 1

    # A crash before the move leaves the reply in the inbox: reading it again is harmless.
    await imap_mailbox.append(reply)
    assert await poll(reply_settings) == {Outcome.HANDLED: 1, Outcome.UNREADABLE: 0}
    assert (await answers(organiser, meeting["id"]))["anne"] == answer
    assert len(await imap_mailbox.messages(HANDLED)) == 2


async def test_an_answer_to_one_occurrence_of_a_series_answers_only_that_occurrence(
    organiser, smtp, reply_settings, imap_mailbox
):
    until = (IN_A_WEEK + timedelta(weeks=2)).date().isoformat()
    first, people = await invited(organiser, smtp, repeat_every_weeks=1, repeat_until=until)
    series = [m for m in (await organiser.get("/api/meetings")).json() if m["series_uid"]]
    assert len(series) == 3
    second = datetime.fromisoformat(series[1]["starts_at"])
    # The second is moved a day: calendars still name it by its original start.
    moved_to = second + timedelta(days=1)
    moved = await organiser.patch(
        f"/api/meetings/{series[1]['id']}",
        json={
            "starts_at": moved_to.isoformat(),
            "ends_at": (moved_to + timedelta(hours=1)).isoformat(),
        },
    )
    assert moved.status_code == 200, moved.text
    # Outlook names the occurrence in its own zone, Google in UTC, Thunderbird in Oslo time.
    await imap_mailbox.append(
        calendar_reply("outlook", people["anne"], moved.json(), "DECLINED", recurrence=second)
    )
    await imap_mailbox.append(
        calendar_reply("google", people["siri"], moved.json(), "TENTATIVE", recurrence=second)
    )
    # Thunderbird answers the whole series: every occurrence to come.
    await imap_mailbox.append(calendar_reply("thunderbird", people["olav"], first, "ACCEPTED"))
    assert await poll(reply_settings) == {Outcome.HANDLED: 3, Outcome.UNREADABLE: 0}
    assert [await answers(organiser, m["id"]) for m in series] == [
        {"anne": "no_answer", "olav": "accepted", "siri": "no_answer"},
        {"anne": "declined", "olav": "accepted", "siri": "tentative"},
        {"anne": "no_answer", "olav": "accepted", "siri": "no_answer"},
    ]


async def test_a_forged_sender_is_refused_and_nothing_is_recorded(
    organiser, smtp, reply_settings, imap_mailbox
):
    meeting, people = await invited(organiser, smtp)
    # Siri's address in From, Anne as the ATTENDEE: someone answering for another.
    forged = calendar_reply(
        "outlook", people["anne"], meeting, "DECLINED", sender="eve@example.com"
    )
    await imap_mailbox.append(forged)
    other = calendar_reply(
        "google", people["anne"], meeting, "ACCEPTED", sender=people["siri"]["email"]
    )
    await imap_mailbox.append(other)
    assert await poll(reply_settings) == {Outcome.HANDLED: 0, Outcome.UNREADABLE: 2}
    assert set((await answers(organiser, meeting["id"])).values()) == {"no_answer"}
    assert await imap_mailbox.messages() == []
    refused = await imap_mailbox.messages(UNREADABLE)
    assert sorted(refused) == sorted([forged, other])  # moved whole, never deleted


async def test_an_unreadable_message_is_moved_aside_not_deleted(
    organiser, smtp, reply_settings, imap_mailbox
):
    meeting, people = await invited(organiser, smtp)
    plain = (
        f"From: Anne Berg <{people['anne']['email']}>\r\nTo: {REPLY_ADDRESS}\r\n"
        "Subject: SV: Invitasjon\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\nJeg kommer, men blir litt forsinket.\r\n"
    ).encode()
    unknown = calendar_reply("thunderbird", people["olav"], meeting, "ACCEPTED", uid="x@example")
    # Handing the invitation on to someone else is for a person to read.
    delegated = calendar_reply("google", people["siri"], meeting, "DELEGATED")
    for message in (plain, unknown, delegated):
        await imap_mailbox.append(message)
    assert await poll(reply_settings) == {Outcome.HANDLED: 0, Outcome.UNREADABLE: 3}
    assert sorted(await imap_mailbox.messages(UNREADABLE)) == sorted([plain, unknown, delegated])
    assert set((await answers(organiser, meeting["id"])).values()) == {"no_answer"}


async def test_folder_names_may_hold_norwegian_letters(
    organiser, smtp, reply_settings, imap_mailbox
):
    meeting, people = await invited(organiser, smtp)
    settings = msgspec.structs.replace(
        reply_settings,
        reply_folder_handled="Medvirkning/Håndterte svar",
        reply_folder_unreadable="Medvirkning/Må leses",
    )
    await imap_mailbox.append(calendar_reply("google", people["siri"], meeting, "ACCEPTED"))
    await imap_mailbox.append(b"From: x@example.com\r\nSubject: hei\r\n\r\nhei\r\n")
    assert await poll(settings) == {Outcome.HANDLED: 1, Outcome.UNREADABLE: 1}
    # IMAP's own encoding of the names (RFC 3501 5.1.3), which Dovecot checks.
    assert len(await imap_mailbox.messages("Medvirkning/H&AOU-ndterte svar")) == 1
    assert len(await imap_mailbox.messages("Medvirkning/M&AOU- leses")) == 1


async def test_a_reply_to_a_cancelled_meeting_is_filed_and_not_recorded(
    organiser, smtp, reply_settings, imap_mailbox
):
    meeting, people = await invited(organiser, smtp)
    await organiser.post(f"/api/meetings/{meeting['id']}/cancel")
    await imap_mailbox.append(calendar_reply("google", people["siri"], meeting, "ACCEPTED"))
    assert await poll(reply_settings) == {Outcome.HANDLED: 1, Outcome.UNREADABLE: 0}
    assert (await answers(organiser, meeting["id"]))["siri"] == "no_answer"
    assert len(await imap_mailbox.messages(HANDLED)) == 1


async def test_an_older_calendar_answer_does_not_overwrite_a_newer_one(
    organiser, smtp, reply_settings, imap_mailbox
):
    meeting, people = await invited(organiser, smtp)
    newer = datetime.now(UTC)
    await imap_mailbox.append(
        calendar_reply("outlook", people["anne"], meeting, "DECLINED", stamp=newer)
    )
    await poll(reply_settings)
    stale = calendar_reply(
        "thunderbird", people["anne"], meeting, "ACCEPTED", stamp=newer - timedelta(hours=1)
    )
    await imap_mailbox.append(stale)
    assert await poll(reply_settings) == {Outcome.HANDLED: 1, Outcome.UNREADABLE: 0}
    assert (await answers(organiser, meeting["id"]))["anne"] == "declined"


async def test_who_answered_in_the_calendar_gets_no_not_answered_reminder(
    organiser, smtp, reply_settings, imap_mailbox
):
    meeting, people = await invited(organiser, smtp)
    await imap_mailbox.append(calendar_reply("outlook", people["anne"], meeting, "DECLINED"))
    await imap_mailbox.append(calendar_reply("google", people["siri"], meeting, "TENTATIVE"))
    await poll(reply_settings)
    start = IN_A_WEEK.astimezone(OSLO)
    assert await reminders(organiser, start - timedelta(days=1, hours=23)) == 1
    [reminder] = (await smtp.mailbox.wait_for(4))[3:]
    assert reminder["To"] == people["olav"]["email"]


async def test_the_service_reads_the_mailbox_by_itself(
    smtp, reply_settings, imap_mailbox, organiser
):
    meeting, people = await invited(organiser, smtp)
    await imap_mailbox.append(calendar_reply("thunderbird", people["olav"], meeting, "ACCEPTED"))
    from litestar.testing import AsyncTestClient

    from medvirkning.app import create_app

    fast = msgspec.structs.replace(reply_settings, replies_every_seconds=0.2)
    async with AsyncTestClient(app=create_app(fast)):
        async with asyncio.timeout(20):
            # The job runs in the app's own loop; polling the API is the simple bridge.
            while (await answers(organiser, meeting["id"]))["olav"] != "accepted":  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    assert len(await imap_mailbox.messages(HANDLED)) == 1


async def test_the_replies_command_reads_the_mailbox_once(
    smtp, reply_settings, imap_mailbox, organiser
):
    meeting, people = await invited(organiser, smtp)
    await imap_mailbox.append(calendar_reply("google", people["siri"], meeting, "DECLINED"))
    await imap_mailbox.append(b"From: x@example.com\r\nSubject: hei\r\n\r\nhei\r\n")
    environment = {
        "MEDVIRKNING_DATA_DIR": str(reply_settings.data_dir),
        "MEDVIRKNING_DATABASE_URL": reply_settings.database_url,
        "MEDVIRKNING_REPLY_IMAP_HOST": reply_settings.reply_imap_host,
        "MEDVIRKNING_REPLY_IMAP_PORT": str(reply_settings.reply_imap_port),
        "MEDVIRKNING_REPLY_IMAP_SECURITY": "none",
        "MEDVIRKNING_REPLY_IMAP_USERNAME": reply_settings.reply_imap_username,
        "MEDVIRKNING_REPLY_IMAP_PASSWORD": reply_settings.reply_imap_password,
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MEDVIRKNING_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "medvirkning",
        "replies",
        env=clean | environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().strip() == f"1 replies handled, 1 moved to {UNREADABLE}."
    assert (await answers(organiser, meeting["id"]))["siri"] == "declined"


async def test_without_a_reply_mailbox_invitations_ask_for_answers_through_the_link(
    mail_client, smtp
):
    await sign_in_as(mail_client, Role.ADMIN, email="pl@kongsbergregionen.no")
    await invited(mail_client, smtp)
    for message in smtp.mailbox.messages:
        _, calendar = calendar_of(message)
        assert {a.params["RSVP"] for a in event_of(calendar).get("ATTENDEE")} == {"FALSE"}
        text = message.get_body(("plain",)).get_content()
        assert "gjennom lenk" in text
        assert "i kalenderen din blir ikk" in text
        html = message.get_body(("html",)).get_content()
        assert "gjennom lenk" in html


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_the_mailbox_is_read_over_tls_and_an_unknown_certificate_is_refused(
    organiser, smtp, reply_settings, imap_mailbox, monkeypatch, security
):
    if not os.environ.get("MEDVIRKNING_TEST_IMAP_TLS_PORT"):
        pytest.skip("the throwaway Dovecot has no certificate (openssl is missing)")
    port = reply_settings.reply_imap_port
    if security == "tls":
        port = int(os.environ["MEDVIRKNING_TEST_IMAP_TLS_PORT"])
    secure = msgspec.structs.replace(
        reply_settings, reply_imap_security=security, reply_imap_port=port
    )
    meeting, people = await invited(organiser, smtp)
    await imap_mailbox.append(calendar_reply("outlook", people["anne"], meeting, "TENTATIVE"))
    # The server's certificate is signed by no authority this machine trusts.
    with pytest.raises(MailboxUnavailable):
        await poll(secure)
    assert (await answers(organiser, meeting["id"]))["anne"] == "no_answer"

    monkeypatch.setenv("SSL_CERT_FILE", os.environ["MEDVIRKNING_TEST_IMAP_CA_FILE"])
    async with reply_mailbox(secure, [HANDLED]) as mailbox:
        assert mailbox.client.protocol.transport.get_extra_info("ssl_object") is not None
    assert await poll(secure) == {Outcome.HANDLED: 1, Outcome.UNREADABLE: 0}
    assert (await answers(organiser, meeting["id"]))["anne"] == "tentative"


async def test_without_move_a_message_is_copied_then_expunged_never_lost(
    reply_settings, imap_mailbox
):
    message = b"From: x@example.com\r\nSubject: hei\r\n\r\nhei\r\n"
    await imap_mailbox.append(message)
    async with reply_mailbox(reply_settings, [UNREADABLE]) as mailbox:
        # A server without the MOVE extension (RFC 6851), as some still are.
        mailbox.client.protocol.capabilities.discard("MOVE")
        [uid] = await mailbox.unseen()
        await mailbox.move(uid, UNREADABLE)
    assert await imap_mailbox.messages() == []
    assert await imap_mailbox.messages(UNREADABLE) == [message]


def signed_token(user: str, key: bytes) -> str:
    """A JWT as an identity provider signs it (HS256 here; Entra ID signs with RS256)."""

    def part(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": user, "email": user, "iat": now - 60, "nbf": now - 60, "exp": now + 3600}
    body = part(b'{"alg":"HS256","typ":"JWT"}') + b"." + part(json.dumps(claims).encode())
    return (body + b"." + part(hmac.digest(key, body, "sha256"))).decode()


async def test_the_mailbox_signs_in_with_an_oauth2_token_from_a_command(
    organiser, smtp, reply_settings, imap_mailbox, tmp_path
):
    key = base64.b64decode(os.environ["MEDVIRKNING_TEST_IMAP_OAUTH_KEY"])
    meeting, people = await invited(organiser, smtp)
    await imap_mailbox.append(calendar_reply("google", people["olav"], meeting, "DECLINED"))
    token_file = tmp_path / "token"
    oauth = msgspec.structs.replace(
        reply_settings,
        reply_imap_password="",
        reply_oauth_token_command=f"cat {token_file}",
    )
    token_file.write_text(signed_token(imap_mailbox.user, b"not the key the server trusts"))
    with pytest.raises(MailboxUnavailable, match="XOAUTH2"):
        await poll(oauth)
    token_file.write_text(signed_token(imap_mailbox.user, key) + "\n")
    assert await poll(oauth) == {Outcome.HANDLED: 1, Outcome.UNREADABLE: 0}
    assert (await answers(organiser, meeting["id"]))["olav"] == "declined"


def test_a_reply_mailbox_needs_one_way_to_sign_in(tmp_path):
    base = {"MEDVIRKNING_DATA_DIR": str(tmp_path), "MEDVIRKNING_REPLY_IMAP_HOST": "imap.example"}
    with pytest.raises(SettingsError, match="exactly one"):
        load_settings(base)
    with pytest.raises(SettingsError, match="go together"):
        load_settings(base | {"MEDVIRKNING_REPLY_OAUTH_TENANT_ID": "t"})
    settings = load_settings(
        base
        | {
            "MEDVIRKNING_REPLY_OAUTH_TOKEN_COMMAND": "echo token",
            "MEDVIRKNING_REPLY_ADDRESS": "moter@kongsbergregionen.no",
        }
    )
    assert settings.organizer_address == "moter@kongsbergregionen.no"
    assert settings.reply_imap_username == "moter@kongsbergregionen.no"
    without = load_settings({"MEDVIRKNING_DATA_DIR": str(tmp_path)})
    assert without.organizer_address == without.mail_from
    assert not without.has_reply_mailbox


async def test_the_token_command_gives_the_xoauth2_token(tmp_path):
    settings = load_settings(
        {
            "MEDVIRKNING_DATA_DIR": str(tmp_path),
            "MEDVIRKNING_REPLY_IMAP_HOST": "outlook.office365.com",
            "MEDVIRKNING_REPLY_OAUTH_TOKEN_COMMAND": "printf 'eyJ0eXAi.token\\n'",
        }
    )
    assert await oauth_token(settings) == "eyJ0eXAi.token"
