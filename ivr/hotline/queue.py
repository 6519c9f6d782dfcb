"""The callers waiting for a dispatcher, served in one order by one allocator.

Each waiting call holds a ticket in the queue; an allocator task hands free dispatchers to the
tickets in order — emergencies first, then the longest waiting — and a dispatcher being rung
counts as busy, so no phone is rung for two callers at once. A call that has rung a dispatcher
in vain tries the others first; once it has tried every free one it rings them again after a
short pause.

The allocator runs while anyone waits and stops when the queue is empty. It wakes when a
dispatcher is released (a ring ended, a conversation ended) and, for the changes it is not told
of (a dispatcher logging in, a call on their phone outside our app), every ``poll_seconds``.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger(__name__)

FreeDispatchers = Callable[[bool], Awaitable[Sequence[str]]]


@dataclass(eq=False)
class Waiter:
    """One call's place in the queue."""

    call_id: str
    emergency: bool
    since: float
    seq: int
    tried: set[str] = field(default_factory=set)
    rest_until: float = 0.0  # after a round of every free dispatcher, a pause before the next
    offer: asyncio.Future[str] | None = None

    @property
    def order(self) -> tuple[bool, float, int]:
        return (not self.emergency, self.since, self.seq)


class DispatchQueue:
    def __init__(self, free_dispatchers: FreeDispatchers, *, poll_seconds: float = 1.0,
                 round_pause_seconds: float = 2.0,
                 on_change: Callable[[list[Waiter]], None] | None = None) -> None:
        self.free_dispatchers = free_dispatchers
        self.poll_seconds = poll_seconds
        self.round_pause_seconds = round_pause_seconds
        self.on_change = on_change
        self.waiters: list[Waiter] = []
        self.claimed: dict[str, str] = {}  # extension being rung -> call id
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._allocator: asyncio.Task[None] | None = None

    # -- a call's side ---------------------------------------------------------------------
    def join(self, call_id: str, emergency: bool) -> Waiter:
        waiter = Waiter(call_id, emergency, asyncio.get_running_loop().time(), next(self._seq))
        self.waiters.append(waiter)
        self.waiters.sort(key=lambda w: w.order)
        self._changed()
        self.wake()
        if self._allocator is None or self._allocator.done():
            self._allocator = asyncio.create_task(self._allocate_while_waiting(), name="dispatch-queue")
        return waiter

    async def next_dispatcher(self, waiter: Waiter, timeout: float) -> str | None:
        """The extension this call may ring now (claimed for it), or None when the time is up."""
        offer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        waiter.offer = offer
        self.wake()
        try:
            async with asyncio.timeout(max(0.0, timeout)):
                return await asyncio.shield(offer)
        except TimeoutError:
            self._give_back(offer)
            return None
        except asyncio.CancelledError:
            self._give_back(offer)
            raise
        finally:
            waiter.offer = None

    def _give_back(self, offer: asyncio.Future[str]) -> None:
        """An offer the call will not use: a dispatcher handed over in the same instant goes back."""
        if offer.done():
            if not offer.cancelled():
                self.release(offer.result())
        else:
            offer.cancel()

    def release(self, extension: str) -> None:
        """The ring of ``extension`` ended (answered or not): others may ring it."""
        self.claimed.pop(extension, None)
        self.wake()

    def leave(self, waiter: Waiter) -> None:
        if waiter in self.waiters:
            self.waiters.remove(waiter)
            self._changed()
        self.wake()

    def position(self, waiter: Waiter) -> int:
        """1 for the head of the queue."""
        return self.waiters.index(waiter) + 1 if waiter in self.waiters else 0

    def wake(self) -> None:
        self._wake.set()

    # -- the allocator -----------------------------------------------------------------------
    async def _allocate_while_waiting(self) -> None:
        while self.waiters:
            self._wake.clear()
            try:
                await self._allocate()
            except Exception:
                log.exception("ivr.queue_allocation_failed")
            with_offers = [w for w in self.waiters if w.offer is not None and not w.offer.done()]
            if not with_offers:
                await self._wake.wait()
                continue
            try:
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _allocate(self) -> None:
        asking = [w for w in self.waiters if w.offer is not None and not w.offer.done()]
        if not asking:
            return
        free = [e for e in await self.free_dispatchers(asking[0].emergency) if e not in self.claimed]
        now = asyncio.get_running_loop().time()
        for waiter in asking:
            if not free:
                return
            if waiter.offer is None or waiter.offer.done():
                continue  # left or timed out while the desk was asked
            untried = [e for e in free if e not in waiter.tried]
            if untried:
                ext = untried[0]
            elif not waiter.rest_until:
                # Every free one was rung in vain (away from the desk, a phone that refuses):
                # a pause before they are rung again, so no phone is hammered in a tight loop.
                waiter.rest_until = now + self.round_pause_seconds
                continue
            elif now < waiter.rest_until:
                continue
            else:
                waiter.tried.clear()
                waiter.rest_until = 0.0
                ext = free[0]
            free.remove(ext)
            waiter.tried.add(ext)
            self.claimed[ext] = waiter.call_id
            waiter.offer.set_result(ext)

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change(list(self.waiters))
            except Exception:
                log.exception("ivr.queue_listener_failed")
