"""Sessions are checked against the user table on every request and websocket: a switched-off
account, a demoted user, sessions ended by an administrator and a log-out (across a restart)
all take effect at once."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from cti.app import cli
from cti.settings import Settings
from cti.web import create_app
from cti.web import ws as ws_module
from cti.web.sessions import COOKIE
from journal import Journal
from tests.conftest import TEST_SECRET_KEY, run_in_thread
from tests.console.conftest import Session, Staff

MakeSession = Callable[[str], Awaitable[Session]]
NEW_TICKET = {"channel": "walk_in", "category": "water", "caller_phone": "79160000009", "description": "Течёт кран"}


async def me(s: Session) -> int:
    return (await s.api("GET", "/api/me"))[0]


async def test_a_switched_off_account_loses_access_at_once(browser_session: MakeSession, web_journal: Journal,
                                                           staff: Staff) -> None:
    qa = await browser_session("qa")
    assert await me(qa) == 200
    await web_journal.people.update_user(staff["qa"], active=False)
    assert await me(qa) == 401
    async with qa.http.get(qa.url("/tickets"), allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"].startswith("/login")


async def test_switching_an_account_on_again_does_not_revive_old_cookies(
        browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    qa = await browser_session("qa")
    assert await me(qa) == 200
    await web_journal.people.update_user(staff["qa"], active=False)
    await web_journal.people.update_user(staff["qa"], active=True)
    assert await me(qa) == 401
    assert await me(await browser_session("qa")) == 200  # a fresh log-in works


async def test_a_demoted_dispatcher_stops_editing(browser_session: MakeSession, web_journal: Journal,
                                                  staff: Staff) -> None:
    s = await browser_session("petrova")
    assert (await s.api("POST", "/api/tickets", NEW_TICKET))[0] == 201
    await web_journal.people.update_user(staff["petrova"], role="executor")
    status, body = await s.api("POST", "/api/tickets", NEW_TICKET)
    assert status == 403, body
    assert (await s.api("GET", "/api/me"))[1]["role"] == "executor"  # type: ignore[index]


async def test_a_logged_out_cookie_stays_dead_after_a_restart(
        browser_session: MakeSession, settings: Settings, web_journal: Journal,
        aiohttp_server: Callable[..., Awaitable[TestServer]]) -> None:
    s = await browser_session("petrova")
    cookie = s.http.cookie_jar.filter_cookies(s.server.make_url("/"))[COOKIE].value
    async with s.http.post(s.url("/logout"), data={"csrf_token": s.csrf}, allow_redirects=False) as r:
        assert r.status == 302
    restarted = await aiohttp_server(create_app(settings, web_journal))  # a new process, the same journal
    async with aiohttp.ClientSession() as http, \
            http.get(restarted.make_url("/api/me"), headers={"Cookie": f"{COOKIE}={cookie}"}) as r:
        assert r.status == 401


async def test_an_admin_ends_a_users_sessions_and_open_consoles(browser_session: MakeSession, staff: Staff) -> None:
    victim = await browser_session("petrova")
    other_tab = await browser_session("petrova")
    console = await victim.ws()
    await console.receive(timeout=5)  # hello
    admin = await browser_session("admin")
    status, body = await admin.api("POST", f"/api/users/{staff['petrova']}/end-sessions")
    assert status == 200 and body["consoles_closed"] == 1  # type: ignore[index]
    msg = await console.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and console.close_code == 4401
    assert await me(victim) == 401 and await me(other_tab) == 401
    assert await me(admin) == 200
    again = await browser_session("petrova")  # a new log-in works
    assert await me(again) == 200


async def test_an_open_console_closes_when_the_account_is_switched_off(
        browser_session: MakeSession, web_journal: Journal, staff: Staff, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ws_module, "SESSION_RECHECK", 0.2)
    s = await browser_session("ivanov")
    console = await s.ws()
    assert json.loads((await console.receive(timeout=5)).data)["type"] == "hello"
    await web_journal.people.update_user(staff["ivanov"], active=False)  # another process did it
    msg = await console.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and console.close_code == 4401


async def test_a_new_password_ends_the_old_sessions(browser_session: MakeSession, web_journal: Journal,
                                                    staff: Staff) -> None:
    s = await browser_session("ivanov")
    await web_journal.people.set_password(staff["ivanov"], "Новый-пароль-смены-42")
    assert await me(s) == 401


async def test_the_command_line_ends_sessions(browser_session: MakeSession, web_journal: Journal, staff: Staff,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    s = await browser_session("petrova")
    monkeypatch.setenv("HOTLINE_DATABASE_URL", str(web_journal.db.engine.url.render_as_string(hide_password=False)))
    monkeypatch.setenv("HOTLINE_SERVER_SECRET_KEY", TEST_SECRET_KEY)
    assert run_in_thread(lambda: cli.main(["end-sessions", "petrova", "--disable"])) == 0
    assert await me(s) == 401
    assert (await s.login("petrova")).status == 401  # switched off


async def test_the_session_lifetime_fits_a_24_hour_shift(browser_session: MakeSession, settings: Settings) -> None:
    assert Settings().server.session_hours >= 24
    s = await browser_session("")
    resp = await s.login("petrova")
    assert resp.status == 302
    max_age = int(resp.cookies[COOKIE]["max-age"])
    assert max_age == int(settings.server.session_hours * 3600) and max_age > 24 * 3600


@pytest.fixture
def short_sessions(settings: Settings) -> Settings:
    settings.server.session_hours = 0.5
    return settings


async def test_the_session_lifetime_is_a_setting(short_sessions: Settings, web_journal: Journal, staff: Staff,
                                                 aiohttp_server: Callable[..., Awaitable[TestServer]]) -> None:
    server: TestServer = await aiohttp_server(create_app(short_sessions, web_journal))
    s = Session(server)
    try:
        resp = await s.login("petrova")
        assert int(resp.cookies[COOKIE]["max-age"]) == 1800
    finally:
        await s.close()


