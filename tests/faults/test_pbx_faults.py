"""Asterisk misbehaving mid-burst: a restart, the ARI websocket dropping, REST failing or hanging.
No call is lost, duplicated or left hanging; the dispatchers see the PBX link go and come back."""

from __future__ import annotations

import asyncio

from bench.load_day import Day
from tests.faults.conftest import pbx_banner, run


async def test_asterisk_restart_mid_burst_leaves_missed_calls_not_hanging_ones(small_day: Day) -> None:
    async def restart() -> None:
        await asyncio.sleep(0.8)  # callers are in the greeting, the menu, recording
        assert small_day.sim is not None
        await small_day.world.run(small_day.sim.restart(down_for=0.5))

    report = await run(small_day, restart)
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert report.reached == report.handled == report.placed
    assert report.outcomes["missed"] >= 10  # the restart cut them off
    banner = pbx_banner(report)
    assert banner[-2:] == [False, True], banner


async def test_ari_websocket_drop_resumes_calls_in_progress(small_day: Day) -> None:
    async def drop() -> None:
        await asyncio.sleep(0.8)
        assert small_day.sim is not None
        await small_day.world.call(small_day.sim.drop_ari)

    report = await run(small_day, drop)
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert report.handled == report.placed == 30
    assert pbx_banner(report)[-2:] == [False, True]


async def test_rest_errors_and_a_hanging_rest_api_are_bounded(small_day: Day) -> None:
    small_day.on_settings = lambda s: setattr(s.ari, "request_timeout_seconds", 1.0)

    async def fail() -> None:
        assert small_day.sim is not None
        sim = small_day.sim
        await asyncio.sleep(0.6)
        await small_day.world.call(lambda: sim.fail_rest(15, 503))
        await asyncio.sleep(0.8)
        await small_day.world.call(lambda: sim.delay_rest(3.0))  # longer than our 1 s timeout
        await asyncio.sleep(2.0)
        await small_day.world.call(lambda: sim.delay_rest(0.0))

    loop = asyncio.get_running_loop()
    started = loop.time()
    report = await run(small_day, fail)
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert report.handled == report.placed == 30
    assert loop.time() - started < 60
