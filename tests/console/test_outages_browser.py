"""A real Chromium: a burst of heating calls from one street shows «Похоже на массовую аварию»;
one click opens the declaration prefilled with the street's buildings and the calls; the
dispatcher writes the announcement and declares; the outage's page lists the calls and every
page carries the banner."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer

from journal import Journal
from tests.browser import ARTIFACTS, chromium_page, login, needs_browser
from tests.console.conftest import PASSWORD, Staff, make_ticket

pytestmark = [pytest.mark.slow, needs_browser]


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    settings.outages.suggest_calls = 3
    return settings


async def test_declaring_from_a_suggestion_in_chromium(server: TestServer, web_journal: Journal, staff: Staff) -> None:
    from playwright.async_api import expect

    ids = [(await web_journal.people.add_building("Ленина", house)).id for house in ("5", "7")]
    other = await web_journal.people.add_building("Мира", "1")
    tickets = [await make_ticket(web_journal, category="heating", building_id=b, apartment=str(i),
                                 caller_phone=f"7916200000{i}") for i, b in enumerate([*ids, ids[0]])]
    numbers = [(await web_journal.tickets.get(t)).number for t in tickets]
    base = f"http://{server.host}:{server.port}"
    ARTIFACTS.mkdir(exist_ok=True)
    async with chromium_page() as (page, errors):
        await login(page, base, "petrova", PASSWORD, lands_on="/console")
        # The «Аварии» page reads the calls afresh (the banner of the other pages within 30 s).
        await page.click('header nav a[href="/outages"]')
        await expect(page.locator("#outage-banner")).to_contain_text(
            "Похоже на массовую аварию: Отопление, улица Ленина — заявок: 3", timeout=5000)
        await expect(page.locator("#suggestions")).to_contain_text("Отопление")
        await page.locator("#suggestions a.button").click()
        await page.wait_for_url(f"{base}/outages/new?*")
        await expect(page.locator('select[name="utility"]')).to_have_value("heating")
        for b in ids:
            await expect(page.locator(f'input[data-building="{b}"]')).to_be_checked()
        await expect(page.locator(f'input[data-building="{other.id}"]')).not_to_be_checked()
        # «все дома улицы» ticks every building of the street, and unticks them.
        street_all = page.locator(".street", has_text="улица Мира").locator("input[data-street-all]")
        await street_all.check()
        await expect(page.locator(f'input[data-building="{other.id}"]')).to_be_checked()
        await street_all.uncheck()
        await page.fill('textarea[name="announcement"]', "Нет отопления: порыв на теплотрассе. Бригада работает.")
        await page.fill('input[name="expected_restoration"]', "2099-01-15T18:30")
        await page.click('#declare button[type="submit"]')
        await page.wait_for_url(f"{base}/outages/*", timeout=10000)
        await expect(page.locator("#outage-state")).to_have_text("действует")
        for number in numbers:
            await expect(page.locator("#children")).to_contain_text(number)
        await page.goto(f"{base}/tickets")
        await expect(page.locator("#outage-banner")).to_contain_text(
            "Авария: отопление — улица Ленина (действует, до 15.01.2099 18:30)")
        await expect(page.locator("#outage-banner")).not_to_contain_text("Похоже на массовую аварию")
        await page.screenshot(path=str(ARTIFACTS / "outage-declared.png"), full_page=True)
        assert errors == []
    [outage] = await web_journal.outages.recent()
    assert sorted(await web_journal.outages.building_ids(outage.id)) == sorted(ids)
