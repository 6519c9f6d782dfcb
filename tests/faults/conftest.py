"""A small day of calls through the whole service, with a fault injected mid-burst."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bench.faults import describe_console
from bench.load_day import Day, DayOptions, DayReport

RunDay = Callable[..., Awaitable[DayReport]]


@pytest.fixture
async def small_day(tmp_path: Path) -> AsyncIterator[Day]:
    day = Day(DayOptions(calls=30, burst=30, dispatchers=4, asr="none", wave_timeout=60), tmp_path)
    try:
        yield day
    finally:
        await day.close()


async def run(day: Day, fault: Callable[[], Awaitable[None]] | None = None) -> DayReport:
    """Start, place one burst with ``fault`` (from bench/faults.py) injected while it is in
    progress, settle, check."""
    await day.start()
    await day.run_calls({0: fault} if fault else None)
    report = await day.check()
    print("\n".join(report.lines()))
    print("shown to dispatcher d101:", *describe_console(report.shown, day.marks).lines, sep="\n  ")
    return report


def pbx_banner(report: DayReport) -> list[bool]:
    """The «Связь с АТС потеряна» banner: the pbx_state values console d101 received."""
    return [bool(m["connected"]) for m in report.shown if m["type"] == "pbx_state"]
