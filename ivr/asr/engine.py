"""The shared model plus a bounded pool of decoding threads.

Vosk's C calls release the GIL, so threads give real parallelism; the pool size is the bound
on how many recordings (or server chunks) decode at once. Nothing here runs on the event loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import vosk  # type: ignore[import-untyped]

from .model import load_model

T = TypeVar("T")


def default_workers(workers: int) -> int:
    return workers if workers > 0 else (os.cpu_count() or 1)


class VoskEngine:
    def __init__(self, model_dir: Path, workers: int = 0) -> None:
        self.model_dir = model_dir
        self.workers = default_workers(workers)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="vosk")
        self._model: vosk.Model | None = None
        self._load_lock = asyncio.Lock()
        self._count_lock = threading.Lock()
        self._running = 0
        self.peak_running = 0  # the most jobs seen decoding at once: tests check the bound

    @property
    def model_name(self) -> str:
        return self.model_dir.name

    async def model(self) -> vosk.Model:
        if self._model is None:
            async with self._load_lock:
                if self._model is None:
                    loop = asyncio.get_running_loop()
                    self._model = await loop.run_in_executor(self._executor, load_model, self.model_dir)
        return self._model

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run blocking ``fn(*args)`` in the pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._counted, fn, args)

    def _counted(self, fn: Callable[..., T], args: tuple[object, ...]) -> T:
        with self._count_lock:
            self._running += 1
            self.peak_running = max(self.peak_running, self._running)
        try:
            return fn(*args)
        finally:
            with self._count_lock:
                self._running -= 1

    def close(self) -> None:
        # Not waiting: a decode in progress finishes in its thread; queued ones are dropped.
        self._executor.shutdown(wait=False, cancel_futures=True)
