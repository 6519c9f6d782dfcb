"""The short day (bench/load_day.py --short) in CI: 100 calls in bursts of 50 through the whole
service, 20 consoles, the real Vosk recogniser; nothing lost, nothing twice, nothing hanging."""

from __future__ import annotations

from bench.load_day import DayOptions, run_day


async def test_short_day_loses_no_call() -> None:
    report = await run_day(DayOptions(calls=100, burst=50, speech_seconds=1.5, drain_timeout=120))
    print("\n".join(report.lines()))
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert report.reached == report.placed == 100
    assert report.handled == 100
    assert report.tickets + report.missed >= 100 - report.outcomes.get("answered", 0)
    assert report.pop_latencies_ms and report.pct(99) < 1000
    assert report.backlog_after_calls == 0 or report.transcripts.get("pending", 0) == 0
    assert set(report.transcripts) <= {"done", "none", "failed"}
