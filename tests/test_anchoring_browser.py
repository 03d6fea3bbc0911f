"""The project leader's journey through the pages only: a meeting point becomes an input,
is followed up, a learning point is recorded, the anchoring record is opened, a gap is
followed down to its evidence, and the record and the learning chapter are downloaded.
axe finds nothing at desktop width and at 320 px, and nothing scrolls sideways."""

from __future__ import annotations

import docx
import pytest

from tests import anchoring_scenario
from tests.support import database
from tests.test_browser import signed_in, violations  # noqa: F401  (the fixture, by name)
from tests.test_inputs import tinn_meeting_with_a_point
from tests.test_members_browser import NARROW, sideways

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def checked(page, own_page: bool = True) -> None:
    assert await violations(page) == [], page.url
    if own_page:
        assert await sideways(page) == [], page.url
    # The meeting page's answer table scrolls in a region of its own; the page does not.
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, page.url


@pytest.mark.parametrize(
    "viewport", [NARROW, {"width": 1280, "height": 800}], ids=["320px", "desktop"]
)
async def test_from_a_meeting_point_to_the_downloaded_record(
    signed_in,  # noqa: F811
    live_server,
    client,
    viewport,
):
    async with database(client) as db, db.begin():
        await anchoring_scenario.build(db)
    meeting_id, _, _ = await tinn_meeting_with_a_point(client)
    context = await signed_in(viewport=viewport, accept_downloads=True)
    page = await context.new_page()

    await page.goto(f"{live_server}/admin/meetings/{meeting_id}")
    await checked(page, own_page=False)
    await page.click("button:has-text('Registrer som innspill')")
    assert "/admin/inputs/" in page.url
    assert await page.input_value("#text") == "Lønnsslippen må kunne leses på mobil"
    await checked(page)
    await page.select_option("#theme_id", label="Lønn")
    await page.select_option("#status", "taken_in")
    await page.fill("#reference", "Krav 7.1 i konkurransegrunnlaget")
    await page.click("main form.register-form button[type=submit]")
    assert "Endringene er lagret" in await page.locator("main").inner_text()

    await page.goto(f"{live_server}/admin/learning-points/new")
    await page.select_option("#kind", "negative")
    await page.fill("#what_happened", "Tilbudsfristen var for kort for de små kommunene")
    await page.fill("#recommendation", "Sett av minst seks uker")
    await page.select_option("#phase_id", label="Fase 2: Anskaffe felles ERP-løsning")
    await page.click("main form.register-form button[type=submit]")
    assert "Endringene er lagret" in await page.locator("main").inner_text()
    await checked(page)

    await page.goto(f"{live_server}/forankring")
    text = await page.locator("main").inner_text()
    assert "Ingen læringspunkter er registrert i fasen." not in text  # phase 2 has one now
    assert "Ingen fra kommunen er med i en arbeids- eller referansegruppe." in text
    await checked(page)
    await page.click("a:has-text('Rollag, Fase 2')")
    assert "/forankring/fase/" in page.url
    cell = await page.locator("main").inner_text()
    assert "Rollag, Fase 2" in cell
    assert "Ingen fra kommunen er med i en arbeids- eller referansegruppe." in cell
    await checked(page)

    await page.goto(f"{live_server}/forankring")
    async with page.expect_download() as record_download:
        await page.click("text=Last ned som Word (DOCX)")
    record = docx.Document(await (await record_download.value).path())
    assert record.paragraphs[0].text == anchoring_scenario_title()
    async with page.expect_download() as chapter_download:
        await page.click("text=Læringspunktene som kapittel til sluttrapporten (DOCX)")
    chapter = docx.Document(await (await chapter_download.value).path())
    headings = [p.text for p in chapter.paragraphs if p.style.name == "Heading 1"]
    assert "Fase 2: Anskaffe felles ERP-løsning" in headings

    await page.click("text=Utskriftsvennlig side")
    assert "Mangler per kommune og fase" in await page.locator("main").inner_text()
    assert await violations(page) == []
    assert await sideways(page) == []


def anchoring_scenario_title() -> str:
    return "Forankringsdokumentasjon: felles ERP i Kongsbergregionen"
