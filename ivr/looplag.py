"""How long the event loop keeps a ready callback waiting: the service's first health figure.

Asterisk drops an ARI events reader (and an AMI session) that stops reading for ~100 ms, so a
loop blocked that long costs every call in Stasis. A task sleeps a fixed interval and records by
how much it woke up late (its *lag*): a busy loop shows a few milliseconds, a blocked one the
length of the block. The figures over a sliding window go to the administrator's system page;
a lag over the threshold is logged as ``loop.lag``; benchmarks read the whole run's figures.

On a shared machine part of a lag is not ours: the loop's thread was ready but waited for a CPU
(other processes had them). Linux counts that wait per thread (``/proc/thread-self/schedstat``,
its second field); the monitor subtracts it from each probe and reports the rest as the *own*
lag: time our process spent elsewhere (a callback running long, a collection of the garbage
collector, another of our threads holding the GIL). It is a lower bound: a wait anywhere in the
probe's interval is subtracted, also one that came before the timer was due.
"""

from __future__ import annotations

import asyncio
import gc
import math
import os
import time
from collections import Counter, deque
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)

BUCKET_MS = 0.1  # resolution of the whole-run histogram
_frozen = False


@dataclass(frozen=True)
class LagFigures:
    """Wake-up lag in milliseconds over ``samples`` probes."""

    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    over_threshold: int
    own: LagFigures | None = None  # the same without the waits for a CPU (None: not measurable here)

    def line(self) -> str:
        """As the benchmarks print it."""
        text = (f"loop lag p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms "
                f"({self.samples} probes, {self.over_threshold} over the threshold)")
        if self.own is not None:
            text += (f"; without waiting for a CPU p50 {self.own.p50_ms:.1f}, p99 {self.own.p99_ms:.1f}, "
                     f"max {self.own.max_ms:.1f} ms")
        return text

    def as_dict(self) -> dict[str, float | int]:
        values: dict[str, float | int] = {"samples": self.samples, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms,
                                          "max_ms": self.max_ms, "over_threshold": self.over_threshold}
        if self.own is not None:
            values.update(own_p50_ms=self.own.p50_ms, own_p99_ms=self.own.p99_ms, own_max_ms=self.own.max_ms)
        return values


def freeze_startup_heap() -> None:
    """Once the service is built: move every object alive now (modules, settings, models, the
    ORM's tables) out of the garbage collector's sight. Each full collection used to walk them
    all, 40-90 ms with the loop stopped, several times in a storm of 500 calls; what the calls
    allocate is collected as before."""
    gc.collect()
    gc.freeze()


def _rank(n: int, q: float) -> int:
    """The index of the q-quantile among n ordered values (nearest rank)."""
    return max(0, min(n - 1, math.ceil(q * n) - 1))


class _Histogram:
    """Lags of a whole run in 0.1 ms buckets: bounded memory however long the run."""

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()
        self.max = 0.0
        self.over = 0

    def add(self, lag_ms: float, over: bool) -> None:
        self.counts[int(lag_ms / BUCKET_MS)] += 1
        self.max = max(self.max, lag_ms)
        self.over += over

    def figures(self, own: LagFigures | None = None) -> LagFigures:
        n = sum(self.counts.values())
        if not n:
            return LagFigures(0, 0.0, 0.0, 0.0, 0, own)
        ranks = {q: _rank(n, q) for q in (0.5, 0.99)}
        found: dict[float, float] = {}
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            for q, r in ranks.items():
                if q not in found and seen > r:
                    found[q] = (bucket + 1) * BUCKET_MS  # the bucket's upper edge: never flatters
        return LagFigures(n, round(min(found[0.5], self.max), 1), round(min(found[0.99], self.max), 1),
                          round(self.max, 1), self.over, own)


class _CpuWait:
    """How long this thread has waited for a CPU while ready to run, in ms (Linux); None elsewhere."""

    def __init__(self) -> None:
        try:
            self._fd: int | None = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        except OSError:
            self._fd = None

    def read(self) -> float | None:
        if self._fd is None:
            return None
        try:
            return int(os.pread(self._fd, 100, 0).split()[1]) / 1e6
        except (OSError, IndexError, ValueError):
            return None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class LoopLagMonitor:
    """``start()`` on the loop to watch, ``await stop()`` at shutdown.

    ``window_seconds`` bounds what ``figures()`` reports (the system page: the last minute);
    ``run_figures()`` covers everything since the start or the last ``reset_run()``, from a
    histogram of 0.1 ms buckets, so its memory stays bounded on a service that runs for months.
    """

    def __init__(self, *, interval_seconds: float = 0.01, window_seconds: float = 60.0,
                 threshold_ms: float = 50.0, log_every_seconds: float = 1.0) -> None:
        if interval_seconds <= 0 or window_seconds < interval_seconds:
            raise ValueError("loop lag: the interval must be positive and shorter than the window")
        self.interval = interval_seconds
        self.threshold_ms = threshold_ms
        self._log_every = log_every_seconds
        self._window: deque[float] = deque(maxlen=max(1, round(window_seconds / interval_seconds)))
        self._own_window: deque[float] = deque(maxlen=self._window.maxlen)
        self._run = _Histogram()
        self._own_run = _Histogram()
        self._task: asyncio.Task[None] | None = None
        self._last_log = -math.inf
        self._unlogged = 0  # stalls over the threshold not logged yet (one line a second at most)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._probe(), name="loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _probe(self) -> None:
        interval = self.interval
        cpu_wait = _CpuWait()  # opened on the loop's own thread
        try:
            while True:
                before, waited_before = time.perf_counter(), cpu_wait.read()
                await asyncio.sleep(interval)
                lag = (time.perf_counter() - before - interval) * 1000
                waited_after = cpu_wait.read()
                waited = None if waited_before is None or waited_after is None else waited_after - waited_before
                self.record(lag, cpu_wait_ms=waited)
        finally:
            cpu_wait.close()

    def record(self, lag_ms: float, *, cpu_wait_ms: float | None = None) -> None:
        """One probe's overshoot, and how much of the probe's time its thread waited for a CPU
        (the probe calls it; public for a bench's own probes)."""
        lag_ms = max(0.0, lag_ms)
        over = lag_ms >= self.threshold_ms
        self._window.append(lag_ms)
        self._run.add(lag_ms, over)
        if cpu_wait_ms is not None:
            own = max(0.0, lag_ms - cpu_wait_ms)
            self._own_window.append(own)
            self._own_run.add(own, own >= self.threshold_ms)
        if not over:
            return
        self._unlogged += 1
        now = time.monotonic()
        if now - self._last_log >= self._log_every:
            log.warning("loop.lag", lag_ms=round(lag_ms, 1), threshold_ms=self.threshold_ms,
                        cpu_wait_ms=None if cpu_wait_ms is None else round(cpu_wait_ms, 1), stalls=self._unlogged)
            self._last_log, self._unlogged = now, 0

    def figures(self) -> LagFigures:
        """The sliding window (the last ``window_seconds`` of probes)."""
        own = self._window_figures(self._own_window, None) if self._own_window else None
        return self._window_figures(self._window, own)

    def _window_figures(self, window: deque[float], own: LagFigures | None) -> LagFigures:
        values = sorted(window)
        if not values:
            return LagFigures(0, 0.0, 0.0, 0.0, 0, own)
        n = len(values)
        return LagFigures(n, round(values[_rank(n, 0.5)], 1), round(values[_rank(n, 0.99)], 1),
                          round(values[-1], 1), sum(1 for v in values if v >= self.threshold_ms), own)

    def run_figures(self) -> LagFigures:
        """Everything since the start or ``reset_run()`` (percentiles to the 0.1 ms bucket)."""
        own = self._own_run.figures() if self._own_run.counts else None
        return self._run.figures(own)

    def reset_run(self) -> None:
        self._run = _Histogram()
        self._own_run = _Histogram()
