"""Calls between phones outside Stasis (AMI events only), and AMI Originate (click-to-call)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pbxsim.model import CAUSE_TXT, SimBridge, SimChannel

if TYPE_CHECKING:
    from pbxsim.pbx import Pbx


@dataclass
class SipCall:
    caller: SimChannel
    callee: SimChannel
    answered: asyncio.Event
    finished: asyncio.Event


def _device(pbx: Pbx, number: str, state: str, *, context: str, exten: str, name: str = "",
            trunk: bool = False) -> SimChannel:
    tech = "PJSIP/trunk" if trunk else f"PJSIP/{number}"
    channel = pbx.new_channel(f"{tech}-{pbx.ids.suffix()}", state, caller_number=number, caller_name=name,
                              context=context, exten=exten)
    channel.linkedid = channel.id
    return channel


def internal_call(pbx: Pbx, from_number: str, to_number: str, *, answer_after: float | None = None,
                  talk_seconds: float | None = None, from_name: str = "") -> SipCall:
    """``from_number`` (an extension or outside number) dials extension ``to_number``: Newchannel,
    DialBegin, Newstate Ringing, then Up, DialEnd ANSWER, BridgeEnter... Hangup."""
    ext_from = pbx.config.extensions.get(from_number)
    ext_to = pbx.config.extensions.get(to_number)
    context = ext_from.context if ext_from else "from-trunk"
    a = _device(pbx, from_number, "Ring", context=context, exten=to_number, name=from_name,
                trunk=ext_from is None)
    a.app_name, a.app_data = "Dial", f"PJSIP/{to_number},30"
    pbx.hub.ami_channel("Newchannel", a)
    pbx.hub.ami_channel("Newexten", a, "dialplan,all", Extension=to_number, Application="Dial", AppData=a.app_data)
    b = _device(pbx, to_number, "Down", context=ext_to.context if ext_to else "default", exten="s")
    b.linkedid = a.id
    b.connected_number, b.connected_name = from_number, from_name
    a.connected_number = to_number
    pbx.hub.ami_channel("Newchannel", b)
    pbx.hub.ami("DialBegin", **a.ami_fields(), **b.ami_fields("Dest"), DialString=to_number)
    b.state = "Ringing"
    pbx.hub.ami_channel("Newstate", b)
    call = SipCall(a, b, asyncio.Event(), asyncio.Event())
    if answer_after is None and ext_to is not None:
        answer_after = ext_to.answer_after
    if talk_seconds is None and ext_to is not None:
        talk_seconds = ext_to.talk_seconds
    pbx.spawn(_run(pbx, call, answer_after, talk_seconds if talk_seconds is not None else 5.0),
              name=f"sip-{a.id}")
    return call


async def _run(pbx: Pbx, call: SipCall, answer_after: float | None, talk: float) -> None:
    a, b = call.caller, call.callee
    try:
        if answer_after is None:
            await pbx.sleep(30)
            pbx.hub.ami("DialEnd", **a.ami_fields(), **b.ami_fields("Dest"), DialStatus="NOANSWER")
            hang_up_pair(pbx, b, a, cause=19)
            return
        await pbx.sleep(answer_after)
        if not (a.alive and b.alive):
            return
        for ch in (b, a):
            ch.state = "Up"
            pbx.hub.ami_channel("Newstate", ch)
        pbx.hub.ami("DialEnd", **a.ami_fields(), **b.ami_fields("Dest"), DialStatus="ANSWER")
        bridge = SimBridge(id=pbx.new_playback_id(), name="", bridge_class="basic", creator="")
        pbx.hub.ami("BridgeCreate", **bridge.ami_fields())
        for ch in (a, b):
            bridge.channels.append(ch.id)
            ch.variables["sip_bridge"] = bridge.id
            pbx.hub.ami("BridgeEnter", **bridge.ami_fields(), **ch.ami_fields())
        call.answered.set()
        await pbx.sleep(talk)
        if a.alive and b.alive:
            for ch in (a, b):
                bridge.channels.remove(ch.id)
                pbx.hub.ami("BridgeLeave", **bridge.ami_fields(), **ch.ami_fields())
            pbx.hub.ami("BridgeDestroy", **bridge.ami_fields())
            hang_up_pair(pbx, a, b)
    finally:
        # One side hung up: Dial hangs up the other side's leg too.
        survivors = [ch for ch in (a, b) if ch.alive]
        if len(survivors) == 1:
            hang_up_pair(pbx, survivors[0], survivors[0])
        call.finished.set()


def hang_up_pair(pbx: Pbx, first: SimChannel, second: SimChannel, cause: int = 16) -> None:
    for ch in (first, second):
        if ch.alive:
            pbx.hub.ami_channel("SoftHangupRequest" if ch is first else "HangupRequest", ch, Cause=str(cause))
            pbx.hub.ami_channel("Hangup", ch, Cause=str(cause), **{"Cause-txt": CAUSE_TXT.get(cause, "Unknown")})
            pbx.kill(ch)


async def ami_originate(pbx: Pbx, channel: str, exten: str, caller_id: str, timeout: float) -> dict[str, str]:
    """Ring the extension in ``channel``; when it answers, connect it to ``exten``.

    Returns the OriginateResponse fields.
    """
    from pbxsim.calls import CallScript, parse_caller_id, place_call

    number = channel.split("/", 1)[-1].split("@")[0].split("-")[0]
    name, cid = parse_caller_id(caller_id)
    if channel.startswith("Local/") and number == pbx.config.hotline_exten:
        handle = place_call(pbx, CallScript(cid or "unknown", name))
        return {"Response": "Success", "Channel": handle.channel.peer.name if handle.channel.peer else "",
                "Reason": "4", "Uniqueid": handle.channel.peer.id if handle.channel.peer else ""}
    ext = pbx.config.extensions.get(number)
    if ext is None:
        return {"Response": "Failure", "Channel": channel, "Reason": "0", "Uniqueid": "<null>"}
    # First leg: the extension's own phone rings showing the number it will call.
    leg = internal_call(pbx, exten or "s", number, answer_after=ext.answer_after, talk_seconds=3600,
                        from_name=name)
    try:
        async with asyncio.timeout(pbx.scaled(timeout)):
            await leg.answered.wait()
    except TimeoutError:
        if leg.callee.alive:
            hang_up_pair(pbx, leg.callee, leg.caller, cause=19)
        return {"Response": "Failure", "Channel": leg.callee.name, "Reason": "3", "Uniqueid": leg.callee.id}
    if ext.talk_seconds is not None:
        pbx.spawn(_end_after(pbx, leg, ext.talk_seconds))
    return {"Response": "Success", "Channel": leg.callee.name, "Reason": "4", "Uniqueid": leg.callee.id}


async def _end_after(pbx: Pbx, leg: SipCall, seconds: float) -> None:
    await pbx.sleep(seconds)
    hang_up_pair(pbx, leg.callee, leg.caller)


def hangup_by_name(pbx: Pbx, name: str) -> bool:
    for ch in list(pbx.channels.values()):
        if ch.name == name and ch.alive:
            if ch.stasis_app:
                pbx.caller_hangup(ch)
            else:
                hang_up_pair(pbx, ch, ch.peer or ch)
            return True
    return False
