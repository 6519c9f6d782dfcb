"""Connection state of a link to the PBX (ARI websocket or AMI session), shared by both clients.

The console shows "PBX connection lost" from these; a client publishes every change to listeners
(plain callbacks) and to async iterators (one bounded queue per subscriber).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)

StatusListener = Callable[["LinkStatus"], None]


@dataclass(frozen=True, slots=True)
class LinkStatus:
    link: str  # "ari" or "ami"
    connected: bool
    since: float  # time.time() of the change
    reason: str = ""


class LinkStatePublisher:
    """Holds the current status and fans changes out; never blocks the caller."""

    def __init__(self, link: str) -> None:
        self._status = LinkStatus(link, False, time.time(), "not started")
        self._listeners: list[StatusListener] = []
        self._queues: set[asyncio.Queue[LinkStatus]] = set()
        self._connected_event = asyncio.Event()

    @property
    def status(self) -> LinkStatus:
        return self._status

    def add_listener(self, listener: StatusListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: StatusListener) -> None:
        self._listeners.remove(listener)

    def set(self, connected: bool, reason: str = "") -> None:
        if connected == self._status.connected and self._status.reason != "not started":
            return
        self._status = LinkStatus(self._status.link, connected, time.time(), reason)
        if connected:
            self._connected_event.set()
        else:
            self._connected_event.clear()
        for listener in list(self._listeners):
            try:
                listener(self._status)
            except Exception:
                log.exception("link_status.listener_failed", link=self._status.link)
        for queue in list(self._queues):
            if queue.full():  # a slow subscriber loses the oldest change, never blocks us
                queue.get_nowait()
            queue.put_nowait(self._status)

    async def wait_connected(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._connected_event.wait(), timeout)

    async def changes(self) -> AsyncIterator[LinkStatus]:
        """Async iterator of status changes, starting with the current status."""
        queue: asyncio.Queue[LinkStatus] = asyncio.Queue(maxsize=64)
        queue.put_nowait(self._status)
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)


def backoff_delays(initial: float, cap: float) -> Callable[[int], float]:
    """Exponential backoff: initial * 2**attempt, capped; attempt counts failures in a row."""

    def delay(attempt: int) -> float:
        return float(min(cap, initial * (2 ** min(attempt, 30))))

    return delay
