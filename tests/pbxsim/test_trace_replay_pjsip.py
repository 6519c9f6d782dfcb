"""The stand-in replays the paths captured from a real Asterisk 20.20.1 with SIP phones
(tests/fixtures/asterisk/traces, made by tests/real_asterisk/capture.py): a dispatcher's PJSIP leg
that rings then answers into a recorded bridge, one with no phone registered, one that is
busy, one nobody answers, and the executors' service line. What must match: the leg's events
in order (type, Dial status, channel state), the REST calls' answers, and the error body."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ivr.ari import AriClient, AriService, CallSession, StasisStart
from ivr.ari.errors import AriServerError
from pbxsim import CallScript, Extension, KeyPress, PbxSim

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk" / "traces"
# Events that say what happened to a call, as opposed to bookkeeping (variables, connected line).
SIGNIFICANT = {"StasisStart", "StasisEnd", "Dial", "ChannelStateChange", "ChannelHangupRequest", "ChannelDestroyed",
               "ChannelEnteredBridge", "ChannelLeftBridge", "ChannelDtmfReceived", "PlaybackStarted",
               "PlaybackFinished", "RecordingFinished"}


def load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (FIXTURES / f"{name}.jsonl").read_text().splitlines() if line.strip()]


def _norm(path: str) -> str:
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{uuid}", path)
    path = re.sub(r"\d{9,}\.\d+(-leg)?", "{id}", path)
    return re.sub(r"/(trace-[a-z-]+|[a-z]+-\{id\})", "/{name}", path)


def story(events: list[dict[str, Any]], leg_of: Callable[[dict[str, Any]], bool]) -> list[tuple[str, str]]:
    """The significant events of the leg (the dispatcher's channel, or the call itself)."""
    out = []
    for e in events:
        if e["type"] not in SIGNIFICANT or not leg_of(e):
            continue
        channel = e.get("peer") if e["type"] == "Dial" else e.get("channel")
        detail = e.get("dialstatus", "") if e["type"] == "Dial" else (channel or {}).get("state", "")
        if e["type"] == "RecordingFinished":
            detail = e["recording"]["state"]
        if e["type"] == "ChannelDtmfReceived":
            detail = e["digit"]
        out.append((e["type"], detail))
    return out


def trace_story(name: str, leg_prefix: str) -> tuple[list[tuple[str, str]], list[tuple[str, str, int]]]:
    trace = load(name)
    events = [r["data"] for r in trace if r["kind"] == "ari_event"]
    rest = [(r["data"]["method"], _norm(r["data"]["path"]), r["data"]["status"])
            for r in trace if r["kind"] == "ari_rest"]
    return story(events, lambda e: _names(e).startswith(leg_prefix)), rest


def _names(event: dict[str, Any]) -> str:
    channel = event.get("peer") if event.get("type") == "Dial" else event.get("channel")
    if channel:
        return str(channel.get("name", ""))
    if event.get("type") in ("RecordingFinished", "PlaybackStarted", "PlaybackFinished"):
        return "*"
    return ""


def sim_story(sim: PbxSim, leg_prefix: str) -> tuple[list[tuple[str, str]], list[tuple[str, str, int]]]:
    events = list(sim.core.hub.ari_log)
    rest = [(r.method, _norm(r.path), r.status) for r in sim.core.hub.rest_log if (r.method, r.path) != ("GET", "/channels")]
    return story(events, lambda e: _names(e).startswith(leg_prefix)), rest


async def drive(sim: PbxSim, app: Callable[[CallSession], Awaitable[None]], script: CallScript) -> None:
    async with AriService(sim.ari_settings(), app, initial_backoff=0.05) as ari:
        await ari.state.wait_connected(2)
        call = sim.place_call(script)
        await asyncio.wait_for(call.done.wait(), 20)
        await ari.dispatcher.drain(5)
        assert ari.dispatcher.failures == 0
    await asyncio.sleep(0.1)


async def _leg(call: CallSession, ext: str, timeout: int = 15) -> str:
    leg = f"{call.channel_id}-leg"
    await call.client.originate(f"PJSIP/{ext}", app_args="dispatcher", caller_id="79160000300", timeout=timeout,
                                channel_id=leg)
    return leg


def _claim(call: CallSession, leg: str) -> None:
    call.legs.add(leg)
    if call._claim is not None:
        call._claim(leg, call)


async def test_pjsip_leg_rings_answers_and_is_recorded_in_the_bridge(sim: PbxSim) -> None:
    sim.config.extensions["102"] = Extension("102", answer_after=0.0)

    async def app(call: CallSession) -> None:
        ari, cid = call.client, call.channel_id
        await call.answer()
        _claim(call, f"{cid}-leg")
        leg = await _leg(call, "102")
        await call.wait_for(StasisStart, lambda e: e.channel.id == leg, timeout=5)
        bridge = await ari.create_bridge(type="mixing,proxy_media", name="trace")
        await ari.record_bridge(bridge.id, "trace-conversation")
        await ari.add_channel(bridge.id, cid)
        await ari.add_channel(bridge.id, leg)
        while not call.hung_up:
            try:
                await call.next_event(timeout=10)
            except Exception:
                break
        await ari.stop_recording("trace-conversation")
        await ari.hangup(leg)
        await asyncio.sleep(0.1)
        await ari.destroy_bridge(bridge.id)
        await asyncio.sleep(0.05)
        assert (await ari.download_recording("trace-conversation"))[:4] == b"RIFF"

    await drive(sim, app, CallScript("79160000300", "Resident", hangup_after=3.0))
    expected, expected_rest = trace_story("dispatcher-pjsip-answers", "PJSIP/102")
    ours, ours_rest = sim_story(sim, "PJSIP/102")
    assert ours == expected
    assert [r for r in ours_rest if "record" in r[1] or (r[0] == "POST" and r[1] == "/channels")] == \
        [r for r in expected_rest if "record" in r[1] or (r[0] == "POST" and r[1] == "/channels")]
    recordings = [e for e in sim.core.hub.ari_log if e["type"] == "RecordingFinished"]
    assert [r["recording"]["target_uri"].split(":")[0] for r in recordings] == ["bridge"]


async def test_pjsip_leg_to_an_unregistered_phone_is_refused_as_asterisk_does(sim: PbxSim) -> None:
    sim.config.extensions["101"] = Extension("101", registered=False)
    refused: list[AriServerError] = []

    async def app(call: CallSession) -> None:
        await call.answer()
        with pytest.raises(AriServerError) as exc:
            await _leg(call, "101")
        refused.append(exc.value)
        await call.wait_for(StasisStart, lambda e: False, timeout=10)

    await drive(sim, app, CallScript("79160000300", "Resident", hangup_after=1.0))
    assert [(e.status, e.message) for e in refused] == [(500, "Allocation failed")]
    [originate] = [r for r in load("dispatcher-pjsip-unregistered") if r["kind"] == "ari_rest"
                   and r["data"]["path"] == "/channels"]
    assert (originate["data"]["status"], originate["data"]["body"]) == (500, {"error": "Allocation failed"})
    async with AriClient(sim.ari_settings()) as client:
        raw = await client.session.post(client.base_url + "/channels", params={"endpoint": "PJSIP/101", "app": "hotline"},
                                        headers={"Authorization": client.auth_header})
        assert (raw.status, await raw.json()) == (500, {"error": "Allocation failed"})
        raw.release()


@pytest.mark.parametrize(("name", "ext", "setup", "timeout"), [
    ("dispatcher-pjsip-busy", "102", {"busy": True, "answer_after": None}, 15),
    ("dispatcher-pjsip-noanswer", "103", {"answer_after": None}, 3),
])
async def test_pjsip_leg_that_is_busy_or_not_answered_ends_as_asterisk_ends_it(
        sim: PbxSim, name: str, ext: str, setup: dict[str, Any], timeout: int) -> None:
    sim.config.extensions[ext] = Extension(ext, **setup)
    expected, _ = trace_story(name, f"PJSIP/{ext}")

    async def app(call: CallSession) -> None:
        await call.answer()
        _claim(call, f"{call.channel_id}-leg")
        await _leg(call, ext, timeout=timeout)
        while not call.hung_up:
            try:
                await call.next_event(timeout=10)
            except Exception:
                break

    await drive(sim, app, CallScript("79160000300", "Resident", hangup_after=timeout + 2.0))
    ours, _ = sim_story(sim, f"PJSIP/{ext}")
    assert ours == expected


async def test_executor_line_keys_arrive_as_asterisk_sends_them(sim: PbxSim) -> None:
    expected, _ = trace_story("executor-line", "PJSIP/201")
    assert [e for e in expected if e[0] == "ChannelDtmfReceived"] == [("ChannelDtmfReceived", "5"),
                                                                      ("ChannelDtmfReceived", "#")]
    got: list[str] = []

    async def app(call: CallSession) -> None:
        await call.answer()
        got.append(await call.wait_dtmf(timeout=5))
        got.append(await call.wait_dtmf(timeout=5))
        await call.hangup()

    await drive(sim, app, CallScript("201", "Crew", [KeyPress(1.0, "5"), KeyPress(1.3, "#")], hangup_after=5.0))
    assert got == ["5", "#"]
