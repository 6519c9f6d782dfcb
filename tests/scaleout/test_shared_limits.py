"""The log-in throttle and the call-back limits are shared by every instance on one PostgreSQL
journal: two aiohttp apps (two instances, each with its own connections) on the test database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from cti.settings import Settings
from cti.web.app import create_app
from journal import Database, Journal, JournalConfig, SlaPolicy
from journal.limits import LimitCounter, LimitMark
from tests.console.conftest import PASSWORD, TEST_SECRET_KEY, Originator, Session
from tests.security.test_throttle import attempt as throttle_attempt

pytestmark = pytest.mark.parametrize("backend", ["postgres"])

ATTACKER = "203.0.113.5"
RESIDENT = "79161234567"


class Instance:
    """One service instance: its own Journal (own engine and pool) and its own web app."""

    def __init__(self, url: str, sla: SlaPolicy, files: str) -> None:
        from pathlib import Path
        self.journal = Journal.build(Database.from_url(url), sla, JournalConfig(), Path(files))
        settings = Settings()
        settings.server.secret_key = TEST_SECRET_KEY  # one key: a cookie of one instance is good on the other
        settings.server.trusted_proxies = "127.0.0.1"  # the test client plays the TLS proxy
        settings.callback.per_dispatcher_per_hour = 5
        settings.callback.total_per_hour = 8
        self.originator = Originator()
        self.app: web.Application = create_app(settings, self.journal, callback_originator=self.originator)


@pytest.fixture
async def two(journal: Journal, sla: SlaPolicy, tmp_path: object,
              aiohttp_server: Callable[..., Awaitable[TestServer]]) -> AsyncIterator[tuple[TestServer, TestServer]]:
    people = journal.people
    for login, name, ext in [("petrova", "Петрова О. И.", "101"), ("ivanov", "Иванов П. С.", "102")]:
        await people.create_user(login, name, "dispatcher", PASSWORD, extension=ext)
    await journal.calls.record_missed(call_id=None, caller_number=RESIDENT, reason="hangup")
    url = journal.db.engine.url.render_as_string(hide_password=False)
    a, b = Instance(url, sla, f"{tmp_path}/files"), Instance(url, sla, f"{tmp_path}/files")
    servers = (await aiohttp_server(a.app), await aiohttp_server(b.app))
    yield servers
    for i in (a, b):
        await i.journal.close()


async def attempt(s: Session, login: str, password: str, address: str) -> aiohttp.ClientResponse:
    return await throttle_attempt(s, login, password, address, forwarded="{address}")


async def test_failed_log_ins_on_two_instances_are_throttled_together(two: tuple[TestServer, TestServer]) -> None:
    on_a, on_b = Session(two[0]), Session(two[1])
    try:
        # Three typos are free wherever they land; the fourth failure (on the other instance)
        # starts the delay, and both instances then hold the right password back.
        statuses = [(await attempt(s, "petrova", "typo", ATTACKER)).status for s in (on_a, on_b, on_a, on_b)]
        assert statuses == [401, 401, 401, 401]
        for s in (on_a, on_b):
            held = await attempt(s, "petrova", PASSWORD, ATTACKER)
            assert held.status == 429 and "Слишком много неудачных попыток входа" in await held.text()
            assert int(held.headers["Retry-After"]) >= 1
        # Another address is not held back by this one's failures, on either instance.
        assert (await attempt(on_b, "petrova", PASSWORD, "198.51.100.7")).status == 302
    finally:
        await on_a.close()
        await on_b.close()


async def test_concurrent_failures_on_two_instances_are_each_counted(two: tuple[TestServer, TestServer],
                                                                    journal: Journal) -> None:
    """Twenty failures at once, half on each instance: none lost to a race (the lock holds)."""
    sessions = [Session(two[i % 2]) for i in range(20)]
    try:
        await asyncio.gather(*(attempt(s, "ivanov", "guess", ATTACKER) for s in sessions))
        async with journal.db.read() as s:
            count = (await s.execute(select(LimitCounter.count).where(
                LimitCounter.scope == "login", LimitCounter.key == f"ivanov\n{ATTACKER}"))).scalar_one()
        assert count == 20
    finally:
        for s in sessions:
            await s.close()


async def test_call_back_limits_count_calls_through_either_instance(two: tuple[TestServer, TestServer]) -> None:
    petrova_a, petrova_b, ivanov_b = Session(two[0]), Session(two[1]), Session(two[1])
    try:
        for s, login in ((petrova_a, "petrova"), (petrova_b, "petrova"), (ivanov_b, "ivanov")):
            assert (await s.login(login)).status == 302
        # 5 an hour per dispatcher: 3 through A and 2 through B use them up on both.
        statuses = [(await s.api("POST", "/api/callback", {"number": RESIDENT}))[0]
                    for s in (petrova_a, petrova_a, petrova_a, petrova_b, petrova_b, petrova_a, petrova_b)]
        assert statuses == [202] * 5 + [429] * 2
        status, body = await petrova_b.api("POST", "/api/callback", {"number": RESIDENT})
        assert status == 429 and "Не больше 5 обратных звонков в час" in body["error"]  # type: ignore[index]
        # 8 an hour for the whole service, at once on both instances: exactly 3 more go through.
        results = await asyncio.gather(*(ivanov_b.api("POST", "/api/callback", {"number": RESIDENT})
                                         for _ in range(5)))
        assert sorted(r[0] for r in results) == [202] * 3 + [429] * 2
        status, body = await ivanov_b.api("POST", "/api/callback", {"number": RESIDENT})
        assert status == 429 and "Превышен общий предел обратных звонков (8 в час)" in body["error"]  # type: ignore[index]
    finally:
        for s in (petrova_a, petrova_b, ivanov_b):
            await s.close()


async def test_expired_counts_are_deleted(journal: Journal) -> None:
    limits = journal.limits
    async with limits.hold([("login", "x\n1.2.3.4")], now=1000.0) as held:
        held.counter("login", "x\n1.2.3.4").expires_at = 1100.0
        await held.mark("login_spread", "ip:1.2.3.4", "x", at=1000.0, expires_at=1100.0)
    assert await limits.get("login", "x\n1.2.3.4") is not None
    assert await limits.purge(1099.0) == 0
    assert await limits.purge(1101.0) == 2
    async with journal.db.read() as s:
        left = (await s.execute(select(func.count()).select_from(LimitMark))).scalar_one()
    assert await limits.get("login", "x\n1.2.3.4") is None and left == 0
