"""Notice: working days from the day after the documents went up to and including the
meeting day, around Easter and 17 May; a short notice is flagged on the consultation's
page, in the union representative's list and in what the anchoring record reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from medvirkning.app import create_app
from medvirkning.auth.models import Role
from medvirkning.consultations.models import ConsultationDocument
from medvirkning.consultations.queries import status_by_municipality
from medvirkning.formats import OSLO
from tests.consultation_support import Roles, add_meeting, create, ids
from tests.support import database, sign_in_as


@pytest.fixture
async def two_days(settings) -> AsyncIterator[AsyncTestClient]:
    """The app asking for at least two working days' notice, the project leader signed in."""
    changed = msgspec.structs.replace(settings, consultation_notice_days=2)
    async with AsyncTestClient(app=create_app(changed)) as client:
        await sign_in_as(client, Role.ADMIN, email="pl@kongsbergregionen.no")
        yield client


def oslo(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=OSLO)


@pytest.mark.parametrize(
    ("sent", "meeting", "days"),
    [
        ("2027-03-25 15:00", "2027-03-30 10:00", 1),  # Maundy Thursday → Tuesday after Easter
        ("2027-03-23 15:00", "2027-03-30 10:00", 2),  # Tuesday before Easter → the same
        ("2027-05-14 12:00", "2027-05-18 10:00", 1),  # Friday → Tuesday, 17 May between
        ("2027-05-13 12:00", "2027-05-18 10:00", 2),  # Thursday → Tuesday, 17 May between
    ],
)
async def test_notice_is_counted_in_working_days_and_short_notice_is_flagged(
    two_days, sent, meeting, days
):
    client = two_days
    known = await ids(client)
    meeting_id = await add_meeting(client, "Drøftingsmøte", oslo(meeting))
    made = await create(
        client,
        "Turnus i hjemmetjenesten",
        known["Rollag"],
        [known["Fagforbundet"]],
        meeting_id,
        documents=[{"title": "Notat", "url": "https://example.no/notat.pdf"}],
    )
    async with database(client) as db, db.begin():
        await db.execute(update(ConsultationDocument).values(sent_at=oslo(sent)))
    short = days < 2
    read = (await client.get(f"/api/consultations/{made['id']}")).json()
    assert (read["notice_working_days"], read["short_notice"]) == (days, short)
    page = (await client.get(f"/droftinger/{made['id']}")).text
    word = "virkedag" if days == 1 else "virkedager"
    assert f"{days} {word} fra dokumentene ble sendt til møtet" in page
    assert ("Kort varsel" in page) == short
    roles = Roles(client)
    await roles.add("kari", Role.UNION_REP, union="Fagforbundet", municipality="Rollag")
    roles.be("kari")
    mine = (await client.get("/droftinger")).text
    assert ("Kort varsel: 1 virkedag<" in mine) == short
    async with database(client) as db:
        found = await status_by_municipality(db, client.app.state.settings)
    (status,) = found[known["Rollag"]]
    assert (status.notice_working_days, status.short_notice) == (days, short)


async def test_the_anchoring_record_reads_each_unions_protocol_status_by_municipality(client):
    known = await ids(client)
    fag, utd = known["Fagforbundet"], known["Utdanningsforbundet"]
    regional = await create(client, "Valg av system", None, [fag, utd])
    await create(client, "Lønn i Rollag", known["Rollag"], [fag])
    url = f"/api/consultations/{regional['id']}"
    await client.put(f"{url}/protocol", json={"text": "Protokoll."})
    await client.post(f"{url}/protocol/send")
    await client.post(f"{url}/protocol/answers", json={"answer": "confirmed"})
    async with database(client) as db:
        found = await status_by_municipality(db, client.app.state.settings)
    (region,) = found[None]
    assert (region.protocol, region.protocol_version, region.employer_confirmed) == (
        "sent",
        1,
        True,
    )
    assert [(u.union, u.answer) for u in region.unions] == [
        ("Fagforbundet", None),
        ("Utdanningsforbundet", None),
    ]
    (rollag,) = found[known["Rollag"]]
    assert (rollag.matter, rollag.protocol, rollag.short_notice) == ("Lønn i Rollag", None, False)
