"""The journal pages and the console card's data, as a dispatcher sees them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestServer

from cti.settings import Settings
from cti.web import create_app
from journal import Actor, Journal
from tests.console.conftest import Session, Staff, make_ticket

MakeSession = Callable[[str], Awaitable[Session]]
XSS = "<script>alert('x')</script>"


async def page(s: Session, path: str, status: int = 200) -> str:
    async with s.http.get(s.url(path), allow_redirects=False) as r:
        assert r.status == status, (path, r.status)
        return await r.text()


async def test_markup_in_names_and_transcripts_is_shown_as_text(
    browser_session: MakeSession, web_journal: Journal
) -> None:
    t = await make_ticket(web_journal, caller_name=XSS, description=XSS)
    await web_journal.tickets.set_transcript(t, text=f"течёт {XSS}", status="done")
    s = await browser_session("petrova")
    html = await page(s, f"/tickets/{t}")
    assert XSS not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    listing = await page(s, "/tickets")
    assert XSS not in listing and "&lt;script&gt;" in listing
    async with s.http.get(s.url(f"/tickets/{t}")) as r:
        assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")


async def test_every_page_renders_for_its_roles(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    t = await make_ticket(web_journal, executor_id=staff["sidorov"])
    d = await browser_session("petrova")
    assert "Пульт" in await page(d, "/console")
    assert "Журнал заявок" in await page(d, "/tickets")
    assert "Новая заявка" in await page(d, "/tickets/new")
    assert "Пропущенные вызовы" in await page(d, "/missed")
    assert "История" in await page(d, f"/tickets/{t}")
    await page(d, "/my", 403)
    ex = await browser_session("sidorov")
    for path in ("/console", "/tickets", "/tickets/new", "/missed"):
        await page(ex, path, 403)
    assert "Мои открытые заявки" in await page(ex, "/my")
    qa = await browser_session("qa")
    await page(qa, "/console", 403)
    assert "Журнал заявок" in await page(qa, "/tickets")
    async with qa.http.get(qa.url("/"), allow_redirects=False) as r:
        assert r.headers["Location"] == "/tickets"


async def test_the_api_searches_and_orders_the_journal_as_the_page_does(
        browser_session: MakeSession, web_journal: Journal) -> None:
    leak = await make_ticket(web_journal, caller_phone="79161110001", description="Течёт крыша над кухней")
    cold = await make_ticket(web_journal, caller_phone="79162220002", category="heating",
                             description="Холодные батареи в детской")
    number = (await web_journal.tickets.get(cold)).number
    s = await browser_session("petrova")
    for q, expected in (("крыша", [leak]), ("79162220002", [cold]), (number, [cold]), ("батареи", [cold])):
        status, body = await s.api("GET", f"/api/tickets?q={q}")
        assert status == 200 and [t["id"] for t in body["items"]] == expected and body["total"] == 1, (q, body)
    status, body = await s.api("GET", "/api/tickets?sort=received")
    assert [t["id"] for t in body["items"]] == [cold, leak]  # newest first
    status, body = await s.api("GET", "/api/tickets?sort=soon")
    assert status == 400 and "due или received" in body["error"]


async def test_the_journal_filters_and_pages(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    for i in range(7):
        await make_ticket(web_journal, caller_phone=f"7916100000{i}", category="water" if i % 2 else "heating",
                          executor_id=staff["kozlov"] if i == 0 else None)
    s = await browser_session("petrova")
    status, body = await s.api("GET", "/api/tickets?category=water&limit=2")
    assert status == 200 and body["total"] == 3 and len(body["items"]) == 2
    assert all(t["category_label"] == "Водоснабжение" for t in body["items"])
    status, body = await s.api("GET", "/api/tickets?category=water&limit=2&offset=2")
    assert len(body["items"]) == 1
    status, body = await s.api("GET", f"/api/tickets?executor_id={staff['kozlov']}")
    assert body["total"] == 1 and body["items"][0]["executor_name"] == "Козлов Д. Н."
    status, body = await s.api("GET", "/api/tickets?overdue=1")
    assert body["total"] == 0
    status, body = await s.api("GET", "/api/tickets?from=2000-01-01&to=2000-01-02")
    assert body["total"] == 0
    assert (await s.api("GET", "/api/tickets?from=вчера"))[0] == 400
    html = await page(s, "/tickets?category=heating&limit=2")
    assert "Показаны 1–2 из 4" in html and "вперёд" in html


async def test_a_ticket_taken_at_the_desk(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    building = await web_journal.people.add_building("Ленина", "5")
    s = await browser_session("petrova")
    status, body = await s.api("POST", "/api/tickets", {
        "channel": "walk_in", "category": "roof", "building_id": building.id, "apartment": "12",
        "caller_name": "Смирнова", "description": "течёт крыша над квартирой", "auto_assign": False})
    assert status == 201
    t = body["ticket"]
    assert t["channel_label"] == "Личный приём" and t["address"] == "улица Ленина, д. 5, кв. 12"
    assert (await s.api("POST", "/api/tickets", {"channel": "phone_ivr", "category": "roof"}))[0] == 400
    status, t2 = await s.api("PATCH", f"/api/tickets/{t['id']}", {"priority": "emergency"})
    assert status == 200 and t2["priority_label"] == "Аварийная"
    status, _ = await s.api("POST", f"/api/tickets/{t['id']}/comments", {"text": "Позвонить в УК", "public": False})
    assert status == 201
    status, hist = await s.api("GET", f"/api/tickets/{t['id']}/history")
    assert [h["kind"] for h in hist][:1] == ["created"]
    assert any(h["kind"] == "comment" and not h["public"] for h in hist)
    assert any(h["field"] == "priority" and h["after"] == "Аварийная" for h in hist)


async def test_missed_calls_and_their_callbacks(browser_session: MakeSession, web_journal: Journal) -> None:
    call = await web_journal.calls.start(channel_id="m1", caller_number="+79165550011")
    missed = await web_journal.calls.record_missed(call_id=call.id, caller_number="+79165550011", reason="hangup",
                                                   step="menu")
    assert missed is not None
    s = await browser_session("petrova")
    status, rows = await s.api("GET", "/api/missed")
    assert [m["caller_number"] for m in rows] == ["79165550011"]
    assert "79165550011" in await page(s, "/missed")
    status, m = await s.api("POST", f"/api/missed/{missed.id}/callback-result", {"outcome": "no_answer"})
    assert status == 200 and m["status"] == "pending" and m["outcome_label"] == "Не отвечает"
    status, m = await s.api("POST", f"/api/missed/{missed.id}/callback-result", {"outcome": "reached",
                                                                                "comment": "всё в порядке"})
    assert m["status"] == "done" and m["attempts"] == 2 and m["callback_by"] == "Петрова О. И."
    assert (await s.api("GET", "/api/missed"))[1] == []
    assert (await s.api("POST", f"/api/missed/{missed.id}/callback-result", {"outcome": "maybe"}))[0] == 422


async def test_the_card_shows_history_and_the_building(
    browser_session: MakeSession, web_journal: Journal, staff: Staff
) -> None:
    b = await web_journal.people.add_building("Мира", "10")
    phone = "79167770000"
    old = await make_ticket(web_journal, caller_phone=phone, category="elevator", building_id=b.id)
    await web_journal.tickets.change_status(old, "done", Actor("x"))
    for i in range(3):
        await make_ticket(web_journal, caller_phone=f"7916888000{i}", category="water", problem="burst_pipe",
                          building_id=b.id, apartment=str(i + 1))
    current = await make_ticket(web_journal, caller_phone=phone, category="heating", building_id=b.id)
    s = await browser_session("petrova")
    status, card = await s.api("GET", f"/api/console/card?ticket_id={current}")
    assert status == 200 and card["ticket"]["number"]
    assert old in [h["id"] for h in card["history"]] and current not in [h["id"] for h in card["history"]]
    groups = {g["label"]: g for g in card["building"]["groups"]}
    assert groups["Прорыв трубы, затопление"]["count"] == 3
    assert groups["Прорыв трубы, затопление"]["text"] == "3 обращения: Прорыв трубы, затопление"
    status, by_phone = await s.api("GET", f"/api/caller-history?phone=+{phone}")
    assert {t["id"] for t in by_phone} == {old, current}


async def test_callback_without_a_pbx_is_503(
    settings: Settings, web_journal: Journal, staff: Staff, aiohttp_server: Callable[..., Awaitable[TestServer]]
) -> None:
    s = Session(await aiohttp_server(create_app(settings, web_journal)))
    await web_journal.calls.record_missed(call_id=None, caller_number="79161234567", reason="hangup")
    try:
        assert (await s.login("petrova")).status == 302
        status, body = await s.api("POST", "/api/callback", {"number": "79161234567"})
        assert status == 503 and body["error"].startswith("АТС не подключена")
    finally:
        await s.close()


async def test_an_unsure_reading_of_the_words_is_shown_as_a_guess(browser_session: MakeSession, web_journal: Journal) -> None:
    from journal.models import Ticket

    t = await make_ticket(web_journal)
    s = await browser_session("petrova")
    for confidence, guess in ((0.41, True), (0.93, False)):
        async with web_journal.db.write() as sess:
            row = await sess.get(Ticket, t)
            assert row is not None
            row.suggested_category, row.suggested_category_confidence = "water", confidence
        status, body = await s.api("GET", f"/api/tickets/{t}")
        assert status == 200 and body["ticket"]["suggested_guess"] is guess
        html = await page(s, f"/tickets/{t}")
        label = body["ticket"]["suggested_category_label"]
        assert (f"возможно, {label}? (не уверено)" in html) is guess
        assert "По словам" in html
