"""Malformed messages from the PBX are logged and survived: the events reader keeps going and
the next call is served as usual."""

from __future__ import annotations

import asyncio

from ivr.ari import AriService, example_handler
from pbxsim import CallScript, PbxSim
from tests.asterisk_fixtures import SPEECH_WAV

GARBAGE = [
    "not json at all",
    "[1, 2, 3]",
    '{"type": "StasisStart"}',  # no channel
    '{"type": "ChannelDtmfReceived", "channel": {"id": 5}, "digit": null}',
    '{"type": "SomethingAsteriskAddsLater", "application": "hotline"}',
    '{"type": "PlaybackFinished", "playback": "oops"}',
]


async def test_garbage_on_the_events_socket_is_survived(sim: PbxSim) -> None:
    async with AriService(sim.ari_settings(), example_handler, initial_backoff=0.05) as ari:
        await ari.state.wait_connected(2)
        for queue in sim.core.hub.ari_queues.get("hotline", ()):
            for text in GARBAGE:
                queue.put_nowait(text)
        call = sim.place_call(CallScript.simple("79161234567", "1", say=SPEECH_WAV))
        await asyncio.wait_for(call.done.wait(), 5)
        await ari.dispatcher.drain(2)
        assert ari.state.status.connected
        assert ari.connection.state.status.connected
    assert sim.played(call.id) == ["sound:hello-world", "sound:beep"]
    assert ari.dispatcher.failures == 0
