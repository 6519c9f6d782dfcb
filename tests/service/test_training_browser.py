"""A trainee in a real Chromium: log in, start "a person stuck in a lift" from the console, the
training card pops (through the stand-in and the real voice menu), fill in category, priority,
address and executor, finish, and see the score."""

from __future__ import annotations

import pytest

from cti.app.demo import DEMO_PASSWORD
from cti.app.runtime import Runtime
from pbxsim import PbxSim
from tests.browser import ARTIFACTS, chromium_page, login, needs_browser
from tests.service.test_screen_pop_calls import Served
from tests.service.test_training_service import training_service  # noqa: F401  (fixture)

pytestmark = [pytest.mark.slow, needs_browser]


async def test_a_trainee_plays_a_scenario_end_to_end_in_chromium(
    training_service: tuple[Runtime, PbxSim, Served],  # noqa: F811
) -> None:
    from playwright.async_api import expect

    runtime, _, served = training_service
    base = f"http://{served.host}:{served.port}"
    ARTIFACTS.mkdir(exist_ok=True)
    mira = await runtime.journal.people.find_building("Мира", "23")
    electrician = next(u for u in await runtime.journal.people.users("executor") if u.login == "electrician")
    assert mira is not None

    async with chromium_page(height=1100) as (page, errors):
        await login(page, base, "dispatcher1", DEMO_PASSWORD, lands_on="/console")
        await expect(page.locator("#ws-state.up")).to_be_visible(timeout=5000)
        await expect(page.locator("#pbx-state")).to_have_text("АТС: на связи (имитатор)")

        await expect(page.locator("#training-panel")).to_be_visible(timeout=5000)
        await page.select_option("#training-scenario", "lift-stuck")
        await expect(page.locator("#training-briefing")).to_contain_text("застрял")
        await page.click("#training-start")
        await expect(page.locator("#training-msg")).to_contain_text("Учебный звонок начат", timeout=10000)

        card = page.locator(".card.training").first
        await expect(card).to_be_visible(timeout=15000)
        await expect(card.locator('[data-t="title"]')).to_have_text("Человек застрял в лифте")
        await expect(card.locator('[data-t="said"]')).to_contain_text("застрял в лифте")
        await expect(card.locator('[data-f="number"]')).to_contain_text("Заявка № T", timeout=15000)
        await expect(page.locator(".card")).to_have_count(1)

        # Not yet sorted («Прочее», no house): the controls are open at once.
        await expect(card.locator("details.edit")).to_have_attribute("open", "", timeout=5000)
        await card.locator('select[name="category"]').select_option("elevator")
        await card.locator('select[name="priority"]').select_option("emergency")
        await card.locator('select[name="building_id"]').select_option(str(mira.id))
        await card.locator('[data-act="edit"]').click()
        await expect(card.locator(".msg")).to_have_text("Изменения сохранены", timeout=5000)
        await card.locator('select[name="executor_id"]').select_option(str(electrician.id))
        await card.locator('[data-act="assign"]').click()
        await expect(card.locator(".msg")).to_have_text("Исполнитель назначен", timeout=5000)
        await expect(card.locator('[data-f="executor_name"]')).to_have_text(electrician.full_name)
        await card.locator('select[name="deadline_told"]').select_option("30m")
        await page.screenshot(path=str(ARTIFACTS / "training-card.png"), full_page=True)

        await card.locator('[data-training="finish"]').click()
        await expect(card.locator(".score-total")).to_have_text("Результат: 5 из 5", timeout=5000)
        await expect(card.locator("table.score td.bad")).to_have_count(0)
        await page.screenshot(path=str(ARTIFACTS / "training-score.png"), full_page=True)

        await page.goto(f"{base}/training")
        await expect(page.locator("#runs")).to_contain_text("Человек застрял в лифте")
        await page.goto(f"{base}/test-call")
        await expect(page.locator("#test-call-form")).to_be_visible()
        await page.screenshot(path=str(ARTIFACTS / "test-call.png"), full_page=True)
        assert errors == []
