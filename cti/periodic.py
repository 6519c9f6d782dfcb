"""A background loop that runs one step every few seconds and survives its own errors.

With ``lock`` (journal/job_locks.py: an advisory lock per job on PostgreSQL) the step runs only
on the instance that holds the job; the others ask again at each of their own steps and take it
over when its holder is gone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)
JobLock = Callable[[str], Awaitable[bool]]


class Periodic:
    def __init__(self, name: str, step: Callable[[], Awaitable[object]], interval: float,
                 lock: JobLock | None = None) -> None:
        self.name = name
        self.lock = lock
        self.step = step
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                if self.lock is None or await self.lock(self.name):
                    await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("periodic.step_failed", task=self.name)
            self._wake.clear()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation (stop)
            # that lands with a wake, and the loop would step on.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
