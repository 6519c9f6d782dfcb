"""Deny by default: every route needs a session; roles limit what a session may do."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from cti.settings import Settings
from cti.web import create_app
from journal import Journal
from tests.console.conftest import Originator, Session, Staff, make_ticket

MakeSession = Callable[[str], Awaitable[Session]]
# /login/password: the new password after a reset, authenticated by the temporary one.
PUBLIC = {"/login", "/login/password", "/health", "/favicon.ico"}


def all_routes(app: web.Application) -> list[tuple[str, str]]:
    out = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        assert path, info
        out.append((route.method, re.sub(r"\{[^}]+\}", "1", path)))
    return out


async def test_every_route_needs_a_session(server: TestServer, app: web.Application) -> None:
    routes = all_routes(app)
    assert len(routes) > 30
    async with aiohttp.ClientSession() as http:
        for method, path in routes:
            if path in PUBLIC or path.startswith("/static"):
                continue
            async with http.request(method, server.make_url(path), allow_redirects=False) as r:
                if path.startswith(("/api/", "/ws", "/recordings/", "/attachments/")):
                    assert r.status == 401, (method, path, r.status)
                    if method != "HEAD":
                        assert (await r.json())["error"] == "Требуется вход в систему"
                elif method in ("GET", "HEAD"):
                    assert r.status == 302 and r.headers["Location"].startswith("/login"), (method, path, r.status)
                else:
                    assert r.status in (302, 401), (method, path, r.status)


async def test_static_files_and_health_are_public(server: TestServer) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/health", "/static/console.js", "/static/style.css", "/login"):
            async with http.get(server.make_url(path)) as r:
                assert r.status == 200, path


async def test_an_executor_sees_only_their_own_tickets(
    browser_session: Callable[[str], Awaitable[Session]], web_journal: Journal, staff: Staff
) -> None:
    mine = await make_ticket(web_journal, executor_id=staff["sidorov"])
    theirs = await make_ticket(web_journal, executor_id=staff["kozlov"], caller_phone="79160000002", category="heating")
    s = await browser_session("sidorov")
    assert (await s.api("GET", f"/api/tickets/{mine}"))[0] == 200
    for path in (f"/api/tickets/{theirs}", f"/api/tickets/{theirs}/history"):
        status, body = await s.api("GET", path)
        assert status == 403 and body["error"] == "Это заявка другого исполнителя"
    assert (await s.api("POST", f"/api/tickets/{theirs}/status", {"status": "in_progress"}))[0] == 403
    assert (await s.api("POST", f"/api/tickets/{theirs}/comments", {"text": "я"}))[0] == 403
    status, listing = await s.api("GET", "/api/tickets")
    assert status == 200 and [t["id"] for t in listing["items"]] == [mine]
    assert (await s.api("GET", f"/api/tickets?executor_id={staff['kozlov']}"))[0] == 403
    async with s.http.get(s.url(f"/tickets/{theirs}")) as page:
        assert page.status == 403
    assert (await s.api("POST", f"/api/tickets/{mine}/assign", {"executor_id": staff["sidorov"]}))[0] == 403
    assert (await s.api("GET", "/api/missed"))[0] == 403


async def test_an_executor_reports_with_a_result(
    browser_session: Callable[[str], Awaitable[Session]], web_journal: Journal, staff: Staff
) -> None:
    mine = await make_ticket(web_journal, executor_id=staff["sidorov"])
    s = await browser_session("sidorov")
    assert (await s.api("POST", f"/api/tickets/{mine}/status", {"status": "in_progress"}))[0] == 200
    status, body = await s.api("POST", f"/api/tickets/{mine}/status", {"status": "done"})
    assert status == 400 and body["error"] == "Укажите результат работ"
    assert (await s.api("POST", f"/api/tickets/{mine}/status", {"status": "closed"}))[0] == 403
    status, t = await s.api("POST", f"/api/tickets/{mine}/status", {"status": "done", "result": "Заменён кран"})
    assert status == 200 and t["status"] == "done" and t["result"] == "Заменён кран"
    async with s.http.get(s.url("/my")) as page:
        assert page.status == 200 and "Мои открытые заявки" in await page.text()


async def test_qa_reads_but_cannot_change(
    browser_session: Callable[[str], Awaitable[Session]], web_journal: Journal, staff: Staff
) -> None:
    t = await make_ticket(web_journal)
    s = await browser_session("qa")
    assert (await s.api("GET", f"/api/tickets/{t}"))[0] == 200
    assert (await s.api("GET", f"/api/tickets/{t}/history"))[0] == 200
    for method, path, body in [
        ("POST", f"/api/tickets/{t}/status", {"status": "accepted"}),
        ("PATCH", f"/api/tickets/{t}", {"category": "heating"}),
        ("POST", f"/api/tickets/{t}/assign", {"executor_id": staff["sidorov"]}),
        ("POST", f"/api/tickets/{t}/comments", {"text": "проверено"}),
        ("POST", "/api/tickets", {"channel": "walk_in", "category": "water"}),
        ("POST", "/api/callback", {"number": "79160000001"}),
    ]:
        status, err = await s.api(method, path, body)
        assert status == 403 and err["error"] == "Недостаточно прав для этого действия", (method, path)
    assert (await web_journal.tickets.get(t)).status == "new"


async def test_illegal_transition_is_409_in_russian(
    browser_session: Callable[[str], Awaitable[Session]], web_journal: Journal
) -> None:
    t = await make_ticket(web_journal)
    s = await browser_session("petrova")
    status, err = await s.api("POST", f"/api/tickets/{t}/status", {"status": "closed"})
    assert status == 409
    assert err["error"].startswith("Нельзя перевести заявку из статуса «Новая» в «Закрыта». Допустимо: «Принята»")
    assert "accepted" in err["allowed"]
    assert (await s.api("POST", f"/api/tickets/{t}/status", {"status": "finished"}))[0] == 422
    assert (await s.api("GET", "/api/tickets/999999"))[0] == 404
    status, err = await s.api("PATCH", f"/api/tickets/{t}", {"category": "nonsense"})
    assert status == 422 and err["error"] == "Недопустимое значение поля «категория»"
    status, err = await s.api("PATCH", f"/api/tickets/{t}", {"status": "closed"})
    assert status == 400


async def test_an_unexpected_error_shows_no_trace(
    settings: Settings, web_journal: Journal, staff: Staff, aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals /etc/hotline")

    app = create_app(settings, web_journal)
    app.router.add_get("/api/boom", boom)
    app.router.add_get("/boom", boom)
    s = Session(await aiohttp_server(app))
    try:
        assert (await s.login("petrova")).status == 302
        status, body = await s.api("GET", "/api/boom")
        assert status == 500 and body["error"] == "Внутренняя ошибка" and body["request_id"]
        assert "secret" not in str(body) and "Traceback" not in str(body)
        async with s.http.get(s.url("/boom")) as page:
            text = await page.text()
            assert page.status == 500 and "Внутренняя ошибка" in text and "secret" not in text
    finally:
        await s.close()


async def test_callback_goes_to_the_pbx_from_the_dispatchers_extension(
    browser_session: Callable[[str], Awaitable[Session]], originator: Originator, web_journal: Journal
) -> None:
    # A resident who called and hung up: the journal knows the number (only such are called back).
    await web_journal.calls.record_missed(call_id=None, caller_number="79161234567", reason="hangup")
    s = await browser_session("petrova")
    status, body = await s.api("POST", "/api/callback", {"number": "8 (916) 123-45-67"})
    assert status == 202 and originator.calls == [("101", "79161234567")]
    for number in ("112", "104", "201", "7916123456", "77012345678"):  # emergency, service, extension, short, KZ
        status, body = await s.api("POST", "/api/callback", {"number": number})
        assert status == 400 and "российский номер" in body["error"], number
    assert len(originator.calls) == 1
    admin = await browser_session("admin")
    status, body = await admin.api("POST", "/api/callback", {"number": "79161234567"})
    assert status == 409 and "внутреннего номера" in body["error"]
