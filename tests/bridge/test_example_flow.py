"""The example call flow through our ARI client against the stand-in, over loopback sockets."""

from __future__ import annotations

import asyncio
import wave

from ivr.ari import AriService, example_handler
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
