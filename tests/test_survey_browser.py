"""The survey journeys in Chromium, through the pages only: the project leader sends the
links from the distribution page; a staff member opens theirs on a 375-pixel phone, answers
part of it with the keyboard alone, comes back later through the same link, finishes and
sees the receipt. Every page meets WCAG 2.1 AA (axe) and none scrolls sideways at 320 px."""

from __future__ import annotations

import pytest

from tests.support import database
from tests.survey_links import links_in_outbox, published_survey
from tests.test_browser import signed_in, violations  # noqa: F401  (the fixture, by name)
from tests.test_members_browser import sideways

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

PHONE = {"width": 375, "height": 740}
NARROW = {"width": 320, "height": 640}
STAFF = "kari.lonn@kongsberg.kommune.no"


async def checked(page) -> None:
    """axe finds nothing, and neither a phone nor a 320-pixel screen scrolls sideways."""
    assert await violations(page) == []
    assert await sideways(page) == []
    size = page.viewport_size
    await page.set_viewport_size(NARROW)
    assert await sideways(page) == []
    await page.set_viewport_size(size)


async def tab_to(page, selector: str) -> None:
    """Press Tab until the element has focus, as a keyboard user would."""
    for _ in range(80):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_the_project_leader_sends_links_from_the_distribution_page(
    signed_in,  # noqa: F811
    live_server,
    client,
):
    async with database(client) as db, db.begin():
        survey_id = await published_survey(db)
    context = await signed_in(viewport=PHONE)
    page = await context.new_page()
    # From the list of surveys, through the survey's own page, as the project leader goes.
    await page.goto(f"{live_server}/admin/surveys")
    await page.click(f"main a[href='/admin/surveys/{survey_id}']")
    await page.click("text=Send ut og følg svarprosenten")
    assert "/utsending" in page.url
    await checked(page)
    await page.fill("#emails", f"{STAFF}\nper@rollag.kommune.no")
    await page.select_option("#list_municipality_id", label="Kongsberg")
    await page.click("button:has-text('Legg til mottakere')")
    assert "Mottakerne er lagt til." in await page.locator("main").inner_text()
    await checked(page)
    await page.click("text=Send lenker")
    assert "2 mottakere" in await page.locator("main").inner_text()
    await checked(page)
    await page.click("text=Send 2 lenker")
    assert "Lenkene er lagt i utboksen" in await page.locator("main").inner_text()
    assert "2 har fått lenke" in await page.locator("main").inner_text()
    await checked(page)
    # An open link for Kongsberg's intranet, and the page a visitor of it sees first.
    await page.select_option("#municipality_id", label="Kongsberg")
    await page.click("button:has-text('Lag åpen lenke')")
    assert "Den åpne lenken er laget." in await page.locator("main").inner_text()
    await checked(page)
    shown = await page.locator("code.secret").first.inner_text()
    await page.goto(live_server + "/apen-undersokelse/" + shown.rsplit("/", 1)[1])
    assert "Begynn å svare" in await page.locator("main").inner_text()
    await checked(page)
    await page.click("button:has-text('Begynn å svare')")
    assert "Del 1 av 2" in await page.locator("main").inner_text()


async def test_a_staff_member_answers_on_a_phone_with_the_keyboard_and_comes_back_later(
    browser, live_server, client
):
    settings = client.app.state.settings
    async with database(client) as db, db.begin():
        from tests.survey_links import send_to

        survey_id = await published_survey(db)
        await send_to(db, settings, survey_id, [STAFF])
        link = f"{live_server}/undersokelse/{(await links_in_outbox(db))[STAFF]}"

    context = await browser.new_context(locale="nb-NO", viewport=PHONE)
    page = await context.new_page()
    await page.goto(link)
    assert "Del 1 av 2" in await page.locator("main").inner_text()
    await checked(page)
    await tab_to(page, "#q0-0")  # "Lønn"
    await page.keyboard.press("Space")
    await tab_to(page, "#q1-0")  # "Ja"
    await page.keyboard.press("Space")
    await tab_to(page, "#q2")
    await page.keyboard.type("12")
    await tab_to(page, "button[value=neste]")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**del=2")
    assert "Del 2 av 2" in await page.locator("main").inner_text()
    await checked(page)
    await tab_to(page, "#q0-0")  # into the Likert group; the arrows choose within it
    for _ in range(3):
        await page.keyboard.press("ArrowDown")
    assert await page.is_checked("#q0-3")
    await tab_to(page, "button[value=lagre]")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**lagret=true")
    assert "Svarene dine er lagret" in await page.locator("main").inner_text()
    await checked(page)
    await context.close()

    # Later, on the same phone: the same link opens where they left off.
    context = await browser.new_context(locale="nb-NO", viewport=PHONE)
    page = await context.new_page()
    await page.goto(link)
    assert "Del 2 av 2" in await page.locator("main").inner_text()
    assert await page.is_checked("#q0-3")
    await tab_to(page, "button[value=send]")
    await page.keyboard.press("Enter")
    # The required scale is missing: the summary has focus and links to the question.
    summary = page.locator(".ds-error-summary")
    assert "Du må svare på «Hvor trygg er du på å ta i bruk nytt system?»" in (
        await summary.inner_text()
    )
    # Focus moves when the refused page has loaded: wait for it, not race it.
    await page.wait_for_function("document.activeElement?.className === 'ds-error-summary'")
    assert await summary.locator("a").get_attribute("href") == "#q1-0"
    await checked(page)
    await tab_to(page, ".ds-error-summary a")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**#q1-0")
    assert await page.evaluate("document.activeElement.id") == "q1-0"  # the link's target
    for _ in range(7):
        await page.keyboard.press("ArrowRight")
    assert await page.is_checked("#q1-7")  # 7 on the 0–10 scale
    await tab_to(page, "button[value=send]")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/kvittering")
    main = await page.locator("main").inner_text()
    assert "Takk for svaret!" in main
    assert "Hva skjer nå?" in main
    await checked(page)
    # The link is spent: opening it again says so, kindly.
    await page.goto(link)
    assert "Du har allerede svart" in await page.locator("main").inner_text()
    await checked(page)
    await context.close()
