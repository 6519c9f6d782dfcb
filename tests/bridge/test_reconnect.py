"""Injected faults: websocket drop, Asterisk restart, 5xx; no call is left hanging."""

from __future__ import annotations

import asyncio

import pytest

from ivr.ari import AriServerError, AriService, CallSession, LinkStatus, example_handler
from pbxsim import CallScript, KeyPress, PbxSim


async def wait_until(predicate: object, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def answer_wait_key_hangup(call: CallSession) -> None:
    await call.answer()
    await call.wait_dtmf(timeout=5)
    await call.hangup()


async def test_websocket_drop_resumes_call(sim: PbxSim) -> None:
    changes: list[LinkStatus] = []
    async with AriService(sim.ari_settings(), answer_wait_key_hangup, initial_backoff=0.05) as ari:
        ari.state.add_listener(changes.append)
        await ari.state.wait_connected(2)
        call = sim.place_call(CallScript("79161234567", keys=[KeyPress(6.0, "5")]))
        await wait_until(lambda: call.id in ari.dispatcher.sessions)
        sim.drop_ari()
        await wait_until(lambda: ari.connection.connects == 2)
        await asyncio.wait_for(call.done.wait(), 5)
        await ari.dispatcher.drain(2)
    assert [c.connected for c in changes][:3] == [True, False, True]
    assert sim.live_channels() == [] and ari.dispatcher.sessions == {}


async def test_restart_reports_lost_calls_and_serves_new_ones(sim: PbxSim) -> None:
    lost: list[str] = []
    async with AriService(sim.ari_settings(), answer_wait_key_hangup, initial_backoff=0.05,
                          on_lost=lost.append) as ari:
        await ari.state.wait_connected(2)
        call = sim.place_call(CallScript("79161234567", keys=[KeyPress(60.0, "5")]))
        await wait_until(lambda: call.id in ari.dispatcher.sessions)
        await sim.restart(down_for=0.2)
        await wait_until(lambda: ari.connection.connects == 2)
        await wait_until(lambda: ari.dispatcher.sessions == {})
        assert lost == [call.id]
        second = sim.place_call(CallScript("79031112233", keys=[KeyPress(0.5, "1")]))
        await asyncio.wait_for(second.done.wait(), 5)
        await ari.dispatcher.drain(2)
    assert sim.live_channels() == []


async def test_server_error_fails_one_call_only(sim: PbxSim) -> None:
    async with AriService(sim.ari_settings(), example_handler, initial_backoff=0.05) as ari:
        await ari.state.wait_connected(2)
        await wait_until(lambda: len(sim.core.hub.rest_log) >= 1)  # the reconcile GET /channels
        sim.fail_rest(1, 503)
        bad = sim.place_call(CallScript("79000000001"))
        good = sim.place_call(CallScript("79000000002", keys=[KeyPress(2.2, "1")], hangup_after=12))
        await asyncio.wait_for(asyncio.gather(bad.done.wait(), good.done.wait()), 5)
        await ari.dispatcher.drain(2)
        assert ari.dispatcher.failures == 1
    statuses = [r.status for r in sim.core.hub.rest_log]
    assert 503 in statuses
    assert sim.played(good.id)[:2] == ["sound:hello-world", "sound:beep"]
    assert sim.live_channels() == []


async def test_flow_exception_is_isolated(sim: PbxSim) -> None:
    async def flaky(call: CallSession) -> None:
        if call.channel.caller.number == "666":
            raise RuntimeError("bug in one call")
        await example_handler(call)

    async with AriService(sim.ari_settings(), flaky, initial_backoff=0.05) as ari:
        await ari.state.wait_connected(2)
        crash = sim.place_call(CallScript("666"))
        ok = sim.place_call(CallScript("79000000003", keys=[KeyPress(2.2, "2")]))
        await asyncio.wait_for(asyncio.gather(crash.done.wait(), ok.done.wait()), 5)
        await ari.dispatcher.drain(2)
        assert ari.dispatcher.failures == 1
    assert sim.played(crash.id) == [] and "sound:beep" in sim.played(ok.id)
    assert sim.live_channels() == []


async def test_rest_error_mapping(sim: PbxSim) -> None:
    from ivr.ari import AriClient

    sim.fail_rest(1, 500)
    async with AriClient(sim.ari_settings()) as client:
        with pytest.raises(AriServerError) as info:
            await client.list_channels()
        assert info.value.status == 500
        assert await client.list_channels() == []
