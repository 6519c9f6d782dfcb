"""What the journal will not take from a dispatcher or an executor, said once in Russian with
the field's Russian name, and nothing written when it is refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from journal import Actor, Journal, TicketFilter
from journal.clock import utcnow
from tests.console.conftest import Session, Staff, make_ticket

MakeSession = Callable[[str], Awaitable[Session]]


async def open_count(journal: Journal) -> int:
    return await journal.monitor.count(TicketFilter(), utcnow())


async def test_a_new_ticket_needs_a_phone_or_an_address_and_a_description(
    browser_session: MakeSession, web_journal: Journal,
) -> None:
    s = await browser_session("petrova")
    status, err = await s.api("POST", "/api/tickets", {"channel": "walk_in", "category": "water"})
    assert status == 400 and err["error"] == "Укажите телефон заявителя или адрес (дом или адрес текстом)"
    status, err = await s.api("POST", "/api/tickets", {"channel": "walk_in", "category": "water",
                                                       "caller_phone": "79160000001", "description": "  "})
    assert status == 400 and err["error"] == "Не заполнено поле «описание»"
    status, err = await s.api("POST", "/api/tickets", {"channel": "walk_in", "category": "water",
                                                       "caller_phone": "79160000001", "description": "течёт",
                                                       "caller_name": "Я" * 201})
    assert status == 400
    assert err["error"] == "Поле «имя заявителя» слишком длинное: не больше 200 символов"
    assert await open_count(web_journal) == 0
    status, body = await s.api("POST", "/api/tickets", {"channel": "walk_in", "category": "water",
                                                        "address_text": "Ленина, 5", "description": "течёт"})
    assert status == 201 and body["ticket"]["address"] == "Ленина, 5"


async def test_assigned_needs_an_executor_and_done_needs_a_result(
    browser_session: MakeSession, web_journal: Journal, staff: Staff,
) -> None:
    t = await make_ticket(web_journal)
    s = await browser_session("petrova")
    status, err = await s.api("POST", f"/api/tickets/{t}/status", {"status": "assigned"})
    assert status == 400 and "требует исполнителя" in err["error"]
    assert (await web_journal.tickets.get(t)).status == "new"
    status, err = await s.api("POST", f"/api/tickets/{t}/status", {"status": "done", "comment": "сделали"})
    assert status == 400 and err["error"] == "Укажите результат работ"
    status, body = await s.api("POST", f"/api/tickets/{t}/status", {"status": "done", "result": "Заменён кран"})
    assert status == 200 and body["status"] == "done"
    # Closing a ticket that has its result needs nothing more.
    status, body = await s.api("POST", f"/api/tickets/{t}/status", {"status": "closed"})
    assert status == 200 and body["status"] == "closed"
    # An illegal change is still the journal's 409, not a missing result.
    other = await make_ticket(web_journal)
    status, _ = await s.api("POST", f"/api/tickets/{other}/status", {"status": "closed"})
    assert status == 409
    await web_journal.tickets.assign(other, staff["sidorov"], Actor("Петрова", staff["petrova"]))
    status, body = await s.api("POST", f"/api/tickets/{other}/status", {"status": "accepted"})
    assert status == 200


async def test_the_executor_also_needs_a_result_a_comment_is_not_one(
    browser_session: MakeSession, web_journal: Journal, staff: Staff,
) -> None:
    mine = await make_ticket(web_journal, executor_id=staff["sidorov"])
    s = await browser_session("sidorov")
    status, err = await s.api("POST", f"/api/tickets/{mine}/status", {"status": "cannot_be_done", "comment": "нет"})
    assert status == 400 and err["error"] == "Укажите результат работ"
    assert (await web_journal.tickets.get(mine)).status == "assigned"
