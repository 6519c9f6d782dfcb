"""The journal as a dispatcher searches it: by phone, number, address or words; the most urgent
first by default; the filters kept in the URL; and the work queue's lists and counters."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

from journal import Actor, Journal
from journal.clock import utcnow
from journal.models import Ticket
from tests.console.conftest import Session, Staff, make_ticket
from tests.console.test_pages import page

MakeSession = Callable[[str], Awaitable[Session]]


def numbers_in(html: str) -> list[str]:
    return re.findall(r'<a href="/tickets/\d+">(\d{4}-\d+)</a>', html)


async def number(journal: Journal, ticket_id: int) -> str:
    return (await journal.tickets.get(ticket_id)).number


async def set_due(journal: Journal, ticket_id: int, minutes: float) -> None:
    async with journal.db.write() as s:
        row = await s.get(Ticket, ticket_id)
        assert row is not None
        row.next_due_at = utcnow() + timedelta(minutes=minutes)


async def test_search_by_phone_number_address_and_words(browser_session: MakeSession, web_journal: Journal) -> None:
    lenina = await web_journal.people.add_building("Ленина", "5", street_type="улица")
    mira = await web_journal.people.add_building("Мира", "23", street_type="проспект")
    a = await make_ticket(web_journal, caller_phone="+7 916 123-45-67", building_id=lenina.id, apartment="12",
                          description="Прорвало трубу в ванной")
    b = await make_ticket(web_journal, caller_phone="79035550101", building_id=mira.id, apartment="4",
                          description="Не работает лифт")
    c = await make_ticket(web_journal, caller_phone="79260000000", address_text="СНТ Берёзка, уч. 7",
                          description="Искрит щиток")
    s = await browser_session("petrova")
    na, nb, nc = [await number(web_journal, t) for t in (a, b, c)]
    assert numbers_in(await page(s, "/tickets?q=8-916-123-45-67")) == [na]
    assert numbers_in(await page(s, "/tickets?q=ленина")) == [na]
    assert numbers_in(await page(s, "/tickets?q=Мира")) == [nb]
    assert numbers_in(await page(s, "/tickets?q=берёзка")) == [nc]
    assert numbers_in(await page(s, "/tickets?q=лифт")) == [nb]
    assert numbers_in(await page(s, f"/tickets?q={nb.split('-')[1].lstrip('0')}")) == [nb]
    assert numbers_in(await page(s, "/tickets?q=ленина+лифт")) == []
    # The search stays in the box (the URL holds it), escaped.
    html = await page(s, "/tickets?q=%3Cb%3Eлифт")
    assert 'value="&lt;b&gt;лифт"' in html


async def test_the_most_urgent_ticket_is_on_top_by_default(browser_session: MakeSession, web_journal: Journal) -> None:
    planned = [await make_ticket(web_journal, category="cleaning") for _ in range(3)]
    emergency = await make_ticket(web_journal, category="water", priority="emergency")
    for i, t in enumerate(planned):
        await set_due(web_journal, t, 60 * 24 * (i + 1))
    await set_due(web_journal, emergency, 18)
    s = await browser_session("petrova")
    assert numbers_in(await page(s, "/tickets"))[0] == await number(web_journal, emergency)
    by_arrival = numbers_in(await page(s, "/tickets?sort=received"))
    assert by_arrival[0] == await number(web_journal, emergency)  # also the newest here
    assert by_arrival[-1] == await number(web_journal, planned[0])
    assert numbers_in(await page(s, "/tickets?due_soon=1")) == [await number(web_journal, emergency)]


async def test_the_work_queue_lists_and_counts(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    fresh = await make_ticket(web_journal, caller_phone="79160000001")
    handled = await make_ticket(web_journal, caller_phone="79160000002")
    await web_journal.tickets.comment(handled, Actor("Петрова О. И.", staff["petrova"]), "Позвонила жителю")
    late = await make_ticket(web_journal, caller_phone="79160000003")
    await web_journal.tickets.assign(late, staff["sidorov"], Actor("Петрова О. И.", staff["petrova"]))
    await set_due(web_journal, late, -5)
    call = await web_journal.calls.start(channel_id="c-1", caller_number="79160000009")
    await web_journal.calls.record_missed(call_id=call.id, caller_number="79160000009", caller_name=None,
                                          reason="hangup", step="greeting")
    s = await browser_session("petrova")
    status, q = await s.api("GET", "/api/console/queue")
    assert status == 200 and isinstance(q, dict)
    # The one assigned by Петрова was handled by a person: not new any more.
    assert [t["id"] for t in q["new"]] == [fresh]
    assert q["counts"]["new"] == 1
    assert [t["id"] for t in q["overdue"]] == [late] and q["counts"]["overdue"] == 1
    assert {t["id"] for t in q["unassigned"]} == {fresh, handled}
    [missed] = q["callbacks"]
    assert missed["caller_number"] == "79160000009" and missed["reason_label"] == "Абонент положил трубку на приветствии"
    # The missed-call page says it in Russian too.
    assert "Абонент положил трубку на приветствии" in await page(s, "/missed")
    assert "hangup" not in await page(s, "/missed")
