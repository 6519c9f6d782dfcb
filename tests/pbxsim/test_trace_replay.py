"""The stand-in replays the three captured calls; events, field shapes and REST codes must match
what the real Asterisk 20.20.1 sent (tests/fixtures/asterisk/traces)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ivr.ari import (
    AriAuthError,
    AriClient,
    AriNotFound,
    AriService,
    CallHungUp,
    CallSession,
    ChannelGone,
    ChannelHangupRequest,
    StasisEnd,
    StasisStart,
)
from pbxsim import CallScript, Extension, KeyPress, PbxSim
from tests.asterisk_fixtures import SPEECH_WAV, load_trace

NESTED = ("channel", "playback", "recording", "bridge", "peer")
VALUES = ("dialstatus", "digit", "variable", "cause", "soft", "dialplan_app")


def _norm_path(path: str) -> str:
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{uuid}", path)
    return re.sub(r"\d{9,}\.\d+", "{id}", path)


def _shape(event: dict[str, Any]) -> tuple[Any, ...]:
    nested = tuple(sorted(event[k].keys()) if isinstance(event.get(k), dict) else None for k in NESTED)
    states = (event.get("channel", {}).get("state"), event.get("playback", {}).get("state"),
              event.get("recording", {}).get("state"))
    return (event["type"], tuple(sorted(event)), nested, states, tuple(event.get(k) for k in VALUES))


def compare_with_trace(sim: PbxSim, trace_name: str) -> None:
    trace = load_trace(trace_name)
    expected_events = [_shape(r["data"]) for r in trace if r["kind"] == "ari_event"]
    actual_events = [_shape(e) for e in sim.core.hub.ari_log]
    assert [e[0] for e in actual_events] == [e[0] for e in expected_events]
    for ours, theirs in zip(actual_events, expected_events, strict=True):
        assert ours == theirs
    expected_rest = [(r["data"]["method"], _norm_path(r["data"]["path"]), r["data"]["status"])
                     for r in trace if r["kind"] == "ari_rest"]
    actual_rest = [(r.method, _norm_path(r.path), r.status) for r in sim.core.hub.rest_log]
    while actual_rest and actual_rest[0] == ("GET", "/channels", 200):
        actual_rest.pop(0)  # our reconcile after connecting; the trace app did not do it
    assert actual_rest == expected_rest
    # Every AMI event we emit has a header set the real server used for that event.
    trace_keys: dict[str, list[set[str]]] = {}
    for r in trace:
        if r["kind"] == "ami_event":
            trace_keys.setdefault(r["data"]["Event"], []).append(set(r["data"]) - {"content", "Value"})
    for event in sim.core.hub.ami_log:
        if event["Event"] in trace_keys:
            assert set(event) - {"Value"} in trace_keys[event["Event"]], event["Event"]


async def run_scenario(sim: PbxSim, handler: Callable[[CallSession], Awaitable[None]],
                       script: CallScript) -> AriService:
    async with AriService(sim.ari_settings(), handler, initial_backoff=0.05) as ari:
        await ari.state.wait_connected(2)
        call = sim.place_call(script)
        await asyncio.wait_for(call.done.wait(), 10)
        await ari.dispatcher.drain(5)
        assert ari.dispatcher.failures == 0
    return ari


async def test_resident_dtmf_record(sim: PbxSim) -> None:
    async def app(call: CallSession) -> None:
        ari, cid = call.client, call.channel_id
        await call.answer()
        await ari.play(cid, "sound:hello-world", lang="ru")
        assert await call.wait_dtmf(timeout=5) == "1"
        await ari.play(cid, "sound:beep")
        name = f"call-{cid}"
        await ari.record(cid, name, format="wav", max_duration=30, max_silence=3, beep=False,
                         if_exists="overwrite", terminate_on="#")
        recording = await call.wait_for_recording(name, timeout=10)
        assert recording.state == "done"
        await call.wait_for(ChannelHangupRequest, timeout=10)
        assert (await ari.get_stored_recording(name))["name"] == name
        wav = await ari.download_recording(name)
        assert wav[:4] == b"RIFF" and len(wav) > 100_000
        with pytest.raises(ChannelGone):
            await ari.play(cid, "digits:1234", lang="ru")

    ari = await run_scenario(sim, app, CallScript("79161234567", "Ivanova", [KeyPress(2.2, "1")],
                                                  SPEECH_WAV, hangup_after=14.0))
    await asyncio.sleep(0.05)  # the StasisEnd reaches the websocket log
    async with AriClient(sim.ari_settings()) as client:
        assert await client.list_channels() == []
        with pytest.raises(ChannelGone):
            await client.answer("no-such-channel")
        with pytest.raises(ChannelGone):
            await client.play("no-such-channel", "sound:beep")
        with pytest.raises(AriNotFound) as missing:
            await client.download_recording("no-such-recording")
        assert missing.value.message == "Recording not found"
    async with AriClient(sim.ari_settings(password="wrong")) as bad:
        with pytest.raises(AriAuthError):
            await bad.asterisk_info()
    assert ari.dispatcher.sessions == {}
    compare_with_trace(sim, "resident-dtmf-record.jsonl")


async def test_resident_hangs_up_in_greeting(sim: PbxSim) -> None:
    async def app(call: CallSession) -> None:
        await call.answer()
        await call.client.play(call.channel_id, "sound:hello-world", lang="ru")
        with pytest.raises(CallHungUp):
            await call.wait_for(StasisEnd, timeout=5)

    await run_scenario(sim, app, CallScript("79031112233", "Petrov", hangup_after=1.0))
    await asyncio.sleep(0.05)
    compare_with_trace(sim, "resident-hangs-up-in-greeting.jsonl")


async def test_resident_presses_0_bridged_to_dispatcher(sim: PbxSim) -> None:
    sim.config.extensions["101"] = Extension("101", answer_after=0.0, talk_seconds=20.5)

    async def app(call: CallSession) -> None:
        ari = call.client
        await call.answer()
        await ari.play(call.channel_id, "sound:hello-world", lang="ru")
        assert await call.wait_dtmf(timeout=5) == "0"
        bridge = await ari.create_bridge(type="mixing", name="dispatch")
        await ari.add_channel(bridge.id, call.channel_id)
        leg = await call.originate_leg("Local/101@dispatchers", app_args="dispatcher",
                                       caller_id=call.channel.caller.number)
        start = await call.wait_for(StasisStart, lambda e: e.channel.id == leg.id, timeout=5)
        assert start.args == ("dispatcher",)
        await ari.add_channel(bridge.id, leg.id)
        while True:  # the resident hangs up first; the dispatcher's leg ends later
            event = await call.next_event(timeout=5)
            if isinstance(event, StasisEnd) and event.channel.id == leg.id:
                break
        await ari.destroy_bridge(bridge.id)

    await run_scenario(sim, app, CallScript("79031112233", "Petrov", [KeyPress(2.2, "0")], hangup_after=10.47))
    compare_with_trace(sim, "resident-presses-0-bridged-to-dispatcher.jsonl")
