"""The consultation log against tampering, on SQLite and PostgreSQL: the database refuses
edits and deletions; and an owner who gets round that (drops or disables the triggers) is
caught by the verification, through the API and the CLI, at the right entry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from medvirkning.auth.models import Role
from medvirkning.cli import main
from tests.consultation_support import Roles, add_meeting, create, ids
from tests.support import database
from tests.test_consultations import head_in


async def consultation_with_a_log(client: Any, smtp: Any) -> tuple[str, str]:
    """A consultation of seven entries; the head the protocol letter carried (entry 4)."""
    known = await ids(client)
    roles = Roles(client)
    await roles.add("kari", Role.UNION_REP, union="Fagforbundet", municipality="Kongsberg")
    meeting_id = await add_meeting(client, "Drøfting Kongsberg")
    made = await create(
        client, "Fakturaflyt", known["Kongsberg"], [known["Fagforbundet"]], meeting_id
    )
    url = f"/api/consultations/{made['id']}"
    await client.put(f"{url}/protocol", json={"text": "Protokoll."})  # 2
    await client.post(f"{url}/protocol/send")  # 3
    await client.post(f"{url}/comments", json={"text": "Vi ser på det."})  # 4
    roles.be("kari")
    await client.post(f"{url}/comments", json={"text": "Vi vil ha opplæring først."})  # 5
    await client.post(f"{url}/protocol/answers", json={"answer": "confirmed"})  # 6
    roles.be("admin")
    await client.post(f"{url}/protocol/answers", json={"answer": "confirmed"})  # 7, locked 8
    await smtp.mailbox.wait_for(2)
    kept = head_in(smtp.mailbox.to("kari@kommune.no")[0])
    assert kept.startswith("3:")
    assert (await client.get(f"{url}/log/verify")).json()["entries"] == 8
    return url, kept


async def tamper(client: Any, statement: str) -> None:
    """What an owner of the database could do: the triggers set aside, then the change."""
    async with database(client) as db, db.begin():
        postgres = db.bind.dialect.name == "postgresql"
        if postgres:
            await db.execute(text("ALTER TABLE consultation_log_entry DISABLE TRIGGER USER"))
        else:
            await db.execute(text("DROP TRIGGER consultation_log_no_update"))
            await db.execute(text("DROP TRIGGER consultation_log_no_delete"))
        await db.execute(text(statement))


async def run_cli(settings: Any, *args: str) -> tuple[int, str]:
    env = {
        "MEDVIRKNING_DATABASE_URL": settings.database_url,
        "MEDVIRKNING_DATA_DIR": str(settings.data_dir),
    }
    result = await asyncio.to_thread(CliRunner().invoke, main, ["verify-log", *args], env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize("statement", ["UPDATE", "DELETE"])
async def test_the_database_refuses_to_change_or_delete_a_log_entry(client, statement):
    known = await ids(client)
    await create(client, "Arkiv", None, [known["Fagforbundet"]])
    sql = {
        "UPDATE": "UPDATE consultation_log_entry SET actor = 'Noen andre'",
        "DELETE": "DELETE FROM consultation_log_entry",
    }[statement]
    with pytest.raises(DBAPIError, match="append-only"):
        async with database(client) as db, db.begin():
            await db.execute(text(sql))


async def test_a_row_changed_in_the_database_is_named(organiser, smtp, smtp_settings):
    url, _ = await consultation_with_a_log(organiser, smtp)
    await tamper(
        organiser,
        'UPDATE consultation_log_entry SET payload = \'{"text":"Vi er enige."}\' '
        "WHERE sequence = 5",
    )
    verdict = (await organiser.get(f"{url}/log/verify")).json()
    assert (verdict["ok"], verdict["broken"], verdict["reason"]) == (False, 5, "content_changed")
    assert verdict["message"] == "Post 5 er endret: innholdet passer ikke hashen."
    code, output = await run_cli(smtp_settings, url.rsplit("/", 1)[1])
    assert code == 1
    assert "BRUTT ved post 5" in output


async def test_a_row_deleted_from_the_middle_is_named(organiser, smtp, smtp_settings):
    url, _ = await consultation_with_a_log(organiser, smtp)
    await tamper(organiser, "DELETE FROM consultation_log_entry WHERE sequence = 5")
    verdict = (await organiser.get(f"{url}/log/verify")).json()
    assert (verdict["ok"], verdict["broken"], verdict["reason"]) == (False, 6, "link_broken")
    assert verdict["message"] == "Post 6 peker ikke på posten foran: post 5 mangler."
    code, output = await run_cli(smtp_settings)
    assert code == 1
    assert "BRUTT ved post 6" in output


async def test_the_newest_rows_removed_are_found_against_the_head_of_an_earlier_letter(
    organiser, smtp, smtp_settings
):
    url, kept = await consultation_with_a_log(organiser, smtp)
    # Everything from the protocol being sent is gone: what is left still holds together.
    await tamper(organiser, "DELETE FROM consultation_log_entry WHERE sequence >= 3")
    alone = (await organiser.get(f"{url}/log/verify")).json()
    assert (alone["ok"], alone["entries"]) == (True, 2)
    verdict = (await organiser.get(f"{url}/log/verify", params={"head": kept})).json()
    assert (verdict["ok"], verdict["broken"], verdict["reason"]) == (False, 3, "head_beyond_end")
    code, output = await run_cli(smtp_settings, url.rsplit("/", 1)[1], "--head", kept)
    assert code == 1
    assert "BRUTT ved post 3" in output
    code, output = await run_cli(smtp_settings, url.rsplit("/", 1)[1])
    assert code == 0
    assert "hel, 2 poster" in output


async def test_a_head_not_written_as_a_head_is_refused_naming_the_field(client):
    known = await ids(client)
    made = await create(client, "Arkiv", None, [known["Fagforbundet"]])
    response = await client.get(
        f"/api/consultations/{made['id']}/log/verify", params={"head": "tre"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "head"
