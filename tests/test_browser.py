"""The pages in a real browser (Debian's Chromium through Playwright): WCAG 2.1 AA by axe-core,
a phone's screen, and forms that work without JavaScript."""

from __future__ import annotations

import pytest
from axe_playwright_python.async_playwright import Axe

from medvirkning.auth.middleware import SESSION_COOKIE
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
    "/admin/role-grants/new",
    "/admin/audit",
    "/admin/outbox",
    "/admin/api-tokens",
    "/admin/meetings",
    "/admin/meetings/new",
    "/moter",
    "/admin/inputs",
    "/admin/inputs/new",
    "/admin/themes",
    "/admin/decisions",
    "/admin/decisions/1",
    "/admin/learning-points",
    "/admin/learning-points/new",
    "/innspill",
    "/innspill/kommuner/1",
    "/forankring",
    "/forankring/fase/1/regionen",
    "/admin/anchoring-targets",
    "/tilgjengelighet",
    "/schema",
]


@pytest.fixture
async def signed_in(browser, live_server, client):
    """A browser context with the project leader's session (signed in as `client` is)."""
    contexts = []

    async def new_context(**options):
        context = await browser.new_context(locale="nb-NO", **options)
        await context.add_cookies(
            [{"name": SESSION_COOKIE, "value": client.cookies[SESSION_COOKIE], "url": live_server}]
        )
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        await context.close()


async def violations(page) -> list[str]:
    results = await Axe().run(page, options=WCAG_21_AA)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} places, e.g. {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize(
    "viewport", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "desktop"]
)
async def test_every_page_meets_wcag_21_aa_and_fits_the_screen(signed_in, live_server, viewport):
    context = await signed_in(viewport=viewport)
    page = await context.new_page()
    # The Content-Security-Policy must block nothing our own pages use.
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Security Policy" in m.text else None)
    for path in PAGES:
        response = await page.goto(live_server + path)
        assert response.status == 200, path
        assert page.url == live_server + path, f"{path} went to {page.url}"
        assert await violations(page) == [], path
        assert blocked == [], path
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"


async def test_a_form_with_errors_meets_wcag_and_moves_focus_by_links(signed_in, live_server):
    context = await signed_in(viewport=PHONE)
    page = await context.new_page()
    await page.goto(live_server + "/admin/people/new")
    await page.fill("#name", "Kari Nordmann")
    await page.fill("#email", "kari-uten-krøllalfa")
    await page.click("main form.register-form button[type=submit]")
    assert await page.locator("#email-error").inner_text() == (
        "Skriv en gyldig e-postadresse, for eksempel navn@kommune.no."
    )
    assert await page.locator("#email").get_attribute("aria-invalid") == "true"
    assert "email-error" in await page.locator("#email").get_attribute("aria-describedby")
    assert await violations(page) == []
    await page.click(".ds-error-summary a[href='#email']")
    assert await page.evaluate("location.hash") == "#email"


async def test_registering_a_person_works_without_javascript(signed_in, live_server, client):
    hjartdal = await find_id(client, "municipalities", q="Hjartdal")
    context = await signed_in(java_script_enabled=False, viewport=PHONE)
    page = await context.new_page()
    await page.goto(live_server + "/admin/people/new")
    await page.fill("#name", "Synnøve Haugen")
    await page.fill("#email", "synnove@hjartdal.kommune.no")
    await page.click("main form.register-form button[type=submit]")
    # Without a municipality the form comes back with the error and what was typed.
    assert (
        "kommunen eller organisasjonen" in await page.locator("#municipality_id-error").inner_text()
    )
    assert await page.input_value("#name") == "Synnøve Haugen"
    await page.select_option("#municipality_id", str(hjartdal))
    await page.select_option("#language_form", "nynorsk")
    await page.click("main form.register-form button[type=submit]")
    assert "Endringene er lagret" in await page.locator("main").inner_text()
    await page.goto(live_server + "/admin/people?q=Synnøve")
    assert "Hjartdal" in await page.locator("table").inner_text()


async def test_the_sign_in_page_meets_wcag_on_a_phone_for_someone_not_signed_in(
    browser, live_server
):
    context = await browser.new_context(viewport=PHONE, locale="nb-NO")
    page = await context.new_page()
    await page.goto(live_server + "/admin/people")
    assert page.url == live_server + "/logg-inn"
    assert await violations(page) == []
    await page.fill("#email", "feil")
    await page.click("main button[type=submit]")
    assert "Skriv e-postadressen din" in await page.locator("#email-error").inner_text()
    assert await violations(page) == []
    await page.fill("#email", "noen@kommune.no")
    await page.click("main button[type=submit]")
    assert "Sjekk e-posten din" in await page.locator("h1").inner_text()
    assert await violations(page) == []
    await context.close()


async def test_meeting_pages_and_the_answer_page_meet_wcag_on_a_phone(
    signed_in, browser, live_server, client
):
    from datetime import datetime, timedelta

    from medvirkning.formats import OSLO

    kongsberg = await find_id(client, "municipalities", q="Kongsberg")
    await client.post(
        "/api/people",
        json={"name": "Per", "email": "per@kongsberg.kommune.no", "municipality_id": kongsberg},
    )
    start = (datetime.now(OSLO) + timedelta(days=3)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    meeting = await client.post(
        "/api/meetings",
        json={
            "title": "Referansegruppe lønn",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            "invitee_emails": ["per@kongsberg.kommune.no"],
            "agenda": "1. Oppstart",
        },
    )
    assert meeting.status_code == 201, meeting.text
    context = await signed_in(viewport=PHONE)
    page = await context.new_page()
    await page.goto(f"{live_server}/admin/meetings/{meeting.json()['id']}")
    assert "Referansegruppe lønn" in await page.locator("h1").inner_text()
    assert await violations(page) == []
    await page.goto(f"{live_server}/admin/meetings/{meeting.json()['id']}/edit")
    assert await violations(page) == []

    from medvirkning.meetings.letters import answer_token

    invitation = meeting.json()["invitations"][0]
    token = answer_token(client.app.state.settings, invitation["id"])
    anonymous = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    answer = await anonymous.new_page()
    await answer.goto(f"{live_server}/svar/{invitation['id']}/{token}?svar=tentative")
    assert await answer.is_checked("#svar-tentative")
    await answer.click("main button[type=submit]")
    assert "svaret ditt er registrert: kommer kanskje" in await answer.locator("main").inner_text()
    await anonymous.close()


async def both_widths_pass(page, where: str) -> None:
    """axe finds nothing, and nothing scrolls sideways, at 320 CSS pixels and at desktop width."""
    for width in (320, 1280):
        await page.set_viewport_size({"width": width, "height": 800})
        assert await violations(page) == [], f"{where} at {width}px"
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{where} scrolls sideways by {overflow}px at {width}px"


async def test_a_year_of_reference_group_meetings_through_the_pages(
    signed_in, browser, live_server, client, imap_mailbox, reply_settings
):
    from datetime import datetime, timedelta

    from medvirkning.formats import OSLO
    from medvirkning.meetings.letters import answer_token
    from tests import scenario
    from tests.support import database

    async with database(client) as db, db.begin():
        for name, municipality_id in (await scenario.municipality_ids(db)).items():
            members = await scenario.add_people(db, 2, municipality_id, prefix=name.split()[0])
            await scenario.add_group(
                db, f"Referansegruppe {name}", members, municipality_id=municipality_id
            )
        newcomer = await scenario.add_people(db, 1, municipality_id, prefix="nykommer")
    newcomer_email = (await client.get(f"/api/people/{newcomer[0]}")).json()["email"]
    start = (datetime.now(OSLO) + timedelta(days=10)).date()

    context = await signed_in(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await page.goto(f"{live_server}/admin/meetings/new")
    await both_widths_pass(page, "new meeting")
    await page.fill("#title", "Referansegruppene, felles møte")
    await page.fill("#date", start.isoformat())
    await page.fill("#start", "10:00")
    await page.fill("#end", "11:30")
    await page.check("#kind-reference_group")
    await page.check("#repeat-monthly_weekday")
    await page.fill("#repeat_count", "4")
    await page.click("main form.register-form button[type=submit]")
    assert "Lagret, og e-post er sendt" in await page.locator("main").inner_text()
    first_url = page.url.split("?")[0]
    await both_widths_pass(page, "meeting page")
    main = await page.locator("main").inner_text()
    assert "Ikke svart: 16" in main
    assert main.count("Referansegruppe ") >= 8

    # Move the second meeting of the series, this one only.
    await page.locator("main ol.ds-list li a").nth(0).click()
    second_url = page.url
    await page.click("text=Endre møtet")
    await both_widths_pass(page, "edit occurrence")
    await page.fill("#start", "12:00")
    await page.fill("#end", "13:30")
    await page.check("#scope-one")
    await page.click("main form.register-form button[type=submit]")
    assert "kl. 12:00–13:30" in await page.locator("main").inner_text()

    # Cancel the third, after saying yes on a page of its own.
    await page.goto(first_url)
    await page.locator("main ol.ds-list li a").nth(1).click()
    await page.click("text=Avlys møtet")
    assert "Avlyse Referansegruppene, felles møte?" in await page.locator("h1").inner_text()
    await both_widths_pass(page, "confirm cancel")
    await page.click("text=Ja, avlys møtet")
    assert "Møtet er avlyst" in await page.locator("main").inner_text()

    # A newcomer joins the series.
    await page.goto(first_url)
    await page.fill("#emails", newcomer_email)
    await page.click("text=Send invitasjon")
    assert "Invitasjon er sendt" in await page.locator("main").inner_text()
    assert "Ikke svart: 17" in await page.locator("main").inner_text()

    # An answer by the e-mail's link arrives on the organiser's page.
    meeting = (await client.get(first_url.replace(live_server + "/admin", "/api"))).json()
    invitation = next(i for i in meeting["invitations"] if i["email"] == newcomer_email)
    token = answer_token(client.app.state.settings, invitation["id"])
    anonymous = await browser.new_context(viewport={"width": 320, "height": 700})
    answer = await anonymous.new_page()
    await answer.goto(f"{live_server}/svar/{invitation['id']}/{token}?svar=accepted")
    await both_widths_pass(answer, "answer page")
    await answer.click("main button[type=submit]")
    assert "registrert" in await answer.locator("main").inner_text()
    await anonymous.close()
    await page.reload()
    assert "Kommer: 1" in await page.locator("main").inner_text()
    await page.goto(second_url)
    assert "Kommer: 1" in await page.locator("main").inner_text()  # the series' answer

    # Another answers with the calendar's own button; the service reads the reply mailbox.
    from medvirkning.meetings.replies import poll_replies
    from medvirkning.transaction import connected
    from tests.test_replies import calendar_reply

    other = next(i for i in meeting["invitations"] if i["email"] != newcomer_email)
    await imap_mailbox.append(calendar_reply("outlook", other, meeting, "DECLINED"))
    async with connected(reply_settings.database_url) as database:
        await poll_replies(database, reply_settings)
    await page.goto(first_url)
    main = await page.locator("main").inner_text()
    assert "Kommer: 1" in main
    assert "Kommer ikke: 1" in main
    await page.goto(f"{live_server}/admin/meetings")
    await both_widths_pass(page, "meetings list")
    assert "Serie: dette og" in await page.locator("main").inner_text()
