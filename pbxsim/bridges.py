"""Bridge operations of the stand-in (mixing bridges created by the app)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbxsim.model import SimBridge, SimChannel

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


def destroy(pbx: Pbx, bridge: SimBridge) -> None:
    for cid in list(bridge.channels):
        channel = pbx.channels.get(cid)
        if channel is not None:
            pbx.leave_bridge(channel)
    bridge.channels.clear()
    pbx.bridges.pop(bridge.id, None)
    pbx.hub.ami("BridgeDestroy", **bridge.ami_fields())
