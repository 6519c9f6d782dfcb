"""Log-in, log-out, sessions, throttling and CSRF, over a real socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from cti.web.keys import SESSIONS_KEY
from cti.web.sessions import COOKIE
from tests.console.conftest import Session, Staff

MakeSession = Callable[[str], Awaitable[Session]]


async def test_login_sets_a_signed_httponly_lax_cookie(browser_session: MakeSession) -> None:
    s = await browser_session("")
    r = await s.login("petrova")
    assert r.status == 302 and r.headers["Location"] == "/"
    cookie = r.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    status, me = await s.api("GET", "/api/me")
    assert status == 200 and me["login"] == "petrova" and me["extension"] == "101" and me["role"] == "dispatcher"


async def test_wrong_password_is_refused_in_russian(browser_session: MakeSession) -> None:
    s = await browser_session("")
    r = await s.login("petrova", "wrong-password")
    assert r.status == 401
    async with s.http.get(s.url("/api/me")) as me:
        assert me.status == 401


async def test_logout_ends_the_session_even_for_a_copied_cookie(browser_session: MakeSession) -> None:
    s = await browser_session("petrova")
    stolen = s.http.cookie_jar.filter_cookies(s.server.make_url("/"))[COOKIE].value
    async with s.http.post(s.url("/logout"), data={"csrf_token": s.csrf}, allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"] == "/login"
    assert (await s.api("GET", "/api/me"))[0] == 401
    other = await browser_session("")
    async with other.http.get(other.url("/api/me"), headers={"Cookie": f"{COOKIE}={stolen}"}) as r:
        assert r.status == 401


async def test_logout_without_csrf_token_is_refused(browser_session: MakeSession) -> None:
    s = await browser_session("petrova")
    async with s.http.post(s.url("/logout"), data={}, allow_redirects=False) as r:
        assert r.status == 403
    assert (await s.api("GET", "/api/me"))[0] == 200


async def test_tampered_and_expired_cookies_are_refused(browser_session: MakeSession, app: web.Application,
                                                        staff: Staff) -> None:
    s = await browser_session("")
    codec = app[SESSIONS_KEY]
    _, good = codec.issue(user_id=staff["admin"], login="admin", name="A", role="admin", extension=None)
    body, mac = good.split(".")
    forged_body = body[:-2] + ("AA" if body[-2:] != "AA" else "BB")
    _, expired = codec.issue(user_id=staff["admin"], login="admin", name="A", role="admin", extension=None,
                             now=time.time() - codec.ttl - 5)
    for value, expected in [(good, 200), (f"{forged_body}.{mac}", 401), (expired, 401), ("garbage", 401)]:
        async with s.http.get(s.url("/api/me"), headers={"Cookie": f"{COOKIE}={value}"}) as r:
            assert r.status == expected, value


async def test_login_form_needs_its_token(browser_session: MakeSession) -> None:
    s = await browser_session("")
    async with s.http.post(s.url("/login"), data={"login": "petrova", "password": "password1"},
                           allow_redirects=False) as r:
        assert r.status == 403


async def test_next_never_leaves_the_site(browser_session: MakeSession) -> None:
    s = await browser_session("")
    async with s.http.get(s.url("/login")) as r:
        from tests.console.conftest import FORM_CSRF
        token = FORM_CSRF.search(await r.text())
    assert token
    async with s.http.post(s.url("/login"), data={"login": "petrova", "password": "password1", "next": "//evil.example/",
                                                 "csrf_token": token.group(1)}, allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"] == "/"


async def test_unsafe_api_calls_need_the_session_csrf_token(browser_session: MakeSession, staff: Staff) -> None:
    s = await browser_session("petrova")
    other = await browser_session("ivanov")
    body = {"channel": "walk_in", "category": "water", "caller_phone": "79160000009", "description": "Течёт кран"}
    status, err = await s.api("POST", "/api/tickets", body, csrf=False)
    assert status == 403 and "CSRF" in err["error"]
    s.csrf, good = other.csrf, s.csrf  # another session's token is no good either
    assert (await s.api("POST", "/api/tickets", body))[0] == 403
    s.csrf = good
    status, created = await s.api("POST", "/api/tickets", body)
    assert status == 201 and created["ticket"]["channel"] == "walk_in"


async def test_a_login_does_not_stall_the_event_loop(browser_session: MakeSession) -> None:
    """argon2 takes ~100+ ms of CPU: it must run off the loop that carries screen pops."""
    gaps: list[float] = []
    stop = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    s = await browser_session("")
    for login in ("petrova", "ivanov", "nobody"):
        await s.login(login)
    stop = True
    await task
    assert max(gaps) < 0.08, f"event loop stalled {max(gaps) * 1000:.0f} ms"
