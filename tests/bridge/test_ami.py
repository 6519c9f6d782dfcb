"""AMI client (panoramisk 1.4) against the stand-in's AMI server, and the call tracker."""

from __future__ import annotations

import asyncio

import pytest

from ivr.ami import AmiActionError, AmiClient, AmiEvent, CallTracker, ExtensionCall, TrackerSync
from pbxsim import PbxSim
from tests.bridge.test_reconnect import wait_until


async def test_login_actions_and_lists(sim: PbxSim) -> None:
    events: list[AmiEvent] = []
    async with AmiClient(sim.ami_settings(), initial_backoff=0.05) as ami:
        ami.add_listener(events.append)
        await ami.state.wait_connected(2)
        await ami.ping()
        handle = ami.originate("PJSIP/101", context="dispatchers", exten="79161234567", caller_id='"Hotline" <112>')
        result = await handle.result(timeout=5)
        assert result.success and result.reason == "4"
        channels = await ami.core_show_channels()
        assert {c["Channel"].split("-")[0] for c in channels} >= {"PJSIP/101"}
        with pytest.raises(AmiActionError):
            await ami.hangup("PJSIP/999-00000000")
        await ami.hangup(channels[0]["Channel"])
    assert any(e.name == "Newchannel" for e in events)


async def test_wrong_password_never_connects(sim: PbxSim) -> None:
    async with AmiClient(sim.ami_settings(password="wrong"), initial_backoff=0.05) as ami:
        with pytest.raises(TimeoutError):
            await ami.state.wait_connected(0.3)
        assert ami.connects == 0


async def test_reconnects_after_drop_and_after_silence(sim: PbxSim) -> None:
    async with AmiClient(sim.ami_settings(), initial_backoff=0.05, reconnect_max=0.2) as ami:
        await ami.state.wait_connected(2)
        sim.drop_ami()
        await wait_until(lambda: ami.connects == 2)
        sim.mute_ami(True)  # a hung Asterisk: the socket stays open, nothing answers
        await wait_until(lambda: not ami.state.status.connected, timeout=4)
        assert ami.state.status.reason == "ping unanswered"
        sim.mute_ami(False)
        await wait_until(lambda: ami.state.status.connected, timeout=4)
        await ami.ping()


async def test_tracker_sees_executor_calling_dispatcher(sim: PbxSim) -> None:
    seen: list[tuple[str, str, str]] = []

    def note(what: str):  # type: ignore[no-untyped-def]
        return lambda call: seen.append((what, call.extension, call.peer_number))

    tracker = CallTracker(on_ringing=note("ringing"), on_answered=note("answered"), on_ended=note("ended"))
    async with AmiClient(sim.ami_settings(), initial_backoff=0.05) as ami:
        ami.add_listener(tracker.handle)
        await ami.state.wait_connected(2)
        call = sim.internal_call("201", "101", answer_after=1.0, talk_seconds=2.0)
        await wait_until(lambda: ("ringing", "101", "201") in seen)
        ringing: list[ExtensionCall] = tracker.calls_of("101")
        assert ringing[0].state == "ringing" and ringing[0].peer_number == "201"
        assert tracker.calls_of("201")[0].direction == "out"
        await asyncio.wait_for(call.finished.wait(), 5)
        await wait_until(lambda: ("ended", "101", "201") in seen)
    assert ("answered", "101", "201") in seen and ("answered", "201", "101") in seen
    assert tracker.calls() == []


async def test_tracker_takes_up_calls_it_had_no_events_for(sim: PbxSim) -> None:
    seen: list[tuple[str, str, str]] = []

    def note(what: str):  # type: ignore[no-untyped-def]
        return lambda call: seen.append((what, call.extension, call.peer_number))

    tracker = CallTracker(on_ringing=note("ringing"), on_answered=note("answered"), on_ended=note("ended"))
    # Already talking before the service connects: taken up quietly, announced when it ends.
    before = sim.internal_call("201", "101", answer_after=0.05, talk_seconds=60)
    await asyncio.wait_for(before.answered.wait(), 2)
    async with AmiClient(sim.ami_settings(), initial_backoff=0.05, reconnect_max=0.2) as ami:
        ami.add_listener(tracker.handle)
        sync = TrackerSync(ami, tracker)
        sync.start()
        try:
            await wait_until(lambda: len(tracker.calls()) == 2)
            [dispatcher] = tracker.calls_of("101")
            assert (dispatcher.state, dispatcher.direction, dispatcher.peer_number) == ("talking", "in", "201")
            [executor] = tracker.calls_of("201")
            assert (executor.state, executor.direction, executor.peer_number) == ("talking", "out", "101")
            assert seen == []

            # AMI goes silent; meanwhile that call ends and another one starts ringing 102.
            sim.mute_ami(True)
            await wait_until(lambda: not ami.state.status.connected, timeout=4)
            assert tracker.calls() == []
            assert sim.hangup(before.caller.id)
            await asyncio.wait_for(before.finished.wait(), 2)
            during = sim.internal_call("201", "102", answer_after=60)
            sim.mute_ami(False)
            await wait_until(lambda: ("ringing", "102", "201") in seen, timeout=4)
            assert tracker.calls_of("101") == []
            assert [c.state for c in tracker.calls_of("102")] == ["ringing"]

            # Adopted calls go on with the events: the hang-up is announced.
            assert sim.hangup(during.caller.id)
            await wait_until(lambda: ("ended", "102", "201") in seen)
            assert tracker.calls() == []
        finally:
            sync.stop()


async def test_a_stop_is_not_lost_when_an_answer_arrives_at_the_same_moment() -> None:
    """Python 3.11's asyncio.wait_for returns the result and drops a cancellation that lands as
    the answer arrives: the session task then pinged on and AmiClient.stop() waited forever
    (seen about once in 20 stops against the stand-in)."""
    answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    class Session:  # what _send uses of panoramisk's Manager
        def send_action(self, action: dict[str, str], as_list: bool | None = None) -> asyncio.Future[str]:
            return answer

    sending = asyncio.create_task(AmiClient._send(Session(), {"Action": "Ping"}, 5.0))  # type: ignore[arg-type]
    await asyncio.sleep(0)  # the action is out, its answer awaited
    answer.set_result("Pong")
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
