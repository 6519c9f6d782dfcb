"""The day of calls with its world (the stand-in, the consoles) in processes of its own, as the
benchmark's figures are taken: the same books (every call one ticket or one missed call), the
screen-pops timed across processes, the service's loop lag reported."""

from __future__ import annotations

import pytest

from bench.load_day import DayOptions, run_day


@pytest.mark.slow
async def test_a_day_with_the_world_out_of_process_loses_no_call() -> None:
    report = await run_day(DayOptions(calls=20, burst=20, dispatchers=4, asr="none", wave_timeout=60,
                                      world="process"))
    print("\n".join(report.lines()))
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert report.reached == report.placed == 20
    assert report.handled == 20
    assert report.tickets + report.missed == 20
    assert report.pop_latencies_ms and all(0 <= ms < 5000 for ms in report.pop_latencies_ms)
    assert report.cpu_world_s > 0  # the stand-in's and the consoles' processes did the world's work
    assert report.loop_lag is not None and report.loop_lag.samples > 0
    assert any("processes of its own" in line for line in report.lines())
