"""Bridge operations of the stand-in (mixing bridges created by the app)."""

from __future__ import annotations

import array
import asyncio
from typing import TYPE_CHECKING

from pbxsim.media import SAMPLE_RATE
from pbxsim.model import SimBridge, SimChannel, SimRecording

if TYPE_CHECKING:
    from pbxsim.pbx import Pbx


def create(pbx: Pbx, bridge: SimBridge) -> None:
    pbx.bridges[bridge.id] = bridge
    pbx.hub.ami("BridgeCreate", **bridge.ami_fields())


def add(pbx: Pbx, bridge: SimBridge, channel: SimChannel) -> None:
    if channel.bridge_id == bridge.id:
        return
    if channel.bridge_id:
        pbx.leave_bridge(channel)
    bridge.channels.append(channel.id)
    channel.bridge_id = bridge.id
    pbx.hub.ami("BridgeEnter", **bridge.ami_fields(), **channel.ami_fields())
    pbx.hub.channel_event("ChannelEnteredBridge", channel, bridge=bridge.to_ari())
    others = [pbx.channels[c] for c in bridge.channels if c != channel.id and c in pbx.channels]
    if len(others) != 1:
        return
    # Two parties: Asterisk sets BRIDGEPEER on both and swaps connected line.
    other = others[0]
    for a, b in ((other, channel), (channel, other)):
        a.variables["BRIDGEPEER"] = b.name
        pbx.hub.ami_channel("VarSet", a, "dialplan,all", Variable="BRIDGEPEER", Value=b.name)
    for a, b in ((other, channel), (channel, other)):
        a.connected_name, a.connected_number = b.caller_name, b.caller_number
        pbx.hub.ami_channel("NewConnectedLine", a)
    pbx.hub.channel_event("ChannelVarset", other, variable="BRIDGEPEER", value=channel.name)
    pbx.hub.channel_event("ChannelVarset", channel, variable="BRIDGEPEER", value=other.name)
    pbx.hub.channel_event("ChannelConnectedLine", other)
    pbx.hub.channel_event("ChannelConnectedLine", channel)


def record(pbx: Pbx, bridge: SimBridge, rec: SimRecording) -> None:
    """A bridge recording: everything said in the bridge until it is stopped or the bridge goes
    (tests/fixtures/asterisk/traces/dispatcher-pjsip-answers.jsonl: no RecordingStarted reaches the
    app; RecordingFinished comes at the stop, with whole seconds)."""
    loop = asyncio.get_running_loop()
    rec.state, rec.started = "recording", loop.time()
    pbx.recordings_live[rec.name] = rec

    async def finish() -> None:
        await rec.stop.wait()
        elapsed = max(0.0, (loop.time() - rec.started) / max(pbx.config.time_scale, 1e-9))
        # The stand-in has no audio of the phones' own: the conversation is its length in silence.
        pbx.store.write(rec.name, array.array("h", [0] * int(elapsed * SAMPLE_RATE)))
        rec.state = "done"
        pbx.recordings_live.pop(rec.name, None)
        pbx.hub.ari("RecordingFinished", {pbx.config.app}, recording=rec.to_ari(duration=int(elapsed)))

    pbx.spawn(finish(), name=f"bridge-recording-{rec.name}")


def destroy(pbx: Pbx, bridge: SimBridge) -> None:
    for rec in list(pbx.recordings_live.values()):
        if rec.bridge_id == bridge.id:
            rec.stop.set()
    for cid in list(bridge.channels):
        channel = pbx.channels.get(cid)
        if channel is not None:
            pbx.leave_bridge(channel)
    bridge.channels.clear()
    pbx.bridges.pop(bridge.id, None)
    pbx.hub.ami("BridgeDestroy", **bridge.ami_fields())
