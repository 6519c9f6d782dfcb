"""Наряд-заказ: the crew's printed order for a ticket, as a page and as a PDF; an executor gets
their own tickets' orders only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from journal import Journal
from tests.browser import needs_browser
from tests.console.conftest import Session, Staff, make_ticket

MakeSession = Callable[[str], Awaitable[Session]]


async def test_the_order_carries_what_the_crew_needs_and_only_its_executor_gets_it(
        browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    mira = await web_journal.people.add_building("Мира", "23")
    t = await make_ticket(web_journal, executor_id=staff["sidorov"], building_id=mira.id, apartment="7",
                          caller_name="Смирнова А. П.", description="Течёт батарея в комнате <b>сильно</b>")
    ticket = await web_journal.tickets.get(t)
    crew = await browser_session("sidorov")
    async with crew.http.get(crew.url(f"/tickets/{t}/order")) as r:
        html = await r.text()
    assert r.status == 200
    assert f"Наряд-заказ № {ticket.number}" in html and "Мира" in html and "кв. 7" in html
    assert "Смирнова А. П." in html and "Сидоров А. В." in html
    assert "&lt;b&gt;сильно&lt;/b&gt;" in html  # a resident's words are text, never markup
    other = await browser_session("kozlov")
    async with other.http.get(other.url(f"/tickets/{t}/order"), allow_redirects=False) as r:
        assert r.status in (403, 404)


@pytest.mark.slow
@needs_browser
async def test_the_order_prints_to_pdf(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    t = await make_ticket(web_journal, executor_id=staff["sidorov"])
    d = await browser_session("petrova")
    async with d.http.get(d.url(f"/tickets/{t}/order?format=pdf")) as r:
        data = await r.read()
    assert r.status == 200 and r.headers["Content-Type"] == "application/pdf" and data.startswith(b"%PDF")
    assert "naryad-" in r.headers["Content-Disposition"]
