"""Runs every call in its own task and routes ARI events to it by channel id.

Calls start in batches of ``START_BATCH`` per turn of the event loop: a storm of StasisStarts
(500 residents at once) would otherwise run 500 flows' first steps in one turn, ~150 ms during
which nothing reads the events websocket (Asterisk drops a reader stalled ~100 ms). A call whose
flow has not started yet is already routed: its events wait in its session's queue.

A failure in one call's flow is logged with its ``call_id`` and never stops another call or the
event reader. After the websocket reconnects, ``reconcile`` compares our sessions with
``GET /channels``: a channel still in our app is resumed (``on_resume``), a vanished one is
reported lost (``on_lost``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

import structlog

from ivr.ari.client import AriClient
from ivr.ari.errors import AriError, AriNotFound, ChannelGone
from ivr.ari.events import Channel, ChannelDestroyed, Event, StasisEnd, StasisStart
from ivr.ari.session import CallHungUp, CallSession

log = structlog.get_logger(__name__)


class CallHandler(Protocol):
    """A call flow: runs for the whole life of one call."""

    def __call__(self, call: CallSession) -> Awaitable[None]: ...


LostHook = Callable[[str], None]
FINAL_HANGUP_RETRIES = (0.2, 0.5, 1.0, 2.0, 4.0)
# Flows started per turn of the loop; each first step costs ~0.3 ms (a log line, a REST request).
START_BATCH = 20


class CallDispatcher:
    def __init__(self, client: AriClient, handler: CallHandler, *, app: str | None = None,
                 on_lost: LostHook | None = None) -> None:
        self.client = client
        self.handler = handler
        self.app = app or client.settings.app
        self._on_lost_hook = on_lost
        self.sessions: dict[str, CallSession] = {}  # primary channel id -> session
        self._routes: dict[str, CallSession] = {}  # any channel id of a call -> session
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._waiting: deque[CallSession] = deque()  # routed, flow not started yet
        self._starter: asyncio.Task[None] | None = None
        self.events_handled = 0
        self.failures = 0

    # -- event routing (called synchronously by the websocket reader) --------------------

    def handle_event(self, event: Event) -> None:
        self.events_handled += 1
        if isinstance(event, StasisStart):
            owner = self._routes.get(event.channel.id)
            if owner is None:
                self._start(event.channel, event.args, resumed=False)
                return
        for channel_id in event.channel_ids():
            session = self._routes.get(channel_id)
            if session is not None:
                session.deliver(event)
                if isinstance(event, (StasisEnd, ChannelDestroyed)) and channel_id != session.channel_id:
                    self._routes.pop(channel_id, None)
                return
        log.debug("ari.event_unrouted", type=event.type, channels=event.channel_ids())

    def claim(self, channel_id: str, session: CallSession) -> None:
        """Route events of ``channel_id`` (e.g. an originated leg) to ``session``."""
        self._routes[channel_id] = session

    def _start(self, channel: Channel, args: tuple[str, ...], *, resumed: bool) -> CallSession:
        session = CallSession(self.client, channel, args=args, resumed=resumed, claim=self.claim)
        self.sessions[channel.id] = session
        self._routes[channel.id] = session
        self._waiting.append(session)
        if self._starter is None:
            self._starter = asyncio.create_task(self._start_waiting(), name="ari-call-starter")
        return session

    async def _start_waiting(self) -> None:
        try:
            while self._waiting:
                for _ in range(min(START_BATCH, len(self._waiting))):
                    session = self._waiting.popleft()
                    self._tasks[session.channel_id] = asyncio.create_task(
                        self._run(session), name=f"call-{session.channel_id}")
                await asyncio.sleep(0)  # the new flows' first steps run, and the reader reads
        finally:
            self._starter = None

    async def _run(self, session: CallSession) -> None:
        # A task runs in a copy of the context: this binding is this call's alone.
        structlog.contextvars.bind_contextvars(call_id=session.call_id)
        log.info("call.started", caller=session.channel.caller.number, resumed=session.resumed,
                 args=list(session.args))
        try:
            await self.handler(session)
        except (CallHungUp, ChannelGone):
            log.info("call.hung_up_during_flow")
        except asyncio.CancelledError:
            log.info("call.cancelled")
            raise
        except Exception:
            self.failures += 1
            log.exception("call.flow_failed")
        finally:
            await self._finish(session)

    async def _finish(self, session: CallSession) -> None:
        if not session.hung_up:
            # The flow ended (or crashed) with the caller still on the line: never leave a call
            # hanging. Asterisk may refuse for a moment (5xx, a timeout): try a few times.
            for delay in FINAL_HANGUP_RETRIES:
                try:
                    await session.hangup()
                    break
                except (ChannelGone, AriNotFound):
                    break
                except AriError as exc:
                    log.warning("call.final_hangup_failed", error=str(exc), retry_in=delay)
                    await asyncio.sleep(delay)
        self.sessions.pop(session.channel_id, None)
        self._tasks.pop(session.channel_id, None)
        for cid in [cid for cid, s in self._routes.items() if s is session]:
            del self._routes[cid]
        log.info("call.finished")

    # -- reconnect reconciliation --------------------------------------------------------

    async def reconcile(self) -> None:
        """After a (re)connect: resume calls still in our app, report those that vanished."""
        channels = {c.id: c for c in await self.client.list_channels()}
        for channel_id in list(self.sessions):
            if channel_id in channels:
                self.on_resume(channels[channel_id])
            else:
                self.on_lost(channel_id)
        for channel in channels.values():
            if channel.id not in self._routes and channel.in_app(self.app):
                self.on_resume(channel)

    def on_resume(self, channel: Channel) -> None:
        """The channel is still with us: keep its session, or start one marked ``resumed``."""
        if channel.id in self.sessions:
            log.info("call.resumed", call_id=channel.id)
            # Events sent while we were away are lost: the flow checks what it was waiting for.
            self.sessions[channel.id].resynced()
            return
        log.info("call.adopted_after_reconnect", call_id=channel.id)
        self._start(channel, tuple(channel.dialplan.app_data.split(",")[1:]), resumed=True)

    def on_lost(self, channel_id: str) -> None:
        """The channel disappeared while we could not hear its StasisEnd."""
        session = self.sessions.get(channel_id)
        log.info("call.lost_while_disconnected", call_id=channel_id)
        if session is not None:
            session.mark_lost()
        if self._on_lost_hook is not None:
            self._on_lost_hook(channel_id)

    async def close(self) -> None:
        if self._starter is not None:
            self._starter.cancel()
            await asyncio.gather(self._starter, return_exceptions=True)
        self._waiting.clear()
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def drain(self, timeout: float) -> None:
        """Wait until every call task has finished (tests and shutdown)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        if self._starter is not None:  # calls still waiting to start
            await asyncio.wait({self._starter}, timeout=timeout)
        tasks = list(self._tasks.values())
        if tasks and (left := end - loop.time()) > 0:
            await asyncio.wait(tasks, timeout=left)
