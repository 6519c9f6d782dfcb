"""The /ws event stream with real websocket clients: addressing, replay, slow clients, Origin."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from cti.console.notifier import ConsoleNotifier
from cti.web import ConsoleHub
from tests.console.conftest import Session

MakeSession = Callable[[str], Awaitable[Session]]


async def next_message(ws: aiohttp.ClientWebSocketResponse, timeout: float = 2.0) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = msg.json()
    return data


async def nothing_arrives(ws: aiohttp.ClientWebSocketResponse, within: float = 0.3) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await ws.receive(timeout=within)


async def connected(s: Session, last_id: int | None = None) -> aiohttp.ClientWebSocketResponse:
    ws = await s.ws(last_id)
    hello = await next_message(ws)
    assert hello["type"] == "hello" and hello["id"] == 0
    return ws


async def test_a_pop_for_101_reaches_101_only(browser_session: MakeSession, hub: ConsoleHub) -> None:
    a, b = await browser_session("petrova"), await browser_session("ivanov")
    ws_a, ws_b = await connected(a), await connected(b)
    assert hub.online_extensions() == {"101", "102"}
    mid = ConsoleNotifier(hub).screen_pop("101", {"caller_number": "79161234567", "ticket_id": None, "priority": "urgent"})
    got = await next_message(ws_a)
    assert got == {"id": mid, "type": "screen_pop", "caller_number": "79161234567", "ticket_id": None,
                   "priority": "urgent", "emergency": False, "extension": "101"}
    await nothing_arrives(ws_b)
    await ws_a.close()
    await ws_b.close()


async def test_an_emergency_pop_reaches_every_dispatcher(browser_session: MakeSession, hub: ConsoleHub) -> None:
    a, b, ex = await browser_session("petrova"), await browser_session("ivanov"), await browser_session("sidorov")
    ws_a, ws_b, ws_ex = await connected(a), await connected(b), await connected(ex)
    mid = ConsoleNotifier(hub).screen_pop("101", {"caller_number": "79161234567", "priority": "emergency"})
    for ws in (ws_a, ws_b):
        got = await next_message(ws)
        assert got["id"] == mid and got["emergency"] is True
    await nothing_arrives(ws_ex)
    everyone = ConsoleNotifier(hub).screen_pop(None, {"caller_number": "79160000000"})
    assert (await next_message(ws_a))["id"] == everyone and (await next_message(ws_b))["id"] == everyone
    for ws in (ws_a, ws_b, ws_ex):
        await ws.close()


async def test_reconnect_with_last_id_delivers_a_missed_pop_exactly_once(
    browser_session: MakeSession, hub: ConsoleHub
) -> None:
    a = await browser_session("petrova")
    ws = await connected(a)
    first = ConsoleNotifier(hub).screen_pop("101", {"caller_number": "1"})
    assert (await next_message(ws))["id"] == first
    await ws.close()
    await asyncio.sleep(0.05)
    missed = ConsoleNotifier(hub).screen_pop("101", {"caller_number": "2"})
    ConsoleNotifier(hub).screen_pop("102", {"caller_number": "not for 101"})
    ws = await connected(a, last_id=first)
    got = await next_message(ws)
    assert got["id"] == missed and got["caller_number"] == "2"
    live = ConsoleNotifier(hub).screen_pop("101", {"caller_number": "3"})
    assert (await next_message(ws))["id"] == live
    await nothing_arrives(ws)
    await ws.close()
    # Reconnecting again from the latest id replays nothing.
    ws = await connected(a, last_id=live)
    await nothing_arrives(ws)
    await ws.close()


async def test_state_messages_and_hello(browser_session: MakeSession, hub: ConsoleHub) -> None:
    ConsoleNotifier(hub).pbx_state(False)
    ConsoleNotifier(hub).call_state("c1", "ringing", caller_number="79160000001")
    a = await browser_session("petrova")
    ws = await a.ws()
    hello = await next_message(ws)
    assert hello["pbx_connected"] is False and [c["call_id"] for c in hello["calls"]] == ["c1"]
    ConsoleNotifier(hub).call_state("c1", "ended")
    assert (await next_message(ws))["state"] == "ended"
    ConsoleNotifier(hub).pbx_state(True)
    assert (await next_message(ws)) == {"id": hub.last_id, "type": "pbx_state", "connected": True, "node": None}
    ConsoleNotifier(hub).ticket_updated(5, transcript="течёт")
    assert (await next_message(ws))["fields"] == {"transcript": "течёт"}
    await ws.close()


async def test_no_compression_is_negotiated(browser_session: MakeSession) -> None:
    a = await browser_session("petrova")
    ws = await a.http.ws_connect(a.url("/ws"), origin=a.origin, compress=15)
    assert ws.compress == 0
    await ws.close()


async def test_a_foreign_or_missing_origin_is_refused(browser_session: MakeSession) -> None:
    a = await browser_session("petrova")
    for origin in ("http://evil.example", f"http://127.0.0.1:{a.server.port + 1}", None):
        headers = {"Origin": origin} if origin else {}
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await a.http.ws_connect(a.url("/ws"), headers=headers)
        assert err.value.status == 403


async def silent_client(s: Session) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A websocket client that completes the handshake and then never reads another byte."""
    cookie = s.http.cookie_jar.filter_cookies(s.server.make_url("/"))["hotline_session"].value
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (s.server.host, s.server.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws HTTP/1.1\r\nHost: {s.server.host}:{s.server.port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Origin: {s.origin}\r\nCookie: hotline_session={cookie}\r\n\r\n").encode())
    await writer.drain()
    status = await reader.readline()
    assert b" 101 " in status, status
    return reader, writer


async def test_a_slow_client_does_not_delay_the_others(browser_session: MakeSession, hub: ConsoleHub) -> None:
    fast, slow = await browser_session("petrova"), await browser_session("ivanov")
    ws_fast = await connected(fast)
    _, slow_writer = await silent_client(slow)
    for _ in range(50):
        if hub.client_count == 2:
            break
        await asyncio.sleep(0.01)
    assert hub.client_count == 2
    big = "ж" * 100_000  # 200 kB each: the silent client's buffers fill within a few messages
    delays = []
    for i in range(600):
        started = time.monotonic()
        mid = ConsoleNotifier(hub).screen_pop(None, {"n": i, "filler": big})
        got = await next_message(ws_fast, timeout=2)
        assert got["id"] == mid
        delays.append(time.monotonic() - started)
        if hub.client_count == 1:
            break
    assert hub.client_count == 1, "the silent client is dropped when its queue overflows"
    assert max(delays) < 0.5, max(delays)
    # The fast one goes on as before.
    mid = ConsoleNotifier(hub).screen_pop("101", {"n": "after"})
    assert (await next_message(ws_fast))["id"] == mid
    await ws_fast.close()
    slow_writer.transport.abort()


async def test_shutdown_closes_consoles(browser_session: MakeSession, hub: ConsoleHub) -> None:
    a = await browser_session("petrova")
    ws = await connected(a)
    await hub.close_all()
    msg = await ws.receive(timeout=2)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and ws.close_code == 1001
