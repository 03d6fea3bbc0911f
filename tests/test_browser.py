"""The pages in a real browser (Debian's Chromium through Playwright): WCAG 2.1 AA by axe-core,
a phone's screen, and forms that work without JavaScript."""

from __future__ import annotations

import pytest
from axe_playwright_python.async_playwright import Axe

from tests.support import find_id

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PHONE = {"width": 375, "height": 740}
PAGES = [
    "/",
    "/admin/municipalities",
    "/admin/organisations",
    "/admin/people",
    "/admin/people/new",
    "/admin/groups/new",
    "/admin/memberships/new",
    "/admin/phases",
    "/admin/milestones",
    "/admin/risk-factors",
    "/admin/municipalities/1",
    "/tilgjengelighet",
]


async def violations(page) -> list[str]:
    results = await Axe().run(page, options=WCAG_21_AA)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} places, e.g. {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize(
    "viewport", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "desktop"]
)
async def test_every_page_meets_wcag_21_aa_and_fits_the_screen(browser, live_server, viewport):
    context = await browser.new_context(viewport=viewport, locale="nb-NO")
    page = await context.new_page()
    for path in PAGES:
        response = await page.goto(live_server + path)
        assert response.status == 200, path
        assert await violations(page) == [], path
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    await context.close()


async def test_a_form_with_errors_meets_wcag_and_moves_focus_by_links(browser, live_server):
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(live_server + "/admin/people/new")
    await page.fill("#name", "Kari Nordmann")
    await page.fill("#email", "kari-uten-krøllalfa")
    await page.click("button[type=submit]")
    assert await page.locator("#email-error").inner_text() == (
        "Skriv en gyldig e-postadresse, for eksempel navn@kommune.no."
    )
    assert await page.locator("#email").get_attribute("aria-invalid") == "true"
    assert "email-error" in await page.locator("#email").get_attribute("aria-describedby")
    assert await violations(page) == []
    await page.click(".ds-error-summary a[href='#email']")
    assert await page.evaluate("location.hash") == "#email"
    await context.close()


async def test_registering_a_person_works_without_javascript(browser, live_server, client):
    hjartdal = await find_id(client, "municipalities", q="Hjartdal")
    context = await browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = await context.new_page()
    await page.goto(live_server + "/admin/people/new")
    await page.fill("#name", "Synnøve Haugen")
    await page.fill("#email", "synnove@hjartdal.kommune.no")
    await page.click("button[type=submit]")
    # Without a municipality the form comes back with the error and what was typed.
    assert (
        "kommunen eller organisasjonen" in await page.locator("#municipality_id-error").inner_text()
    )
    assert await page.input_value("#name") == "Synnøve Haugen"
    await page.select_option("#municipality_id", str(hjartdal))
    await page.select_option("#language_form", "nynorsk")
    await page.click("button[type=submit]")
    assert "Endringene er lagret" in await page.locator("main").inner_text()
    await page.goto(live_server + "/admin/people?q=Synnøve")
    assert "Hjartdal" in await page.locator("table").inner_text()
    await context.close()
