"""The search-then-pick pages in Chromium: WCAG 2.1 AA, 320 CSS pixels without sideways
scrolling, and adding members and a stale edit on pages that carry no script at all.

(axe needs scripts in the page's context, so the browser runs with JavaScript on; that the
pages work without it shows in their having no script element.)"""

from __future__ import annotations

import pytest

from tests.support import find_id
from tests.test_browser import signed_in, violations  # noqa: F401  (the fixture, by name)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

NARROW = {"width": 320, "height": 640}


async def sideways(page) -> list[str]:
    """The elements that stick out to the right of the screen (none, or it scrolls sideways)."""
    assert await page.locator("script").count() == 0  # nothing here needs JavaScript
    return await page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          return [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .map(e => `${e.tagName}.${e.className}#${e.id}: ${e.textContent.slice(0, 40)}`);
        }"""
    )


@pytest.mark.parametrize(
    "viewport", [NARROW, {"width": 1280, "height": 800}], ids=["320px", "desktop"]
)
async def test_adding_members_by_search_and_paste_meets_wcag_and_fits_320_pixels(
    signed_in,  # noqa: F811
    live_server,
    client,
    viewport,
):
    kongsberg = await find_id(client, "municipalities", q="Kongsberg")
    for name in ("Kari Nordmann", "Karianne Li", "Per Haugen"):
        email = name.split()[0].lower() + "@kongsberg.kommune.no"
        await client.post(
            "/api/people", json={"name": name, "email": email, "municipality_id": kongsberg}
        )
    group = (
        await client.post("/api/groups", json={"name": "Referansegruppe", "kind": "network"})
    ).json()["id"]
    context = await signed_in(viewport=viewport)
    page = await context.new_page()
    await page.goto(f"{live_server}/admin/groups/{group}")
    await page.click("text=Legg til flere medlemmer")
    assert await violations(page) == []
    assert await sideways(page) == []
    await page.fill("#q", "kari")
    await page.click("button[name=_search]")
    assert "2 treff" in await page.locator("main").inner_text()
    await page.check("label:has-text('Kari Nordmann')")
    await page.fill("#emails", "per@kongsberg.kommune.no\nukjent@kongsberg.kommune.no")
    await page.click("main form button:not([name])")
    # Refused: the error summary has focus, the ticked person and the pasted text are kept.
    # Focus moves when the refused page has loaded: wait for it, not race it.
    await page.wait_for_function("document.activeElement?.className === 'ds-error-summary'")
    assert "Linje 2" in await page.locator("#emails-error").inner_text()
    assert await page.is_checked("label:has-text('Kari Nordmann')")
    assert "per@kongsberg" in await page.input_value("#emails")
    assert await violations(page) == []
    assert await sideways(page) == []
    await page.fill("#emails", "per@kongsberg.kommune.no")
    await page.click("main form button:not([name])")
    assert "2 personer er lagt til i gruppen" in await page.locator("main").inner_text()
    assert await violations(page) == []
    assert await sideways(page) == []
    # The membership form's person field: search, then pick.
    await page.goto(f"{live_server}/admin/memberships/new?group_id={group}")
    await page.fill("#person_id", "karianne")
    await page.click("button[name=_search]")
    assert await violations(page) == []
    assert await sideways(page) == []
    await page.check("label:has-text('Karianne Li')")
    await page.select_option("#role", "member")
    await page.fill("#starts_on", "2027-01-01")
    await page.click("main form button:not([name])")
    assert "Endringene er lagret" in await page.locator("main").inner_text()


async def test_a_stale_edit_page_meets_wcag_at_320_pixels(signed_in, live_server, client):  # noqa: F811
    tinn = await find_id(client, "municipalities", q="Tinn")
    context = await signed_in(viewport=NARROW)
    first, second = await context.new_page(), await context.new_page()
    for tab in (first, second):
        await tab.goto(f"{live_server}/admin/municipalities/{tinn}")
    await first.fill("#name", "Tinn kommune")
    await first.click("main form.register-form button[type=submit]")
    await second.fill("#name", "Tinn herad")
    await second.click("main form.register-form button[type=submit]")
    assert "Noen andre har endret" in await second.locator(".ds-error-summary").inner_text()
    assert "Tinn kommune" in await second.locator("#name-stored").inner_text()
    assert await second.input_value("#name") == "Tinn herad"
    assert await violations(second) == []
    assert await sideways(second) == []
