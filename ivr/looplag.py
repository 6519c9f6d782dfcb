"""How long the event loop keeps a ready callback waiting: the service's first health figure.

Asterisk drops an ARI events reader (and an AMI session) that stops reading for ~100 ms, so a
loop blocked that long costs every call in Stasis. A task sleeps a fixed interval and records by
how much it woke up late (its *lag*): a busy loop shows a few milliseconds, a blocked one the
length of the block. The figures over a sliding window go to the administrator's system page;
a lag over the threshold is logged as ``loop.lag``; benchmarks read the whole run's figures.
"""

from __future__ import annotations

import asyncio
import gc
import math
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

    def line(self) -> str:
        """As the benchmarks print it."""
        return (f"loop lag p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms "
                f"({self.samples} probes, {self.over_threshold} over the threshold)")

    def as_dict(self) -> dict[str, float | int]:
        return {"samples": self.samples, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "max_ms": self.max_ms,
                "over_threshold": self.over_threshold}


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
        self._run: Counter[int] = Counter()
        self._run_max = 0.0
        self._run_over = 0
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
        while True:
            before = time.perf_counter()
            await asyncio.sleep(interval)
            self.record((time.perf_counter() - before - interval) * 1000)

    def record(self, lag_ms: float) -> None:
        """One probe's overshoot (the probe calls it; public for a bench's own probes)."""
        lag_ms = max(0.0, lag_ms)
        self._window.append(lag_ms)
        self._run[int(lag_ms / BUCKET_MS)] += 1
        self._run_max = max(self._run_max, lag_ms)
        if lag_ms < self.threshold_ms:
            return
        self._run_over += 1
        self._unlogged += 1
        now = time.monotonic()
        if now - self._last_log >= self._log_every:
            log.warning("loop.lag", lag_ms=round(lag_ms, 1), threshold_ms=self.threshold_ms,
                        stalls=self._unlogged)
            self._last_log, self._unlogged = now, 0

    def figures(self) -> LagFigures:
        """The sliding window (the last ``window_seconds`` of probes)."""
        values = sorted(self._window)
        if not values:
            return LagFigures(0, 0.0, 0.0, 0.0, 0)
        n = len(values)
        return LagFigures(n, round(values[_rank(n, 0.5)], 1), round(values[_rank(n, 0.99)], 1),
                          round(values[-1], 1), sum(1 for v in values if v >= self.threshold_ms))

    def run_figures(self) -> LagFigures:
        """Everything since the start or ``reset_run()`` (percentiles to the 0.1 ms bucket)."""
        n = sum(self._run.values())
        if not n:
            return LagFigures(0, 0.0, 0.0, 0.0, 0)
        ranks = {q: _rank(n, q) for q in (0.5, 0.99)}
        found: dict[float, float] = {}
        seen = 0
        for bucket in sorted(self._run):
            seen += self._run[bucket]
            for q, r in ranks.items():
                if q not in found and seen > r:
                    found[q] = (bucket + 1) * BUCKET_MS  # the bucket's upper edge: never flatters
        return LagFigures(n, round(min(found[0.5], self._run_max), 1), round(min(found[0.99], self._run_max), 1),
                          round(self._run_max, 1), self._run_over)

    def reset_run(self) -> None:
        self._run.clear()
        self._run_max = 0.0
        self._run_over = 0
