"""What runs beside one call: its timers and its tasks, all gone when the call ends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


class Chores:
    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        self.timers: dict[int, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(coro, name=f"{name}-{self.call_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def start_timer(self, token: int, seconds: float, fire: Callable[[], None]) -> None:
        self.timers[token] = asyncio.get_running_loop().call_later(seconds, fire)

    def cancel_timer(self, token: int) -> None:
        handle = self.timers.pop(token, None)
        if handle is not None:
            handle.cancel()

    async def close(self, *also: asyncio.Task[Any]) -> None:
        """Every timer and task cancelled, and waited for (with ``also``)."""
        for handle in self.timers.values():
            handle.cancel()
        self.timers.clear()
        tasks = [*also, *self.tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
