"""Log-in throttling over real sockets: guessing slows down only the guesser's (login, address)
pairs, never a dispatcher typing the right password elsewhere or behind the same NAT, and the
administrator is told."""

from __future__ import annotations

import json

import aiohttp
import pytest
import structlog

from cti.settings import Settings
from tests.console.conftest import FORM_CSRF, PASSWORD, FakeClock, Session, Staff
from tests.console.test_auth import MakeSession

ATTACKER = "203.0.113.5"
DISPATCH_ROOM = "198.51.100.7"


@pytest.fixture
def trusted() -> str:
    return "127.0.0.1"  # the test client plays the TLS proxy


@pytest.fixture
def settings(settings: Settings, trusted: str) -> Settings:
    settings.server.trusted_proxies = trusted
    return settings


async def attempt(s: Session, login: str, password: str, address: str,
                  forwarded: str = "10.9.9.9, {address}") -> aiohttp.ClientResponse:
    """One log-in through the form from ``address`` (behind the trusted proxy: by default with a
    left part the client claims for itself, which must not count)."""
    headers = {"X-Forwarded-For": forwarded.format(address=address)}
    async with s.http.get(s.url("/login"), headers=headers) as r:
        token = FORM_CSRF.search(await r.text())
    assert token
    resp = await s.http.post(s.url("/login"), data={"login": login, "password": password, "csrf_token": token.group(1)},
                             headers=headers, allow_redirects=False)
    await resp.read()
    return resp


async def test_guessing_a_login_never_locks_its_owner_out(browser_session: MakeSession, staff: Staff) -> None:
    attacker = await browser_session("")
    for _ in range(30):
        for login in ("petrova", "ivanov"):
            assert (await attempt(attacker, login, "guess", ATTACKER)).status in (401, 429)
    dispatcher = await browser_session("")
    assert (await attempt(dispatcher, "petrova", PASSWORD, DISPATCH_ROOM)).status == 302


async def test_a_shift_behind_one_address_keeps_logging_in(browser_session: MakeSession, staff: Staff) -> None:
    """One script in the dispatch room (same NAT address) tries many logins: the others still log in."""
    script = await browser_session("")
    for i in range(40):
        assert (await attempt(script, f"user{i}", "guess", DISPATCH_ROOM)).status == 401
    for _ in range(10):
        await attempt(script, "petrova", "guess", DISPATCH_ROOM)
    colleague = await browser_session("")
    assert (await attempt(colleague, "ivanov", PASSWORD, DISPATCH_ROOM)).status == 302


async def test_failures_of_one_pair_bring_growing_delays(browser_session: MakeSession, staff: Staff,
                                                         clock: FakeClock) -> None:
    s = await browser_session("")
    for _ in range(3):  # typos are free
        assert (await attempt(s, "petrova", "typo", ATTACKER)).status == 401
    waits = []
    for _ in range(4):
        assert (await attempt(s, "petrova", "guess", ATTACKER)).status == 401
        held = await attempt(s, "petrova", PASSWORD, ATTACKER)
        assert held.status == 429 and "Слишком много" in await held.text()
        waits.append(int(held.headers["Retry-After"]))
        clock.now += waits[-1] + 0.5
    assert waits == sorted(waits) and waits[-1] >= 4 * waits[0], waits
    assert (await attempt(s, "petrova", PASSWORD, ATTACKER)).status == 302


@pytest.mark.parametrize("trusted", [""])  # not behind a proxy: the header is the client's to forge
async def test_forwarded_for_counts_only_from_a_trusted_proxy(browser_session: MakeSession, staff: Staff) -> None:
    s = await browser_session("")
    statuses = [(await attempt(s, "petrova", "guess", f"192.0.2.{i}")).status for i in range(8)]
    assert 429 in statuses, "a forged X-Forwarded-For must not reset the delay"


async def test_guessing_is_reported_to_the_administrator(browser_session: MakeSession, staff: Staff) -> None:
    admin = await browser_session("admin")
    ws = await admin.ws()
    hello = json.loads((await ws.receive(timeout=5)).data)
    assert hello
    attacker = await browser_session("")
    with structlog.testing.capture_logs() as events:
        for i in range(12):
            await attempt(attacker, f"user{i}", "guess", ATTACKER)
    assert any(e["event"] == "login.guessing" and e["ip"] == ATTACKER for e in events)
    alerts = []
    while True:
        try:
            msg = json.loads((await ws.receive(timeout=2)).data)
        except TimeoutError:
            break
        if msg.get("type") == "security_alert":
            alerts.append(msg)
    assert alerts and ATTACKER in json.dumps(alerts, ensure_ascii=False)
    await ws.close()
