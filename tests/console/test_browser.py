"""A real Chromium: log in, a call rings (screen pop through the hub), the card appears, the
dispatcher assigns an executor, and the journal shows it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestServer

from cti.console.notifier import ConsoleNotifier
from cti.web import ConsoleHub
from journal import Journal
from tests.browser import ARTIFACTS, chromium_page, login, needs_browser
from tests.console.conftest import PASSWORD, Session, Staff, make_ticket

pytestmark = [pytest.mark.slow, needs_browser]


async def test_a_dispatcher_works_a_screen_pop_in_chromium(
    server: TestServer, hub: ConsoleHub, web_journal: Journal, staff: Staff,
    browser_session: Callable[[str], Awaitable[Session]],
) -> None:
    from playwright.async_api import expect

    b = await web_journal.people.add_building("Ленина", "5", street_type="улица")
    for i in range(9):
        await make_ticket(web_journal, caller_phone=f"791650000{i:02d}", category="water", problem="burst_pipe",
                          building_id=b.id, apartment=str(20 + i))
    previous = await make_ticket(web_journal, caller_phone="79161234567", category="elevator", building_id=b.id,
                                 apartment="12")
    call = await web_journal.calls.start(channel_id="1795433765.3", caller_number="+79161234567")
    rec = await web_journal.calls.add_recording(call_id=call.id, name="call-1795433765.3",
                                                data=b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28))
    ticket_id = await make_ticket(web_journal, caller_phone="+79161234567", caller_name="Иванова <b>М.</b>",
                                  category="water", problem="burst_pipe", building_id=b.id, apartment="12",
                                  description="Прорвало трубу в ванной", call_id=call.id, recording_ids=[rec.id])
    base = f"http://{server.host}:{server.port}"
    ARTIFACTS.mkdir(exist_ok=True)

    async with chromium_page() as (page, errors):
        await login(page, base, "petrova", PASSWORD, lands_on="/console")
        await expect(page.locator("#ws-state.up")).to_be_visible(timeout=5000)

        ConsoleNotifier(hub).pbx_state(True)
        ConsoleNotifier(hub).call_state("1795433765.3", "answered", caller_number="79161234567", caller_name="Иванова", extension="101")
        ConsoleNotifier(hub).call_state("1795433766.4", "ivr", caller_number="79035550101")
        ticket = await web_journal.tickets.get(ticket_id)
        ConsoleNotifier(hub).screen_pop("101", {"call_id": "1795433765.3", "ticket_id": ticket_id, "ticket_number": ticket.number,
                               "caller_number": "79161234567", "priority": ticket.priority})
        # The same call answered: the same card, not a second one.
        ConsoleNotifier(hub).screen_pop("101", {"call_id": "1795433765.3", "stage": "answered", "caller_number": "79161234567",
                               "address": None})
        card = page.locator(".card").first
        await expect(page.locator(".card")).to_have_count(1)
        await expect(page.locator(".card.emergency .emergency-note")).to_be_visible()
        await expect(card.locator('[data-f="number"]')).to_have_text(f"Заявка № {ticket.number}", timeout=5000)
        await expect(card.locator('[data-f="address"]')).to_have_text("улица Ленина, д. 5, кв. 12")
        await expect(card.locator('[data-f="caller_name"]')).to_have_text("Иванова <b>М.</b>")
        await expect(card.locator(".groups li.mass")).to_contain_text("обращений: Прорыв трубы, затопление")
        await expect(card.locator(".history-list")).to_contain_text((await web_journal.tickets.get(previous)).number)
        await expect(card.locator("audio")).to_have_attribute("src", f"/recordings/{rec.id}")

        # The transcript arrives later: the journal gets it, then a message tells the consoles.
        said = "У меня в ванной прорвало трубу, заливает соседей"
        await web_journal.tickets.set_transcript(ticket_id, text=said, status="done")
        ConsoleNotifier(hub).ticket_updated(ticket_id, transcript=said)
        await expect(card.locator('[data-f="transcript"]')).to_have_text(said, timeout=5000)
        # What the words say, read with little confidence, shows as a guess.
        from journal.models import Ticket

        async with web_journal.db.write() as sess:
            row = await sess.get(Ticket, ticket_id)
            assert row is not None
            row.suggested_category, row.suggested_category_confidence = "sewer", 0.42
        ConsoleNotifier(hub).ticket_updated(ticket_id, suggested_category="sewer")
        await expect(card.locator('[data-f="suggested"]')).to_contain_text("возможно, ", timeout=5000)
        await expect(card.locator('[data-f="suggested"]')).to_contain_text("? (не уверено)")

        await card.locator('select[name="executor_id"]').select_option(str(staff["sidorov"]))
        await card.locator('[data-act="assign"]').click()
        await expect(card.locator(".msg")).to_have_text("Исполнитель назначен", timeout=5000)
        await expect(card.locator('[data-f="executor_name"]')).to_have_text("Сидоров А. В.")
        await expect(card.locator('[data-f="transcript"]')).to_have_text(said)
        await expect(card.locator('[data-act="accept"]')).to_be_hidden()
        await asyncio.sleep(1.2)  # let the countdown tick once for the screenshot
        await page.screenshot(path=str(ARTIFACTS / "console.png"), full_page=True)

        # An executor rings from the field: their open tickets pop.
        ConsoleNotifier(hub).screen_pop("101", {"kind": "executor", "call_id": "exec-1", "caller_number": "201",
                               "caller_name": "Сидоров А. В.", "open_tickets": [
                                   {"ticket_id": ticket_id, "ticket_number": ticket.number, "overdue": True,
                                    "address": "Ленина, 5"}]})
        await expect(page.locator(".card")).to_have_count(2)
        await expect(page.locator(".card").first.locator(".executor-tickets")).to_contain_text(ticket.number)

        # The server goes away (a restart): a banner, not just the dot; it clears on reconnect.
        await expect(page.locator("#ws-banner")).to_be_hidden()
        await hub.close_all()
        await expect(page.locator("#ws-banner")).to_be_visible(timeout=3000)
        await expect(page.locator("#ws-banner")).to_contain_text("Нет связи с сервером АДС")
        await expect(page.locator("#ws-banner")).to_be_hidden(timeout=10000)
        await expect(page.locator("#ws-state.up")).to_be_visible()

        await page.goto(f"{base}/tickets/{ticket_id}")
        await expect(page.locator("dl.facts")).to_contain_text("Сидоров А. В.")
        await page.screenshot(path=str(ARTIFACTS / "ticket.png"), full_page=True)
        await page.goto(f"{base}/tickets?category=water&limit=8&sort=received")
        await expect(page.locator("table.list")).to_contain_text(ticket.number)
        await page.screenshot(path=str(ARTIFACTS / "tickets.png"), full_page=True)
        assert errors == []

    t = await web_journal.tickets.get(ticket_id)
    assert t.executor_id == staff["sidorov"] and t.status == "assigned"


async def test_the_header_says_how_many_asterisk_nodes_are_up(
        server: TestServer, hub: ConsoleHub, staff: Staff) -> None:
    """Two nodes: «на связи» while both are up, «на связи 1 из 2» (and which, on hover) while
    one is down — calls still come through the other, so no banner — and «нет связи» with the
    banner once neither is; a page opened meanwhile says the same from the server."""
    from playwright.async_api import expect

    base = f"http://{server.host}:{server.port}"
    notify = ConsoleNotifier(hub)
    notify.pbx_state(True, node="node1")
    notify.pbx_state(True, node="node2")
    async with chromium_page() as (page, errors):
        await login(page, base, "petrova", PASSWORD, lands_on="/console")
        state, banner = page.locator("#pbx-state"), page.locator("#pbx-banner")
        await expect(state).to_have_text("АТС: на связи")
        await expect(page.locator("#ws-state.up")).to_be_visible(timeout=5000)
        notify.pbx_state(False, node="node2")
        await expect(state).to_have_text("АТС: на связи 1 из 2", timeout=5000)
        await expect(state).to_have_class("pbx-state pbx-partial")
        await expect(state).to_have_attribute("title", "node1: на связи; node2: нет связи")
        await expect(banner).to_be_hidden()
        await page.reload()
        await expect(state).to_have_text("АТС: на связи 1 из 2")
        await expect(state).to_have_attribute("title", "node1: на связи; node2: нет связи")
        await expect(page.locator("#ws-state.up")).to_be_visible(timeout=5000)
        notify.pbx_state(False, node="node1")
        await expect(state).to_have_text("АТС: нет связи", timeout=5000)
        await expect(banner).to_be_visible()
        notify.pbx_state(True, node="node2")
        await expect(state).to_have_text("АТС: на связи 1 из 2", timeout=5000)
        await expect(banner).to_be_hidden()
        assert errors == []
