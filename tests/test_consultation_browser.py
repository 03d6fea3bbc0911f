"""A union representative's journey in Chromium, through the pages only: sign in by the
mailed link, see only the consultations of their union and level, read the log, dispute
the protocol with a reason, then confirm the corrected version; WCAG 2.1 AA by axe on each
page, at desktop width and at 320 CSS pixels without sideways scrolling."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import uvicorn
from sqlalchemy import update

from medvirkning.app import create_app
from medvirkning.auth.models import Role
from medvirkning.db import utcnow
from medvirkning.people.models import Person
from tests.consultation_support import Roles, add_meeting, create, ids
from tests.support import database
from tests.test_browser import signed_in, violations  # noqa: F401  (the fixture, by name)
from tests.test_consultations import head_in
from tests.test_members_browser import NARROW, sideways

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

KARI = "kari@rollag.kommune.no"


@pytest.fixture
def mail_server(smtp_settings: Any) -> Iterator[str]:
    """The app served by uvicorn, sending its mail to the test's SMTP server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(smtp_settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def letter(smtp: Any, subject: str, nth: int = 1) -> Any:
    """The `nth` letter to Kari whose subject starts so, within 15 seconds."""
    async with asyncio.timeout(15):
        while True:
            found = [m for m in smtp.mailbox.to(KARI) if m["Subject"].startswith(subject)]
            if len(found) >= nth:
                return found[nth - 1]
            await asyncio.sleep(0.05)


async def checked(page: Any) -> None:
    assert await violations(page) == [], page.url
    assert await sideways(page) == [], page.url


@pytest.mark.parametrize(
    "viewport", [NARROW, {"width": 1280, "height": 800}], ids=["320px", "desktop"]
)
async def test_a_union_representative_disputes_then_confirms_the_corrected_protocol(
    browser, mail_server, smtp, client, viewport
):
    known = await ids(client)
    roles = Roles(client)
    await roles.add("kari", Role.UNION_REP, union="Fagforbundet", municipality="Rollag")
    async with database(client) as db, db.begin():
        await db.execute(update(Person).where(Person.email == "kari@kommune.no").values(email=KARI))
    fag, utd = known["Fagforbundet"], known["Utdanningsforbundet"]
    mine = await create(
        client,
        "Rollag: nye lønnsrutiner",
        known["Rollag"],
        [fag],
        documents=[{"title": "Saksframlegg", "url": "https://example.no/sak.pdf"}],
    )
    await create(client, "Kongsberg: turnus", known["Kongsberg"], [fag])
    await create(client, "Regionalt: valg av system", None, [utd])
    url = f"/api/consultations/{mine['id']}"
    await client.post(f"{url}/documents/send")
    await client.put(f"{url}/protocol", json={"text": "Partene er enige.\nOppstart i mars."})
    await client.post(f"{url}/protocol/send")

    context = await browser.new_context(locale="nb-NO", viewport=viewport)
    page = await context.new_page()
    await page.goto(f"{mail_server}/logg-inn")
    await page.fill("#email", KARI)
    await page.click("main button[type=submit]")
    sign_in = await letter(smtp, "Lenke for å logge inn")
    link = re.search(r"http://\S+(/logg-inn/\S+)", sign_in.get_body(("plain",)).get_content())
    assert link
    await page.goto(mail_server + link.group(1))
    await page.click("main button[type=submit]")

    await page.goto(f"{mail_server}/droftinger")
    listing = await page.locator("main").inner_text()
    assert "Rollag: nye lønnsrutiner" in listing
    assert "Kongsberg" not in listing
    assert "Regionalt" not in listing
    assert "venter på at du bekrefter" in listing
    await checked(page)

    await page.click("text=Rollag: nye lønnsrutiner")
    log = await page.locator("ol[aria-label='Loggens poster']").inner_text()
    assert "Protokoll sendt" in log
    assert "Dokumenter sendt" in log
    assert "Loggen er hel: 4 poster" in await page.locator("main").inner_text()
    await checked(page)
    await page.check("#answer-disputed")
    await page.click("text=Send svaret")
    # Focus moves when the refused page has loaded: wait for it, not race it.
    await page.wait_for_function("document.activeElement?.className === 'ds-error-summary'")
    assert "Skriv hvorfor" in await page.locator("#reason-error").inner_text()
    await checked(page)
    await page.fill("#reason", "Oppstart i mars er for tidlig for oss.")
    await page.click("text=Send svaret")
    assert "Du har bestridt protokollen" in await page.locator("main").inner_text()
    await checked(page)

    # The project leader corrects it; the new version goes out with the log's head.
    corrected = {"text": "Partene er enige.\nOppstart i mai.", "correction": True}
    await client.put(f"{url}/protocol", json=corrected)
    await client.post(f"{url}/protocol/send")
    head = head_in(await letter(smtp, "Protokoll til bekreftelse", nth=2))
    assert head.startswith("7:")

    await page.goto(f"{mail_server}/droftinger/{mine['id']}")
    text = await page.locator("main").inner_text()
    assert "Versjon 2: sendt til tillitsvalgte" in text
    # What changed, told in words too (not by colour alone).
    assert await page.locator(".diff ins").text_content() == "Lagt til: Oppstart i mai."
    assert await page.locator(".diff del").text_content() == "Fjernet: Oppstart i mars."
    await page.fill("#hode", head)
    await page.click("text=Sjekk loggen")
    assert (
        "Loggen er hel: 7 poster, og den når hodet du oppga"
        in await page.locator("main").inner_text()
    )
    await checked(page)
    await page.check("#answer")
    await page.click("text=Send svaret")
    assert "Du har bekreftet protokollen" in await page.locator("main").inner_text()
    await checked(page)
    await page.click("text=Utskriftsvennlig side")
    printed = await page.locator("main").inner_text()
    assert "Oppstart i mars er for tidlig for oss." in printed
    await checked(page)
    await context.close()

    answers = (await client.get(url)).json()["unions"]
    assert [(u["union"]["name"], u["answer"]) for u in answers] == [("Fagforbundet", "confirmed")]


@pytest.mark.parametrize(
    "viewport", [NARROW, {"width": 1280, "height": 800}], ids=["320px", "desktop"]
)
async def test_the_project_leaders_consultation_pages_meet_wcag_and_fit_320_pixels(
    signed_in,  # noqa: F811
    live_server,
    client,
    viewport,
):
    known = await ids(client)
    meeting_id = await add_meeting(client, "Drøfting", utcnow() + timedelta(days=1))
    made = await create(
        client,
        "Rollag: nye lønnsrutiner med et langt navn som må brytes på en smal skjerm",
        known["Rollag"],
        [known["Fagforbundet"], known["Utdanningsforbundet"]],
        meeting_id,
        documents=[{"title": "Saksframlegg", "url": "https://example.no/sak.pdf"}],
    )
    url = f"/api/consultations/{made['id']}"
    await client.post(f"{url}/documents/send")
    await client.put(f"{url}/protocol", json={"text": "Linje én.\nLinje to."})
    await client.post(f"{url}/protocol/send")
    await client.put(f"{url}/protocol", json={"text": "Linje én.\nLinje 2.", "correction": True})
    await client.post(f"{url}/comments", json={"text": "Vi sender et nytt utkast."})
    context = await signed_in(viewport=viewport)
    page = await context.new_page()
    await page.goto(f"{live_server}/droftinger")
    assert "Kort varsel: " in await page.locator("main").inner_text()
    await checked(page)
    await page.goto(f"{live_server}/droftinger/{made['id']}")
    assert "Kort varsel:" in await page.locator("main").inner_text()
    await checked(page)
    await page.fill("#hode", "ikke et hode")
    await page.click("text=Sjekk loggen")
    assert "Hodet må skrives som" in await page.locator("#hode-error").inner_text()
    await checked(page)
    await page.goto(f"{live_server}/admin/consultations/{made['id']}/edit")
    await checked(page)
    await page.goto(f"{live_server}/admin/consultations/new")
    await page.click("main form button[type=submit]")
    # Focus moves when the refused page has loaded: wait for it, not race it.
    await page.wait_for_function("document.activeElement?.className === 'ds-error-summary'")
    await checked(page)
