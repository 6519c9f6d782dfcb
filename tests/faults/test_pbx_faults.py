"""Asterisk misbehaving mid-burst: a restart, the ARI websocket dropping, REST failing or hanging.
No call is lost, duplicated or left hanging; the dispatchers see the PBX link go and come back."""

from __future__ import annotations

import asyncio

from bench.faults import ari_websocket_drop, asterisk_restart, rest_errors_then_hang
from bench.load_day import Day
from tests.faults.conftest import pbx_banner, run


async def test_asterisk_restart_mid_burst_leaves_missed_calls_not_hanging_ones(small_day: Day) -> None:
    report = await run(small_day, asterisk_restart(small_day, after=0.8, down_for=0.5))
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert report.reached == report.handled == report.placed
    assert report.outcomes["missed"] >= 10  # the restart cut them off
    banner = pbx_banner(report)
    assert banner[-2:] == [False, True], banner


async def test_ari_websocket_drop_resumes_calls_in_progress(small_day: Day) -> None:
    report = await run(small_day, ari_websocket_drop(small_day, after=0.8))
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert report.handled == report.placed == 30
    assert pbx_banner(report)[-2:] == [False, True]


async def test_rest_errors_and_a_hanging_rest_api_are_bounded(small_day: Day) -> None:
    # 15 answers of 503, then every request 3 s late (our timeout: 1 s) for 2 s.
    fault = rest_errors_then_hang(small_day, timeout=1.0, failures=15, status=503, hang=3.0, hang_for=2.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    report = await run(small_day, fault)
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert report.handled == report.placed == 30
    assert loop.time() - started < 60
