"""The example call flow through our ARI client against the stand-in, over loopback sockets."""

from __future__ import annotations

import asyncio
import wave
from collections import Counter

from ivr.ari import AriService, CallSession, example_handler
from ivr.ari.dispatcher import START_BATCH
from pbxsim import CallScript, PbxSim
from tests.asterisk_fixtures import SPEECH_WAV


async def test_example_handler_answers_plays_records_and_hangs_up(sim: PbxSim) -> None:
    async with AriService(sim.ari_settings(), example_handler, initial_backoff=0.05) as ari:
        await ari.state.wait_connected(2)
        call = sim.place_call(CallScript.simple("79161234567", "1", say=SPEECH_WAV))
        await asyncio.wait_for(call.done.wait(), 5)
        await ari.dispatcher.drain(2)
    assert sim.played(call.id) == ["sound:hello-world", "sound:beep"]
    path = sim.recordings_dir / f"call-{call.id}.wav"
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert 8.5 < w.getnframes() / 8000 < 9.5
    assert sim.live_channels() == []
    assert ari.dispatcher.failures == 0


async def test_a_storm_of_calls_starts_in_batches_and_every_call_is_served(sim: PbxSim) -> None:
    """120 residents at once: every flow runs to the end, and no turn of the event loop starts
    more than START_BATCH of them (the reader of the events websocket gets a turn in between)."""
    turn = 0

    async def count_turns() -> None:
        nonlocal turn
        while True:
            turn += 1
            await asyncio.sleep(0)

    started_in_turn: Counter[int] = Counter()

    async def handler(call: CallSession) -> None:
        started_in_turn[turn] += 1
        await example_handler(call)

    ticker = asyncio.create_task(count_turns())
    try:
        async with AriService(sim.ari_settings(), handler, initial_backoff=0.05) as ari:
            await ari.state.wait_connected(2)
            calls = [sim.place_call(CallScript.simple(f"7916{i:07d}", "1")) for i in range(120)]
            await asyncio.wait_for(asyncio.gather(*(c.done.wait() for c in calls)), 30)
            await ari.dispatcher.drain(5)
    finally:
        ticker.cancel()
    assert sum(started_in_turn.values()) == 120
    assert max(started_in_turn.values()) <= START_BATCH, started_in_turn
    assert all(sim.played(c.id) == ["sound:hello-world", "sound:beep"] for c in calls)
    assert ari.dispatcher.failures == 0 and not ari.dispatcher.sessions
    assert sim.live_channels() == []
