"""The decision form's municipalities as checkboxes in Chromium: ticked boxes survive a
refused save, the saved decision lists their names, and the pages meet WCAG 2.1 AA at
320 CSS pixels and at desktop width."""

from __future__ import annotations

import pytest

from tests.test_browser import signed_in, violations  # noqa: F401  (the fixture, by name)
from tests.test_members_browser import NARROW, sideways

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.mark.parametrize(
    "viewport", [NARROW, {"width": 1280, "height": 800}], ids=["320px", "desktop"]
)
async def test_a_decision_for_two_municipalities_through_the_form(
    signed_in,  # noqa: F811
    live_server,
    viewport,
):
    context = await signed_in(viewport=viewport)
    page = await context.new_page()
    await page.goto(f"{live_server}/admin/decisions")
    await page.click("text=Nytt vedtak")
    assert await page.locator("fieldset legend", has_text="Kommunene vedtaket gjelder").count()
    await page.select_option("#body", "council")
    await page.fill("#decided_on", "2025-06-12")
    await page.check("label:has-text('Kongsberg')")
    await page.check("label:has-text('Rollag')")
    # The title is left out: refused, with both boxes still ticked and no others.
    await page.click("main form button[type=submit]")
    await page.wait_for_function("document.activeElement?.className === 'ds-error-summary'")
    assert await page.is_checked("label:has-text('Kongsberg')")
    assert await page.is_checked("label:has-text('Rollag')")
    assert not await page.is_checked("label:has-text('Flesberg')")
    assert await violations(page) == []
    assert await sideways(page) == []
    await page.fill("#title", "Felles lønnskjøring")
    await page.click("main form button[type=submit]")
    assert "Endringene er lagret." in await page.locator("main").inner_text()
    assert await page.is_checked("label:has-text('Kongsberg')")
    assert await page.is_checked("label:has-text('Rollag')")
    assert await violations(page) == []
    assert await sideways(page) == []
    await page.goto(f"{live_server}/admin/decisions")
    row = page.locator("tr", has_text="Felles lønnskjøring")
    assert "Kongsberg, Rollag" in await row.inner_text()
    assert await page.locator("td", has_text="Alle åtte kommuner").count() == 2
    assert await violations(page) == []
    # The table scrolls within its own region; the page itself does not scroll sideways.
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
