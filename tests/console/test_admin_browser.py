"""The administrator's section in a real Chromium, as an administrator uses it: a new executor
with a «сутки через трое» rota seen on the month calendar and in the duty table, who then sets
a password at first log-in; a CSV of 300 buildings with bad rows checked, corrected and
imported, then residents; the audit log and the system page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from journal import Journal
from journal.clock import utcnow
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_page, login, needs_browser
from tests.console.conftest import PASSWORD, Staff
from tests.console.test_admin_import import BAD_BUILDINGS, RESIDENT_HEADER, buildings_csv
from tests.console.test_admin_staff import head_revision

pytestmark = [pytest.mark.slow, needs_browser]


async def test_an_admin_sets_up_an_executor_in_chromium(server: TestServer, web_journal: Journal,
                                                        staff: Staff) -> None:
    from playwright.async_api import async_playwright, expect

    await web_journal.people.add_building("Ленина", "5")
    b2 = await web_journal.people.add_building("Садовая", "7")
    base = f"http://{server.host}:{server.port}"
    tz = web_journal.config.tz
    today = utcnow().astimezone(tz).date()
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000}, locale="ru-RU")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await login(page, base, "admin", PASSWORD, lands_on="/console")
            await page.click("text=Администрирование")
            await page.wait_for_url(f"{base}/admin/staff")

            form = page.locator("#new-user")
            await form.locator('[name="login"]').fill("orlov")
            await form.locator('[name="full_name"]').fill("Орлов В. П.")
            await form.locator('[name="role"]').select_option("executor")
            await form.locator('[name="extension"]').fill("203")
            await form.locator('button[type="submit"]').click()
            notice = page.locator("#temp-password")
            await expect(notice).to_contain_text("Временный пароль для «orlov»", timeout=5000)
            temporary = (await notice.text_content() or "").split(": ")[1].split(" ")[0]

            await page.reload()
            await page.click("#staff >> text=Орлов В. П.")
            await expect(page.locator("h1")).to_contain_text("Орлов В. П.")
            profile = page.locator("#profile")
            await profile.locator('input[name="category"][value="water"]').check()
            await profile.locator('input[name="category"][value="sewer"]').check()
            await profile.locator('input[name="all_buildings"]').uncheck()
            await profile.locator('select[name="building_ids"]').select_option([str(b2.id)])
            await profile.locator('[name="rota_starts_on"]').fill(today.isoformat())
            await profile.locator('[name="rota_start"]').fill("08:00")
            await profile.locator('[name="rota_end"]').fill("08:00")
            await profile.locator('[name="rota_pattern"]').fill("1000")
            await profile.locator('button[type="submit"]').click()
            await expect(page.locator("#calendar")).to_contain_text("08:00–08:00 (до след. дня)", timeout=5000)
            cell = page.locator(f'#calendar td[data-date="{today.isoformat()}"]')
            await expect(cell).to_have_class("day work today")
            await expect(page.locator('[name="rota_pattern"]')).to_have_value("1000")

            # Leave four days from now: that rota day is shown as leave.
            leave_day = today + timedelta(days=4)
            leave = page.locator("#leave")
            await leave.locator('[name="from"]').fill(leave_day.isoformat())
            await leave.locator('[name="to"]').fill(leave_day.isoformat())
            await leave.locator('[name="reason"]').fill("отпуск")
            await leave.locator('button[type="submit"]').click()
            await expect(page.locator("#leave-list")).to_contain_text(leave_day.isoformat(), timeout=5000)
            if leave_day.month == today.month:
                await expect(page.locator(f'#calendar td[data-date="{leave_day.isoformat()}"]')).to_have_class(
                    "day leave")
            await page.screenshot(path=str(ARTIFACTS / "admin-executor.png"), full_page=True)

            await page.goto(f"{base}/admin/staff")
            duty = page.locator('#duty tr[data-login="orlov"]')
            await expect(duty.locator(".next")).to_contain_text(f"{today + timedelta(days=8):%d.%m} 08:00")

            # The audit log shows what was done, by whom.
            await page.goto(f"{base}/admin/audit")
            await expect(page.locator("#audit")).to_contain_text("Новый сотрудник")
            await expect(page.locator("#audit")).to_contain_text("Профиль исполнителя")
            await expect(page.locator("#audit")).to_contain_text("Администратор (admin)")

            # The new executor's first log-in: a password of their own, then their tickets.
            other = await browser.new_page(locale="ru-RU")
            await login(other, base, "orlov", temporary)
            await expect(other.locator("h1")).to_have_text("Задайте новый пароль")
            await other.fill('[name="current"]', temporary)
            await other.fill('[name="new"]', "Sinii-traktor-57")
            await other.fill('[name="repeat"]', "Sinii-traktor-57")
            await other.click('button[type="submit"]')
            await other.wait_for_url(f"{base}/my", timeout=5000)
            assert errors == []
        finally:
            await browser.close()
    user = await web_journal.staff.by_login("orlov")
    assert user.extension == "203" and not user.must_change_password


async def test_an_admin_imports_buildings_and_residents_in_chromium(server: TestServer, web_journal: Journal,
                                                                    tmp_path: Path) -> None:
    from playwright.async_api import expect

    base = f"http://{server.host}:{server.port}"
    bad, _ = buildings_csv(300, BAD_BUILDINGS)
    good, _ = buildings_csv(295, {})
    (tmp_path / "дома-с-ошибками.csv").write_bytes(bad)
    (tmp_path / "дома.csv").write_bytes(good)
    residents = [RESIDENT_HEADER] + [f"7916{i:07d};Жилец {i};Ленина;{1 + i % 30};;{i};" for i in range(200)]
    residents[51] = "79160000001;Повтор;Ленина;1;;1;"
    (tmp_path / "жители.csv").write_text("\n".join(residents), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    async with chromium_page() as (page, errors):
        await login(page, base, "admin", PASSWORD, lands_on="/console")
        await page.goto(f"{base}/admin/buildings")
        box = page.locator('.import[data-kind="buildings"]')
        apply = box.locator('[data-admin="import-apply"]')

        await box.locator('input[type="file"]').set_input_files(str(tmp_path / "дома-с-ошибками.csv"))
        await box.locator('button[name="check"]').click()
        await expect(box.locator(".summary")).to_contain_text("Импорт невозможен: строк 300", timeout=10000)
        await expect(box.locator("table.errors tbody tr")).to_have_count(5)
        await expect(box.locator("table.errors")).to_contain_text("не число: «девять»")
        await expect(box.locator("table.errors tbody tr").first).to_contain_text("19")
        await expect(apply).to_be_disabled()
        await page.screenshot(path=str(ARTIFACTS / "admin-import-errors.png"), full_page=True)
        assert await web_journal.estate.buildings() == []

        await box.locator('input[type="file"]').set_input_files(str(tmp_path / "дома.csv"))
        await box.locator('button[name="check"]').click()
        await expect(box.locator(".summary")).to_contain_text("Проверено: строк 295, новых 295", timeout=10000)
        await expect(box.locator("table.preview tbody tr")).to_have_count(20)
        await expect(box.locator("table.preview thead")).to_contain_text("УлицаТип улицыДомКорпус")
        await expect(apply).to_be_enabled()
        await apply.click()
        await expect(box.locator(".summary")).to_contain_text("Импортировано", timeout=10000)
        await page.wait_for_load_state()
        await expect(page.locator("h1")).to_contain_text("(295)", timeout=10000)
        await expect(page.locator("#buildings")).to_contain_text("проспект Мира, д. 1")
        # A building corrected by hand: its row's form, saved in place.
        cell = page.locator("td", has_text=re.compile(r"^проспект Мира, д\. 1$"))
        row = page.locator("#buildings tr").filter(has=cell)
        await row.locator('[data-admin="edit-row"]').click()
        edit = page.locator("#new-building")
        await expect(edit.locator('[name="street"]')).to_have_value("мира")
        await edit.locator('[name="floors"]').fill("12")
        await expect(page.locator("#building-form-title")).to_have_text("Дом: проспект Мира, д. 1")
        await edit.locator('button[type="submit"]').click()
        # Saved, the page reloads with the add form again and the new value in the row.
        await expect(page.locator("#building-form-title")).to_have_text("Новый дом", timeout=5000)
        await expect(row.locator("td").nth(2)).to_have_text("12")
        mira = next(b for b in await web_journal.estate.buildings() if b.street == "мира" and b.house == "1")
        assert mira.floors == 12

        await page.goto(f"{base}/admin/residents")
        box = page.locator('.import[data-kind="residents"]')
        await box.locator('input[type="file"]').set_input_files(str(tmp_path / "жители.csv"))
        await box.locator('button[name="check"]').click()
        await expect(box.locator("table.errors tbody tr")).to_have_count(1, timeout=10000)
        await expect(box.locator("table.errors")).to_contain_text("этот телефон уже есть в строке 3")
        async with page.expect_download() as download:
            await page.click('a[href="/api/admin/export/residents.csv"]')
        assert (await (await download.value).path()).read_bytes().startswith("\ufeffТелефон".encode())
        assert errors == []
    assert len(await web_journal.estate.buildings()) == 295
    assert await web_journal.estate.residents() == []


async def test_the_system_page_in_chromium(server: TestServer, web_journal: Journal) -> None:
    from playwright.async_api import async_playwright, expect

    base = f"http://{server.host}:{server.port}"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page(locale="ru-RU")
            await login(page, base, "admin", PASSWORD, lands_on="/console")
            await page.goto(f"{base}/admin/system")
            await expect(page.locator("#sys-db")).to_contain_text("доступна")
            await expect(page.locator("#sys-db")).to_contain_text("sqlite")
            await expect(page.locator("#sys-db")).to_contain_text(head_revision())
            await expect(page.locator("#sys-pbx")).to_contain_text("подключение")
            await expect(page.locator("#sys-asr")).to_contain_text("в очереди: 0")
            await expect(page.locator("#sys-disk")).to_contain_text("Хранятся 1095 дн.")
            await page.screenshot(path=str(ARTIFACTS / "admin-system.png"), full_page=True)
        finally:
            await browser.close()
