"""The ARI events websocket: connect, read, and reconnect with exponential backoff.

The reader never waits on a call flow: each event is handed to a plain callback (the call
dispatcher queues it). After every (re)connect ``on_connected`` runs in its own task so the
dispatcher can reconcile its sessions with ``GET /channels`` while events keep flowing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import aiohttp
import structlog

from ivr.ari.client import AriClient
from ivr.ari.events import Event, EventParseError, parse_event
from ivr.link_state import LinkStatePublisher, backoff_delays

log = structlog.get_logger(__name__)

EventSink = Callable[[Event], None]
ConnectedHook = Callable[[], Awaitable[None]]


class AriConnection:
    def __init__(self, client: AriClient, on_event: EventSink, *, on_connected: ConnectedHook | None = None,
                 initial_backoff: float = 0.5, heartbeat: float = 10.0) -> None:
        self.client = client
        self.on_event = on_event
        self.on_connected = on_connected
        self.state = LinkStatePublisher("ari")
        self._delay = backoff_delays(initial_backoff, client.settings.reconnect_max_seconds)
        self._heartbeat = heartbeat
        self._task: asyncio.Task[None] | None = None
        self._hooks: set[asyncio.Task[None]] = set()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.connects = 0  # successful connects so far (tests and the console read it)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ari-events")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for hook in list(self._hooks):
            hook.cancel()
        await asyncio.gather(*self._hooks, return_exceptions=True)
        self.state.set(False, "stopped")

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                async with self.client.session.ws_connect(
                    self.client.events_url(), headers={"Authorization": self.client.auth_header},
                    heartbeat=self._heartbeat, autoping=True,
                ) as ws:
                    self._ws = ws
                    failures = 0
                    self.connects += 1
                    self.state.set(True, "websocket open")
                    log.info("ari.connected", url=self.client.base_url, connects=self.connects)
                    self._run_hook()
                    await self._read(ws)
                reason = f"websocket closed ({ws.close_code})"
            except aiohttp.WSServerHandshakeError as exc:
                reason = f"handshake refused: {exc.status}"
                if exc.status == 401:
                    log.error("ari.auth_failed", url=self.client.base_url)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            finally:
                self._ws = None
            self.state.set(False, reason)
            delay = self._delay(failures)
            failures += 1
            log.warning("ari.disconnected", reason=reason, retry_in=delay)
            await asyncio.sleep(delay)

    def _run_hook(self) -> None:
        if self.on_connected is None:
            return
        task = asyncio.create_task(self._guarded_hook(self.on_connected), name="ari-reconcile")
        self._hooks.add(task)
        task.add_done_callback(self._hooks.discard)

    @staticmethod
    async def _guarded_hook(hook: ConnectedHook) -> None:
        try:
            await hook()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("ari.on_connected_failed")

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                self.handle_text(msg.data)
            elif msg.type is aiohttp.WSMsgType.ERROR:
                log.warning("ari.websocket_error", error=str(ws.exception()))
                break

    def handle_text(self, text: str) -> None:
        """Parse one websocket message and hand it on; bad input is logged and survived."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            event = parse_event(data)
        except (ValueError, EventParseError) as exc:
            log.warning("ari.bad_message", error=str(exc), text=text[:200])
            return
        if event is None:
            log.debug("ari.event_ignored", type=data.get("type"))
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception("ari.event_sink_failed", type=event.type)

    async def drop(self) -> None:
        """Close the current websocket (used by the console's 'reconnect' and by tests)."""
        if self._ws is not None:
            await self._ws.close()
