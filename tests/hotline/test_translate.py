"""The translation unit on what a real Asterisk 20 sent (tests/fixtures/asterisk/traces):
the flow hears each key, prompt end, recording end and hang-up once, in order; dispatcher legs
are told apart from the caller."""

from __future__ import annotations

from typing import Any, cast

from ivr.ari.client import AriClient
from ivr.ari.events import Channel, RecordingFailed, RecordingFinished, parse_event
from ivr.ari.session import CallHungUp, CallSession
from ivr.flow import Dtmf, HungUp, PlaybackDone, RecordingDone, RecordingEnd
from ivr.flow.events import Event as FlowEvent
from ivr.hotline.translate import EventTranslator
from tests.asterisk_fixtures import load_trace


class Legs:
    def __init__(self, *legs: str) -> None:
        self.legs = set(legs)
        self.told: list[tuple[str, str]] = []

    def is_leg(self, channel_id: str) -> bool:
        return channel_id in self.legs

    def leg_event(self, leg_id: str, what: str) -> None:
        self.told.append((leg_id, what))


def _events(trace: str) -> list[dict[str, Any]]:
    return [r["data"] for r in load_trace(trace) if r["kind"] == "ari_event"]


async def _translate(trace: str, legs: Legs, *, our_playbacks: bool = True,
                     recording: str | None = None) -> tuple[list[FlowEvent], list[str]]:
    """Feed the caller's session the trace and translate as the call's pump does."""
    raw = _events(trace)
    caller = Channel.from_json(raw[0]["channel"])
    session = CallSession(cast(AriClient, None), caller)
    playback_ids: dict[str, str] = {}
    for data in raw[1:]:
        if our_playbacks and "playback" in data:
            # The capture tool let Asterisk name the prompts; the service names them "<call>:<id>".
            pid = playback_ids.setdefault(data["playback"]["id"], f"p{len(playback_ids) + 1}")
            data = {**data, "playback": {**data["playback"], "id": f"{caller.id}:{pid}"}}
        event = parse_event(data)
        if event is not None:
            session.deliver(event)
    choices: list[str] = []

    def on_choice(event: RecordingFinished | RecordingFailed) -> None:
        choices.append(event.recording.name)

    translator = EventTranslator(session, legs, on_choice)
    for pid in playback_ids.values():
        translator.playback_started(pid)
    if recording is not None:
        translator.recording_started(recording, 120)
    out: list[FlowEvent] = []
    try:
        while True:
            out += await translator.translate(await session.next_event(timeout=0.5))
    except CallHungUp:
        out += translator.hangup_once()
    except TimeoutError:
        pass
    return out, choices


async def test_a_resident_keys_speaks_and_hangs_up_during_the_recording() -> None:
    legs = Legs()
    events, _ = await _translate("resident-dtmf-record.jsonl", legs, recording="call-1795433765.3")
    assert events == [
        PlaybackDone("p1"),
        Dtmf("1"),
        PlaybackDone("p2"),
        # Asterisk sent the hang-up 6 ms after RecordingFinished: the look-ahead saw it, so the
        # ticket is registered with the recording instead of a missed call.
        RecordingDone("call-1795433765.3", 8.0, RecordingEnd.HANGUP, 5.0),
        HungUp(),
    ]
    assert legs.told == []


async def test_prompts_of_another_owner_are_not_the_flows() -> None:
    events, _ = await _translate("resident-dtmf-record.jsonl", Legs(), our_playbacks=False)
    assert not any(isinstance(e, PlaybackDone) for e in events)
    assert Dtmf("1") in events


async def test_a_busy_dispatcher_ends_the_leg_and_ringing_is_not_an_end() -> None:
    legs = Legs("1796032638.0-leg")
    events, _ = await _translate("dispatcher-pjsip-busy.jsonl", legs)
    # Dial "" and RINGING came first and told nothing; BUSY, the hang-up request and the
    # destruction each say the leg ended (the ringing unit takes the first).
    assert legs.told == [("1796032638.0-leg", "ended")] * 3
    assert events == [HungUp()]  # the caller's hang-up request and StasisEnd: once


async def test_an_answering_dispatcher_is_told_before_the_leg_ends() -> None:
    legs = Legs("1796032629.0-leg")
    events, _ = await _translate("dispatcher-pjsip-answers.jsonl", legs, recording="call-1")
    assert legs.told[0] == ("1796032629.0-leg", "answered")
    assert set(legs.told[1:]) == {("1796032629.0-leg", "ended")}
    # The conversation's recording ending is not the flow's recording ending.
    assert events == [HungUp()]


async def test_a_key_hash_marks_the_recording_as_ended_by_the_caller() -> None:
    raw = _events("resident-dtmf-record.jsonl")
    caller = Channel.from_json(raw[0]["channel"])
    session = CallSession(cast(AriClient, None), caller)
    translator = EventTranslator(session, Legs(), lambda e: None)
    translator.recording_started("call-x", 120)
    dtmf = next(d for d in raw if d["type"] == "ChannelDtmfReceived")
    finished = next(d for d in raw if d["type"] == "RecordingFinished")
    key = parse_event({**dtmf, "digit": "#"})
    done = parse_event({**finished, "recording": {**finished["recording"], "name": "call-x"}})
    assert key is not None and done is not None
    assert await translator.translate(key) == [Dtmf("#")]
    assert await translator.translate(done) == [RecordingDone("call-x", 8.0, RecordingEnd.TERMINATED, 5.0)]
    assert translator.recording is None


async def test_a_spoken_choice_recording_goes_to_the_listener() -> None:
    raw = _events("resident-dtmf-record.jsonl")
    caller = Channel.from_json(raw[0]["channel"])
    heard: list[str] = []
    translator = EventTranslator(CallSession(cast(AriClient, None), caller), Legs(),
                                 lambda e: heard.append(e.recording.name))
    finished = next(d for d in raw if d["type"] == "RecordingFinished")
    event = parse_event({**finished, "recording": {**finished["recording"], "name": "choice-x-1"}})
    assert event is not None
    assert await translator.translate(event) == []
    assert heard == ["choice-x-1"]
