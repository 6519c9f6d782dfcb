"""The dispatcher's desk in a real Chromium: the live work queue on two consoles when the voice
menu registers a ticket, the call card surviving F5 and a new tab, the log-in page when the
session ends, and the executor's page on a 390 px phone."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from cti.app.runtime import Runtime
from cti.web import ConsoleHub
from journal import Journal, TicketFilter
from journal.clock import utcnow
from pbxsim import CallScript, PbxSim
from tests.asterisk_fixtures import SPEECH_WAV
from tests.browser import ARTIFACTS, login, needs_browser
from tests.console.conftest import PASSWORD, Session, Staff, make_ticket
from tests.service.running import Served
from tests.service.test_screen_pop_calls import STAFF_PASSWORD, service, until_played  # noqa: F401  (fixture)

pytestmark = [pytest.mark.slow, needs_browser]
ServiceT = tuple[Runtime, PbxSim, Served]


async def console_page(browser: Any, base: str, login_name: str, password: str, errors: list[str]) -> Any:
    from playwright.async_api import expect

    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await login(page, base, login_name, password, lands_on="/console")
    await expect(page.locator("#ws-state.up")).to_be_visible(timeout=5000)
    return page


async def test_a_voice_menu_ticket_appears_in_the_queue_of_both_consoles(browser: Any,
    service: ServiceT, tmp_path: Path,  # noqa: F811
) -> None:
    from playwright.async_api import expect

    runtime, sim, served = service
    base = f"http://{served.host}:{served.port}"
    ARTIFACTS.mkdir(exist_ok=True)
    said = tmp_path / "problem.wav"
    shutil.copy(SPEECH_WAV, said)
    errors: list[str] = []
    one = await console_page(browser, base, "dispatcher1", STAFF_PASSWORD, errors)
    two = await console_page(browser, base, "dispatcher2", STAFF_PASSWORD, errors)
    for page in (one, two):
        await expect(page.locator('#queue-bar [data-count="new"] b')).to_have_text("0", timeout=5000)

    call = sim.place_call(CallScript("79161234567", "Ivanova", say=said))
    # The live call list speaks Russian.
    await expect(one.locator("#calls-list")).to_contain_text("голосовое меню", timeout=5000)
    await until_played(sim, call.id, "sound:hotline/category-menu")
    sim.press(call.id, "1")
    for _ in range(200):
        tickets = list(await runtime.journal.monitor.tickets(TicketFilter(), utcnow(), limit=5))
        if tickets:
            break
        await asyncio.sleep(0.05)
    [ticket] = tickets
    registered = time.monotonic()
    for page in (one, two):
        await expect(page.locator("#queue .q-new")).to_contain_text(ticket.number, timeout=5000)
        await expect(page.locator('#queue-bar [data-count="new"] b')).to_have_text("1")
    # Both consoles show it within a second or two of the registration (a busy machine).
    assert time.monotonic() - registered < 5
    await expect(one.locator("#calls-list")).not_to_contain_text("menu")
    await one.screenshot(path=str(ARTIFACTS / "desk-queue.png"), full_page=True)

    # Opening it from the queue gives its card; accepting it takes it out of both queues.
    await one.locator(f'#queue .q-new [data-open-ticket="{ticket.id}"]').click()
    card = one.locator(".card").first
    await expect(card.locator('[data-f="number"]')).to_have_text(f"Заявка № {ticket.number}", timeout=5000)
    await card.locator('[data-act="accept"]').click()
    await expect(card.locator(".msg")).to_have_text("Заявка принята", timeout=5000)
    for page in (one, two):
        await expect(page.locator("#queue .q-new")).not_to_contain_text(ticket.number, timeout=5000)
        await expect(page.locator('#queue-bar [data-count="new"] b')).to_have_text("0")
    assert errors == []


async def test_the_card_of_a_live_call_survives_f5_and_a_new_tab(browser: Any, service: ServiceT) -> None:  # noqa: F811
    from playwright.async_api import expect

    _, sim, served = service
    base = f"http://{served.host}:{served.port}"
    errors: list[str] = []
    page = await console_page(browser, base, "dispatcher1", STAFF_PASSWORD, errors)
    call = sim.place_call(CallScript("79160000007", "Petrov"))
    await until_played(sim, call.id, "sound:hotline/category-menu")
    sim.press(call.id, "9")
    card = page.locator(".card").first
    await expect(card.locator('[data-f="number"]')).to_contain_text("Заявка № ", timeout=10000)
    number = await card.locator('[data-f="number"]').text_content()
    # The call this dispatcher answered is marked as theirs, in the card and the list.
    await expect(card).to_have_class(_has("mine"), timeout=5000)
    await expect(card.locator(".mine-note")).to_be_visible()
    await expect(page.locator("#calls-list li.mine")).to_contain_text("разговор")

    await page.reload()
    await expect(page.locator("#ws-state.up")).to_be_visible(timeout=5000)
    await expect(page.locator(".card")).to_have_count(1, timeout=5000)
    await expect(page.locator(".card").first.locator('[data-f="number"]')).to_have_text(number or "")

    # A new tab has nothing kept: the server's hello brings the live call's card back.
    tab = await page.context.new_page()
    await tab.goto(f"{base}/console")
    await expect(tab.locator(".card").first.locator('[data-f="number"]')).to_have_text(number or "",
                                                                                    timeout=5000)
    # Closed, it can be opened again from the call list.
    await tab.locator('.card [data-act="close"]').first.click()
    await expect(tab.locator(".card")).to_have_count(0)
    await tab.locator("#calls-list li.mine").click()
    await expect(tab.locator(".card").first.locator('[data-f="number"]')).to_have_text(number or "",
                                                                                    timeout=5000)
    sim.hangup(call.id)
    assert errors == []


async def test_an_ended_session_sends_the_console_to_log_in(browser: Any,
    server: TestServer, hub: ConsoleHub, web_journal: Journal, staff: Staff,
    browser_session: Callable[[str], Awaitable[Session]],
) -> None:
    from playwright.async_api import expect

    base = f"http://{server.host}:{server.port}"
    errors: list[str] = []
    page = await console_page(browser, base, "petrova", PASSWORD, errors)
    admin = await browser_session("admin")
    status, _ = await admin.api("POST", f"/api/users/{staff['petrova']}/end-sessions")
    assert status == 200
    await page.wait_for_url(f"{base}/login?next=%2Fconsole", timeout=15000)

    # A restart that forgot the session: the websocket closes without our code, the
    # handshake is refused, and the console asks the API, which says 401.
    page = await console_page(browser, base, "ivanov", PASSWORD, errors)
    await web_journal.sessions.end_all(staff["ivanov"])
    await hub.close_all()
    await page.wait_for_url(f"{base}/login?next=%2Fconsole", timeout=15000)
    await expect(page.locator('input[name="login"]')).to_be_visible()
    # Back does not show the console's data: pages are never stored (no-store).
    resp = await page.request.get(f"{base}/console")
    assert resp.headers.get("cache-control") == "no-store"


async def test_the_executors_page_fits_a_390_px_phone(browser: Any,
    server: TestServer, web_journal: Journal, staff: Staff,
) -> None:
    from playwright.async_api import expect

    base = f"http://{server.host}:{server.port}"
    b = await web_journal.people.add_building("Ленина", "5", street_type="улица")
    await make_ticket(web_journal, executor_id=staff["sidorov"], caller_phone="79161234567", building_id=b.id,
                      apartment="12", description="Течёт кран на кухне, вода на полу, соседи снизу жалуются")
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU",
                                        is_mobile=True, has_touch=True)
    page = await context.new_page()
    await login(page, base, "sidorov", PASSWORD, lands_on="/my")
    await expect(page.locator("article.panel")).to_have_count(1)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"
    status = page.locator('select[name="status"]').first
    assert await status.input_value() == "in_progress"
    assert (await status.locator("option").all_text_contents())[-1] == "Невозможно выполнить"
    await expect(page.locator('a[href^="tel:"]')).to_have_attribute("href", "tel:+79161234567")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "executor-390.png"), full_page=True)


def _has(name: str) -> re.Pattern[str]:
    return re.compile(rf"(^|\s){name}(\s|$)")


async def test_waiting_callers_emergencies_first_with_their_wait_and_an_alarm(browser: Any,
    server: TestServer, hub: ConsoleHub, web_journal: Journal, staff: Staff,
) -> None:
    from playwright.async_api import expect

    from cti.console.notifier import ConsoleNotifier

    base = f"http://{server.host}:{server.port}"
    notify = ConsoleNotifier(hub)
    errors: list[str] = []
    page = await console_page(browser, base, "petrova", PASSWORD, errors)
    await page.evaluate("localStorage.removeItem('hotline.mute')")
    since = (utcnow() - timedelta(seconds=40)).isoformat()
    notify.call_state("c-plain", "waiting", caller_number="79160000001", waiting_since=since, emergency=False)
    notify.call_state("c-menu", "menu", caller_number="79160000003")
    notify.call_state("c-sos", "waiting", caller_number="79160000002",
                      waiting_since=utcnow().isoformat(), emergency=True)
    calls = page.locator("#calls-list li")
    await expect(calls).to_have_count(3, timeout=5000)
    await expect(calls.nth(0)).to_contain_text("79160000002")
    await expect(calls.nth(0)).to_contain_text("АВАРИЯ, № 1 в очереди, ждёт диспетчера")
    await expect(calls.nth(1)).to_contain_text("№ 2 в очереди")
    await expect(calls.nth(1).locator(".wait")).to_contain_text("ждёт 00:4")
    await expect(calls.nth(2)).to_contain_text("голосовое меню")
    await expect(page.locator('#queue-bar [data-count="waiting"] b')).to_have_text("2")
    # A new emergency: the alarm shows (and sounds, unless muted).
    await expect(page.locator("#alarm")).to_contain_text("Аварийный вызов ждёт ответа: 79160000002")
    await page.locator("#alert-mute").click()
    await expect(page.locator("#alert-mute")).to_have_text("🔕 Звук выключен")
    assert await page.evaluate("localStorage.getItem('hotline.mute')") == "1"
    await page.reload()
    await expect(page.locator("#alert-mute")).to_have_text("🔕 Звук выключен")
    # The counters are on every staff page, not only the console.
    await page.goto(f"{base}/tickets")
    await expect(page.locator('#queue-bar [data-count="waiting"] b')).to_have_text("2", timeout=5000)
    assert errors == []


@pytest.mark.parametrize("width", [1280, 1400])
async def test_the_header_fits_the_screen(browser: Any, server: TestServer, staff: Staff, width: int) -> None:
    from playwright.async_api import expect

    base = f"http://{server.host}:{server.port}"
    page = await browser.new_page(viewport={"width": width, "height": 800}, locale="ru-RU")
    await login(page, base, "admin", PASSWORD, lands_on="/console")  # the longest menu
    logout = page.locator('header.top button:has-text("Выйти")')
    await expect(logout).to_be_visible()
    box = await logout.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    bar = await page.locator("#queue-bar").bounding_box()
    assert bar is not None and bar["x"] + bar["width"] <= width


async def test_the_journal_list_refreshes_itself_and_a_private_comment_unticks(browser: Any,
    server: TestServer, hub: ConsoleHub, web_journal: Journal, staff: Staff,
    browser_session: Callable[[str], Awaitable[Session]],
) -> None:
    from playwright.async_api import expect

    from cti.console.notifier import ConsoleNotifier

    base = f"http://{server.host}:{server.port}"
    errors: list[str] = []
    page = await console_page(browser, base, "petrova", PASSWORD, errors)
    await page.goto(f"{base}/tickets")
    await expect(page.locator("table.list")).to_contain_text("Заявок не найдено")
    other = await browser_session("ivanov")
    status, body = await other.api("POST", "/api/tickets", {
        "channel": "walk_in", "category": "water", "caller_phone": "79160000042", "description": "Течёт кран"})
    assert status == 201
    number = body["ticket"]["number"]
    # No reload: the list follows the journal.
    await expect(page.locator("table.list")).to_contain_text(number, timeout=5000)
    assert await page.evaluate("performance.getEntriesByType('navigation').length") == 1

    await page.goto(f"{base}/console")
    await expect(page.locator("#ws-state.up")).to_be_visible(timeout=5000)
    ConsoleNotifier(hub).screen_pop("101", {"call_id": "c-9", "ticket_id": body["ticket"]["id"],
                                            "caller_number": "79160000042"})
    card = page.locator(".card").first
    await expect(card.locator('[data-f="number"]')).to_have_text(f"Заявка № {number}", timeout=5000)
    await card.locator('input[name="comment"]').fill("Жильца нет дома")
    await card.locator('input[name="private"]').check()
    await card.locator('[data-act="comment"]').click()
    await expect(card.locator(".msg")).to_have_text("Комментарий добавлен", timeout=5000)
    await expect(card.locator('input[name="private"]')).not_to_be_checked()
    [h] = [h for h in await web_journal.tickets.history(body["ticket"]["id"]) if h.kind == "comment"]
    assert h.public is False and h.text == "Жильца нет дома"
    assert errors == []


async def test_an_answered_calls_ticket_opens_ready_to_sort(browser: Any, service: ServiceT) -> None:  # noqa: F811
    from playwright.async_api import expect

    runtime, sim, served = service
    base = f"http://{served.host}:{served.port}"
    errors: list[str] = []
    page = await console_page(browser, base, "dispatcher1", STAFF_PASSWORD, errors)
    call = sim.place_call(CallScript("79160000008", "Orlova"))
    await until_played(sim, call.id, "sound:hotline/category-menu")
    sim.press(call.id, "9")
    card = page.locator(".card").first
    await expect(card.locator('[data-f="number"]')).to_contain_text("Заявка № ", timeout=10000)
    # «Прочее» with no address: category, priority and address are open at once.
    edit = card.locator("details.edit")
    await expect(edit).to_have_attribute("open", "", timeout=5000)
    await edit.locator('select[name="category"]').select_option("heating")
    await edit.locator('select[name="building_id"]').select_option(index=1)
    await edit.locator('input[name="apartment"]').fill("12")
    await edit.locator('[data-act="edit"]').click()
    await expect(card.locator('[data-f="category_label"]')).to_have_text("Отопление", timeout=5000)
    [ticket] = await runtime.journal.monitor.tickets(TicketFilter(), utcnow(), limit=5)
    assert (ticket.category, ticket.apartment) == ("heating", "12") and ticket.building_id is not None
    sim.hangup(call.id)
    assert errors == []


async def test_the_next_shift_reads_the_handover_note_on_its_console(browser: Any, service: ServiceT) -> None:  # noqa: F811
    from playwright.async_api import expect

    from journal import Actor
    from journal.handover import add_note

    runtime, _, served = service
    base = f"http://{served.host}:{served.port}"
    await add_note(runtime.journal.settings, Actor("Диспетчер ночной смены"), "Лифт на Мира 23 стоит, ждём мастера к 9:00")
    errors: list[str] = []
    page = await console_page(browser, base, "dispatcher2", STAFF_PASSWORD, errors)
    note = page.locator("#handover-note")
    await expect(note).to_contain_text("Лифт на Мира 23 стоит", timeout=5000)
    await expect(note).to_contain_text("Передача смены — Диспетчер ночной смены")
    await note.locator("button").click()
    await expect(note).to_have_count(0)
    await page.reload()
    await expect(page.locator("#ws-state.up")).to_be_visible(timeout=5000)
    await page.wait_for_timeout(500)
    await expect(page.locator("#handover-note")).to_have_count(0)  # read once is enough
    assert errors == []


async def test_a_deadline_minutes_away_sounds_the_alarm(browser: Any, server: TestServer, web_journal: Journal, staff: Staff) -> None:
    from playwright.async_api import expect

    from journal.models import Ticket

    ticket_id = await make_ticket(web_journal)
    async with web_journal.db.write() as s:
        ticket = await s.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.next_due_at = utcnow() + timedelta(minutes=8)
        number = ticket.number
    base = f"http://{server.host}:{server.port}"
    errors: list[str] = []
    page = await console_page(browser, base, "petrova", PASSWORD, errors)
    await expect(page.locator("#alarm")).to_contain_text(f"Срок заявки № {number} истекает через 8 мин",
                                                         timeout=5000)
    assert errors == []


async def test_several_tickets_are_assigned_and_finished_at_once(browser: Any, server: TestServer, web_journal: Journal,
                                                                staff: Staff) -> None:
    from playwright.async_api import expect

    ids = [await make_ticket(web_journal, caller_phone=f"+7 916 000-00-1{i}") for i in range(3)]
    base = f"http://{server.host}:{server.port}"
    errors: list[str] = []
    page = await console_page(browser, base, "petrova", PASSWORD, errors)
    await page.goto(f"{base}/tickets?sort=received")
    for tid in ids[:2]:
        await page.locator(f'input[data-bulk-id="{tid}"]').check()
    bar = page.locator("#bulk")
    await expect(bar).to_be_visible()
    await expect(page.locator("#bulk-count")).to_have_text("2")
    await bar.locator('select[name="bulk_executor"]').select_option(str(staff["sidorov"]))
    await bar.locator('[data-bulk-act="assign"]').click()
    await expect(bar.locator(".msg")).to_have_text("Изменено заявок: 2", timeout=5000)
    for tid in ids[:2]:
        assert (await web_journal.tickets.get(tid)).executor_id == staff["sidorov"]
    assert (await web_journal.tickets.get(ids[2])).executor_id is None
    # Finishing needs a work result: without one every ticket says so, and none changes.
    await page.wait_for_load_state("load")
    await expect(page.locator(f'input[data-bulk-id="{ids[0]}"]')).to_be_visible(timeout=5000)
    for tid in ids[:2]:
        await page.locator(f'input[data-bulk-id="{tid}"]').check()
    await bar.locator('select[name="bulk_status"]').select_option("done")
    await bar.locator('[data-bulk-act="status"]').click()
    await expect(bar.locator(".msg")).to_contain_text("Укажите результат работ", timeout=5000)
    assert {(await web_journal.tickets.get(t)).status for t in ids[:2]} == {"assigned"}
    await bar.locator('input[name="bulk_comment"]').fill("Течь устранена, стояк заменён")
    await bar.locator('[data-bulk-act="status"]').click()
    await expect(bar.locator(".msg")).to_have_text("Изменено заявок: 2", timeout=5000)
    for tid in ids[:2]:
        t = await web_journal.tickets.get(tid)
        assert (t.status, t.result) == ("done", "Течь устранена, стояк заменён")
    assert errors == []


async def test_the_new_ticket_form_knows_the_phone_and_finds_the_house(browser: Any, server: TestServer, web_journal: Journal,
                                                                      staff: Staff) -> None:
    from playwright.async_api import expect

    await web_journal.people.add_building("Ленина", "5")
    mira = await web_journal.people.add_building("Мира", "23")
    await web_journal.people.save_resident("79161112233", name="Смирнова А. П.", building_id=mira.id, apartment="7")
    open_id = await make_ticket(web_journal, caller_phone="79161112233", category="heating")
    number = (await web_journal.tickets.get(open_id)).number
    base = f"http://{server.host}:{server.port}"
    errors: list[str] = []
    page = await console_page(browser, base, "petrova", PASSWORD, errors)
    await page.goto(f"{base}/tickets/new")
    await page.locator('input[name="caller_phone"]').fill("+7 916 111-22-33")
    known = page.locator("#known")
    await expect(known).to_contain_text("Известный житель: Смирнова А. П.", timeout=5000)
    await expect(known).to_contain_text(f"№ {number}")
    await expect(page.locator('input[name="caller_name"]')).to_have_value("Смирнова А. П.")
    await expect(page.locator('input[name="apartment"]')).to_have_value("7")
    assert await page.locator('select[name="building_id"]').input_value() == str(mira.id)
    # The house list narrows as the dispatcher types, and picks the first match.
    await page.locator('select[name="building_id"]').select_option("")
    await page.locator("#building-filter").fill("мира 23")
    assert await page.locator('select[name="building_id"]').input_value() == str(mira.id)
    assert errors == []


async def test_the_ringing_card_fills_in_the_known_resident(browser: Any, service: ServiceT) -> None:  # noqa: F811
    from playwright.async_api import expect

    from journal import Actor, NewTicket

    runtime, sim, served = service
    mira = await runtime.journal.people.find_building("Мира", "23")
    assert mira is not None
    await runtime.journal.tickets.register(NewTicket(
        channel="phone_ivr", category="heating", actor=Actor.system("t"), auto_assign=False,
        caller_phone="79161112244", caller_name="Смирнова А. П.", building_id=mira.id, apartment="7"))
    base = f"http://{served.host}:{served.port}"
    errors: list[str] = []
    page = await console_page(browser, base, "dispatcher1", STAFF_PASSWORD, errors)
    call = sim.place_call(CallScript("79161112244"))
    await until_played(sim, call.id, "sound:hotline/welcome")
    sim.press(call.id, "0")
    card = page.locator(".card").first
    await expect(card.locator('[data-f="caller_name"]')).to_have_text("Смирнова А. П.", timeout=10000)
    await expect(card.locator('[data-f="address"]')).to_contain_text("д. 23, кв. 7")
    # Answered, the call's new ticket keeps the address she called from before.
    await expect(card.locator('[data-f="number"]')).to_contain_text("Заявка № ", timeout=10000)
    await expect(card.locator('[data-f="address"]')).to_contain_text("д. 23, кв. 7")
    sim.hangup(call.id)
    assert errors == []
