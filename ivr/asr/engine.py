"""The shared model plus two bounded pools of decoding threads.

Vosk's C calls release the GIL, so threads give real parallelism. Offline transcription of
recordings (batch) and the voice menu's spoken choice (interactive: a caller waits on the line)
get pools of their own, so a caller's "вода" never queues behind a backlog of long recordings.
Batch threads run at a lower scheduling priority (Linux nice is per thread): when decoding
saturates the cores, the event loop (screen-pops, call control) and the interactive decodes
still get the CPU at once. Each pool's size bounds how many decodes it runs at once. Nothing
here runs on the event loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import structlog
import vosk  # type: ignore[import-untyped]

from .model import load_model

T = TypeVar("T")
log = structlog.get_logger(__name__)

# Niceness added to batch decoding threads: CFS then gives a nice-0 thread about ten times the
# share of a nice-10 one.
BATCH_NICE = 10


def default_workers(workers: int) -> int:
    return workers if workers > 0 else (os.cpu_count() or 1)


def _lower_priority(increment: int) -> None:
    """Pool thread initializer: lower this thread's priority (never raises; unprivileged is fine)."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + increment)
    except (AttributeError, OSError) as e:  # not Linux, or a sandbox that forbids it
        log.warning("asr.priority_unchanged", error=str(e))


class VoskEngine:
    def __init__(self, model_dir: Path, workers: int = 0, *, batch_nice: int = BATCH_NICE,
                 decoder: Mapping[str, float | int] | None = None) -> None:
        self.model_dir = model_dir
        self.decoder = dict(decoder or {})  # conf/model.conf options to change (see model.decoder_overlay)
        self.workers = default_workers(workers)
        self._batch = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="vosk-batch",
                                         initializer=_lower_priority, initargs=(batch_nice,))
        self._interactive = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="vosk-live")
        self._model: vosk.Model | None = None
        self._load_lock = asyncio.Lock()
        self._count_lock = threading.Lock()
        self._running = 0
        self.peak_running = 0  # the most batch jobs seen decoding at once: tests check the bound

    @property
    def model_name(self) -> str:
        return self.model_dir.name

    async def model(self) -> vosk.Model:
        if self._model is None:
            async with self._load_lock:
                if self._model is None:
                    loop = asyncio.get_running_loop()
                    self._model = await loop.run_in_executor(self._interactive, load_model, self.model_dir,
                                                             self.decoder)
        return self._model

    async def run(self, fn: Callable[..., T], *args: object, interactive: bool = False) -> T:
        """Run blocking ``fn(*args)`` in the batch pool, or the interactive one for a caller on the line."""
        loop = asyncio.get_running_loop()
        if interactive:
            return await loop.run_in_executor(self._interactive, fn, *args)
        return await loop.run_in_executor(self._batch, self._counted, fn, args)

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
        for pool in (self._batch, self._interactive):
            pool.shutdown(wait=False, cancel_futures=True)
