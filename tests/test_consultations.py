"""The consultation workflow through the API: documents and protocol sent by e-mail to the
union representatives with the log's head, confirmations and disputes, the lock, and a
correction that must be confirmed again."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from medvirkning.auth.models import Role
from medvirkning.consultations import chain
from medvirkning.mail.models import OutboxMessage
from medvirkning.people.models import Person
from tests.consultation_support import Roles, add_meeting, create, ids
from tests.support import assert_refused, database


def head_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"(?:Loggens hode|Hovudet til loggen): (\d+:[0-9a-f]{64})", text)
    assert found, text
    return found.group(1)


async def test_a_confirmed_protocol_is_locked_and_a_correction_needs_confirming_again(
    organiser, smtp
):
    client = organiser
    known = await ids(client)
    roles = Roles(client)
    await roles.add("kari", Role.UNION_REP, union="Fagforbundet", municipality="Rollag")
    await roles.add("ola", Role.UNION_REP, union="Utdanningsforbundet", municipality="Rollag")
    async with database(client) as db, db.begin():
        await db.execute(
            update(Person).where(Person.email == "ola@kommune.no").values(language_form="nynorsk")
        )
    meeting_id = await add_meeting(client, "Drøftingsmøte Rollag")
    made = await create(
        client,
        "Nytt lønnssystem i Rollag",
        known["Rollag"],
        [known["Fagforbundet"], known["Utdanningsforbundet"]],
        meeting_id,
        documents=[{"title": "Saksframlegg", "url": "https://example.no/sak.pdf"}],
    )
    url = f"/api/consultations/{made['id']}"
    assert (await client.post(f"{url}/documents/send")).status_code == 200
    await client.put(f"{url}/protocol", json={"text": "Partene er enige om innføringen."})
    sent = await client.post(f"{url}/protocol/send")
    assert sent.json()["protocols"][0]["status"] == "sent"
    letters = await smtp.mailbox.wait_for(4)
    to_ola = smtp.mailbox.to("ola@kommune.no")
    assert [m["Subject"] for m in to_ola] == [
        "Dokument til drøfting: Nytt lønnssystem i Rollag",
        "Protokoll til stadfesting: Nytt lønnssystem i Rollag",
    ]
    kept_head = head_in(to_ola[-1])
    assert kept_head == sent.json()["log_head"]
    assert len(letters) == 4

    # Kari confirms, Ola disputes with a reason; the employer confirms.
    roles.be("kari")
    kari = await client.post(f"{url}/protocol/answers", json={"answer": "confirmed"})
    assert kari.status_code == 200, kari.text
    roles.be("ola")
    no_reason = await client.post(f"{url}/protocol/answers", json={"answer": "disputed"})
    assert_refused(no_reason, 422, "reason")
    ola = await client.post(
        f"{url}/protocol/answers",
        json={"answer": "disputed", "reason": "Tilførselen vår om opplæring mangler."},
    )
    assert ola.status_code == 200
    roles.be("admin")
    await client.post(f"{url}/protocol/answers", json={"answer": "confirmed"})
    assert (await client.get(url)).json()["protocols"][0]["status"] == "sent"

    # A sent protocol is not edited in place; the correction is version 2.
    edit = await client.put(f"{url}/protocol", json={"text": "Endret i det stille."})
    assert edit.status_code == 409
    assert edit.json()["code"] == "protocol_locked"
    corrected = await client.put(
        f"{url}/protocol",
        json={
            "text": "Partene er enige. Utdanningsforbundet ber om opplæring.",
            "correction": True,
        },
    )
    assert [p["status"] for p in corrected.json()["protocols"]] == ["sent", "draft"]
    await client.post(f"{url}/protocol/send")
    for name in ("kari", "ola", "admin"):
        roles.be(name)
        answer = await client.post(f"{url}/protocol/answers", json={"answer": "confirmed"})
        assert answer.status_code == 200, answer.text
    done = (await client.get(url)).json()
    assert [p["status"] for p in done["protocols"]] == ["sent", "confirmed"]
    assert done["protocols"][0]["text"] == "Partene er enige om innføringen."

    # Confirmed is locked: no edit, no new answer; only a correction, which asks again.
    locked = await client.put(f"{url}/protocol", json={"text": "Etterpå."})
    assert locked.json()["code"] == "protocol_locked"
    addition = [{"union_id": known["Fagforbundet"], "addition": "Lagt til i ettertid."}]
    changed = await client.patch(url, json={"unions": addition, "agreed": False})
    assert changed.json()["code"] == "protocol_locked"
    renamed = await client.patch(url, json={"matter": "Nytt lønnssystem i Rollag kommune"})
    assert renamed.status_code == 200
    assert [u["addition"] for u in renamed.json()["unions"]] == ["", ""]
    again = await client.post(f"{url}/protocol/answers", json={"answer": "disputed", "reason": "x"})
    assert again.status_code == 409
    third = await client.put(f"{url}/protocol", json={"text": "Versjon 3.", "correction": True})
    assert [p["status"] for p in third.json()["protocols"]] == ["sent", "confirmed", "draft"]
    assert third.json()["protocols"][1]["text"].startswith("Partene er enige. Utdannings")

    # The log names every event in order and still reaches the head Ola kept.
    log = chain.load_json((await client.get(f"{url}/log")).content)
    assert [e.kind for e in log] == [
        "created",
        "document_sent",
        "protocol_edited",
        "sent",
        "confirmed",
        "disputed",
        "confirmed",
        "new_version",
        "sent",
        "confirmed",
        "confirmed",
        "confirmed",
        "locked",
        "protocol_edited",  # the matter renamed: the record, not the locked protocol
        "new_version",
    ]
    assert log[5].payload["reason"] == "Tilførselen vår om opplæring mangler."
    verdict = await client.get(f"{url}/log/verify", params={"head": kept_head})
    assert verdict.json()["ok"] is True
    await smtp.mailbox.wait_for(8)
    assert head_in(smtp.mailbox.to("kari@kommune.no")[-1]) == f"13:{log[12].hash}"


async def test_an_edit_made_on_an_old_version_is_refused(client):
    known = await ids(client)
    made = await create(client, "Arkivløsning", None, [known["Fagforbundet"]])
    url = f"/api/consultations/{made['id']}"
    first = await client.patch(url, json={"matter": "Arkiv", "version": made["version"]})
    assert first.status_code == 200
    stale = await client.patch(url, json={"matter": "Arkivet", "version": made["version"]})
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_edit"
    assert (await client.get(url)).json()["matter"] == "Arkiv"


async def test_a_consultation_with_unknown_links_is_refused_naming_the_fields(client):
    response = await client.post(
        "/api/consultations",
        json={
            "matter": "Feil",
            "kind": "information",
            "municipality_id": 999999,
            "meeting_id": 999999,
            "unions": [{"union_id": 999999}],
        },
    )
    body = assert_refused(response, 422, "municipality_id")
    assert {e["field"] for e in body["errors"]} == {"municipality_id", "meeting_id", "unions"}
    assert (await client.get("/api/consultations")).json() == []


async def test_letters_go_to_the_taking_part_unions_representatives_at_that_level_only(client):
    known = await ids(client)
    roles = Roles(client)
    for name, union, municipality in [
        ("fag-rollag", "Fagforbundet", "Rollag"),
        ("fag-kongsberg", "Fagforbundet", "Kongsberg"),
        ("fag-region", "Fagforbundet", None),
        ("utd-rollag", "Utdanningsforbundet", "Rollag"),
    ]:
        await roles.add(name, Role.UNION_REP, union=union, municipality=municipality)
    made = await create(client, "Rollag: lønn", known["Rollag"], [known["Fagforbundet"]])
    url = f"/api/consultations/{made['id']}"
    await client.put(f"{url}/protocol", json={"text": "Protokoll."})
    await client.post(f"{url}/protocol/send")
    async with database(client) as db:
        sent = list(
            await db.execute(
                select(OutboxMessage.recipient, OutboxMessage.subject).where(
                    OutboxMessage.kind.like("consultation%")
                )
            )
        )
    assert [tuple(row) for row in sent] == [
        ("fag-rollag@kommune.no", "Protokoll til bekreftelse: Rollag: lønn")
    ]
