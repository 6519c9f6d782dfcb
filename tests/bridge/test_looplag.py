"""The loop-lag monitor sees a blocked event loop, reports it, and logs it over the threshold."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import structlog

from ivr.looplag import LoopLagMonitor


async def _block(seconds: float) -> None:
    """A callback that blocks the loop, as a synchronous database call or a decode would."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def blocker() -> None:
        time.sleep(seconds)
        done.set_result(None)

    loop.call_soon(blocker)
    await done


async def test_a_blocked_loop_shows_as_lag_and_is_logged() -> None:
    monitor = LoopLagMonitor(interval_seconds=0.005, threshold_ms=100)
    with structlog.testing.capture_logs() as logs:
        monitor.start()
        await asyncio.sleep(0.1)  # some quiet probes first
        await _block(0.25)
        await asyncio.sleep(0.05)
        await monitor.stop()
    window = monitor.figures()
    assert window.max_ms >= 200, window
    assert window.over_threshold == 1
    assert window.p50_ms < 50  # one stall among quiet probes does not move the median
    if Path("/proc/thread-self/schedstat").exists():  # a blocking call is our own time, not a CPU wait
        assert window.own is not None and window.own.max_ms >= 200
    lags = [e for e in logs if e["event"] == "loop.lag"]
    assert len(lags) == 1
    assert lags[0]["log_level"] == "warning"
    assert lags[0]["lag_ms"] >= 200
    assert lags[0]["threshold_ms"] == 100
    run = monitor.run_figures()
    assert run.max_ms == window.max_ms
    assert run.samples == window.samples
    assert not monitor.running


async def test_a_quiet_loop_logs_nothing() -> None:
    monitor = LoopLagMonitor(interval_seconds=0.005, threshold_ms=100)
    with structlog.testing.capture_logs() as logs:
        monitor.start()
        await asyncio.sleep(0.2)
        await monitor.stop()
    figures = monitor.figures()
    assert figures.samples >= 10
    assert figures.max_ms < 100
    assert not [e for e in logs if e["event"] == "loop.lag"]


async def test_stalls_are_logged_once_a_second_with_their_count() -> None:
    monitor = LoopLagMonitor(interval_seconds=0.005, threshold_ms=30, log_every_seconds=60)
    with structlog.testing.capture_logs() as logs:
        monitor.start()
        for _ in range(3):
            await _block(0.06)
            await asyncio.sleep(0.02)
        await monitor.stop()
    assert monitor.figures().over_threshold == 3
    assert [e["stalls"] for e in logs if e["event"] == "loop.lag"] == [1]  # the next two wait for the next line


def test_window_and_run_figures_from_recorded_lags() -> None:
    monitor = LoopLagMonitor(interval_seconds=0.01, window_seconds=1.0, threshold_ms=50)  # 100 probes kept
    for lag in [1.0] * 98 + [60.0, 180.0]:
        monitor.record(lag)
    window = monitor.figures()
    assert (window.samples, window.p50_ms, window.p99_ms, window.max_ms, window.over_threshold) == \
        (100, 1.0, 60.0, 180.0, 2)
    for _ in range(100):  # the window slides past the stalls; the run remembers them
        monitor.record(2.0)
    assert monitor.figures().max_ms == 2.0
    run = monitor.run_figures()
    assert (run.samples, run.max_ms, run.over_threshold) == (200, 180.0, 2)
    assert run.p50_ms == pytest.approx(2.1)  # the 0.1 ms bucket's upper edge
    assert run.p99_ms == pytest.approx(2.1)
    monitor.reset_run()
    assert monitor.run_figures().samples == 0


def test_time_spent_waiting_for_a_cpu_is_not_counted_as_our_own() -> None:
    monitor = LoopLagMonitor(threshold_ms=50)
    monitor.record(120.0, cpu_wait_ms=100.0)  # the machine was busy: 20 ms of it was ours
    monitor.record(80.0, cpu_wait_ms=0.0)
    monitor.record(5.0, cpu_wait_ms=9.0)  # waited before the timer was due: nothing of ours
    figures = monitor.run_figures()
    assert (figures.max_ms, figures.over_threshold) == (120.0, 2)
    assert figures.own is not None
    assert (figures.own.max_ms, figures.own.over_threshold) == (80.0, 1)
    window_own = monitor.figures().own
    assert window_own is not None and (window_own.p50_ms, window_own.max_ms) == (20.0, 80.0)
    assert "without waiting for a CPU" in figures.line()
    assert figures.as_dict()["own_max_ms"] == 80.0


def test_an_interval_longer_than_the_window_is_refused() -> None:
    with pytest.raises(ValueError, match="interval"):
        LoopLagMonitor(interval_seconds=2, window_seconds=1)
