"""Limits over real sockets: websockets per user and in all, slow-header and idle connections
closed, and input that used to answer 500 (dates at the ends of the calendar, deeply nested
JSON) answered 400 with a message."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from cti.app.service import make_runner
from cti.settings import Settings
from tests.console.conftest import Session, Staff

MakeSession = Callable[[str], Awaitable[Session]]


class Served:
    def __init__(self, port: int) -> None:
        self.host, self.port = "127.0.0.1", port

    def make_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.server.ws_per_user = 3
    settings.server.ws_total = 5
    settings.server.idle_timeout_seconds = 1.0
    return settings


@pytest.fixture
async def production(app: web.Application, settings: Settings, staff: Staff) -> AsyncIterator[Served]:
    """The console served the way `hotline run` serves it (cti.app.service.make_runner)."""
    runner = make_runner(app, settings)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield Served(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


async def login(served: Served, login: str) -> Session:
    s = Session(served)  # type: ignore[arg-type]
    assert (await s.login(login)).status == 302
    return s


async def test_websockets_are_limited_per_user_and_in_all(production: Served) -> None:
    executor, dispatcher = await login(production, "sidorov"), await login(production, "petrova")
    opened: list[aiohttp.ClientWebSocketResponse] = []
    try:
        for _ in range(3):
            opened.append(await executor.ws())
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await executor.ws()
        assert refused.value.status == 429
        for _ in range(2):
            opened.append(await dispatcher.ws())
        with pytest.raises(aiohttp.WSServerHandshakeError) as full:
            await dispatcher.ws()  # the service's 5 are taken
        assert full.value.status == 429
        await opened.pop().close()
        await asyncio.sleep(0.1)
        opened.append(await dispatcher.ws())  # a closed one frees its place
        await asyncio.sleep(1.5)  # longer than the idle timeout: an open console is not idle
        assert not any(ws.closed for ws in opened)
        assert (await executor.api("GET", "/api/me"))[0] == 200
    finally:
        for ws in opened:
            await ws.close()
        await executor.close()
        await dispatcher.close()


async def test_slow_header_and_idle_connections_are_closed(production: Served) -> None:
    async def slow_client() -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", production.port)
        writer.write(b"GET /login HTTP/1.1\r\nHost: x\r\n")  # and never the end of the headers
        await writer.drain()
        loop = asyncio.get_running_loop()
        start = loop.time()
        data = await asyncio.wait_for(reader.read(), timeout=10)  # b"" once the server hangs up
        writer.close()
        assert data == b""
        return loop.time() - start

    async def idle_client() -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", production.port)
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
        return loop.time() - start

    held = await asyncio.gather(*[slow_client() for _ in range(20)], idle_client())
    assert max(held) < 5, held


async def test_dates_at_the_ends_of_the_calendar_are_400(production: Served) -> None:
    s = await login(production, "admin")
    try:
        for path in ("/api/tickets?to=9999-12-31", "/api/tickets?from=0001-01-01", "/api/tickets?from=9999-12-31",
                     "/analytics?to=9999-12-31", "/analytics?from=0001-01-01&to=0001-01-02",
                     "/reports/compliance?to=9999-12-31", "/analytics/export.csv?to=0001-01-07"):
            async with s.http.get(s.url(path), headers={"Accept": "application/json"}) as r:
                body = await r.text()
                assert r.status == 400, (path, r.status, body[:300])
                assert "дата" in body.lower() or "дата" in json.loads(body).get("error", ""), path
    finally:
        await s.close()


async def test_deeply_nested_json_is_400(production: Served) -> None:
    s = await login(production, "petrova")
    try:
        for depth in (100_000, 40):
            body = '{"channel": ' + "[" * depth + "]" * depth + "}"
            async with s.http.post(s.url("/api/tickets"), data=body, headers={
                    "Content-Type": "application/json", "X-CSRF-Token": s.csrf}) as r:
                assert r.status == 400, depth
                assert "вложенность" in (await r.json())["error"]
    finally:
        await s.close()
