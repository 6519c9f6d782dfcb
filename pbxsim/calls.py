"""Scripted residents calling the hotline, and legs the app originates to extensions.

A resident's call is a Local channel pair like the captured ones: ``Local/112@hotline-in-N;1``
never enters Stasis, the ``;2`` half runs the dialplan (language ru) into ``Stasis(hotline)``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pbxsim.ari_http import AriFail
from pbxsim.media import Speech
from pbxsim.model import CAUSE_TXT, SimChannel

if TYPE_CHECKING:
    from pbxsim.config import Extension
    from pbxsim.pbx import Pbx

PRES = {"caller_presentation": 0, "caller_presentation_txt": "Presentation Allowed, Not Screened"}
_CID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<num>[^>]*)>\s*$')


def parse_caller_id(text: str) -> tuple[str, str]:
    m = _CID.match(text or "")
    return (m.group("name").strip(), m.group("num").strip()) if m else ("", (text or "").strip())


@dataclass(frozen=True)
class KeyPress:
    at: float  # seconds after the call entered Stasis
    digit: str


@dataclass
class CallScript:
    """What a simulated resident does. Times are simulated seconds from StasisStart."""

    caller_number: str
    caller_name: str = ""
    keys: Sequence[KeyPress] = ()
    # Spoken into the first recording made on the call; a sequence gives one utterance per
    # recording in order (a spoken menu choice, then the problem), None for a silent one.
    say: Path | Speech | Sequence[Path | Speech | None] | None = None
    hangup_after: float | None = None
    # Another number than the hotline, e.g. the executors' service line: "113@executors" with
    # Stasis application arguments ("executor",).
    exten: str | None = None
    context: str | None = None
    args: Sequence[str] = ()

    @classmethod
    def simple(cls, number: str, keys: str = "", *, first_key_at: float = 2.2, key_gap: float = 1.0,
               **kwargs: object) -> CallScript:
        presses = [KeyPress(first_key_at + i * key_gap, d) for i, d in enumerate(keys)]
        return cls(number, keys=presses, **kwargs)  # type: ignore[arg-type]


@dataclass
class CallHandle:
    channel: SimChannel
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def id(self) -> str:
        return self.channel.id


def place_call(pbx: Pbx, script: CallScript) -> CallHandle:
    cfg = pbx.config
    suffix = pbx.ids.suffix()
    exten, context = script.exten or cfg.hotline_exten, script.context or cfg.hotline_context
    base = f"Local/{exten}@{context}-{suffix}"
    one = pbx.new_channel(base + ";1", "Down", context=context, exten=exten,
                          app_name="AppDial2", app_data="(Outgoing Line)")
    one.linkedid = one.id
    two = pbx.new_channel(base + ";2", "Ring", context=context, exten=exten, linkedid=one.id)
    one.peer, two.peer = two, one
    hub = pbx.hub
    hub.ami_channel("Newchannel", one)
    hub.ami_channel("Newchannel", two)
    hub.ami_channel("Newexten", one, "dialplan,all", Extension=cfg.hotline_exten, Application="AppDial2",
                    AppData="(Outgoing Line)")
    for ch in (one, two):
        ch.caller_name, ch.caller_number = script.caller_name, script.caller_number
        hub.ami_channel("NewCallerid", ch, **{"CID-CallingPres": "0 (Presentation Allowed, Not Screened)"})
        ch.connected_name, ch.connected_number = script.caller_name, script.caller_number
        hub.ami_channel("NewConnectedLine", ch)
    local = {f"LocalOne{k}": v for k, v in one.ami_fields().items()}
    local.update({f"LocalTwo{k}": v for k, v in two.ami_fields().items()})
    hub.ami("LocalBridge", **local, Context=context, Exten=exten, LocalOptimization="Yes")
    hub.ami("DialBegin", **one.ami_fields("Dest"), DialString=f"{exten}@{context}")
    stasis_data = ",".join([cfg.app, *script.args])
    steps = [("NoOp", "Resident call to hotline"), ("Set", "CHANNEL(language)=ru"), ("Stasis", stasis_data)]
    for priority, (app, data) in enumerate(steps, start=1):
        two.priority, two.app_name, two.app_data = priority, app, data
        if app == "Stasis":
            two.language = "ru"
        hub.ami_channel("Newexten", two, "dialplan,all", Extension=exten, Application=app, AppData=data)
    handle = CallHandle(two)
    # One utterance per recording, in order (None: silence in that recording).
    said = list(script.say) if isinstance(script.say, (list, tuple)) else [script.say]
    two.pending_speech = [Speech.from_wav(s) if isinstance(s, Path) else s for s in said]
    if not hub.app_connected(cfg.app):
        # Stasis() fails when no application is registered: the dialplan hangs the call up.
        pbx.caller_hangup(two)
        handle.done.set()
        return handle
    pbx.enter_stasis(two, cfg.app, list(script.args))
    two.script = pbx.spawn(_run_script(pbx, two, script, handle), name=f"caller-{two.id}")
    return handle


async def _run_script(pbx: Pbx, channel: SimChannel, script: CallScript, handle: CallHandle) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    timeline: list[tuple[float, str]] = [(k.at, k.digit) for k in script.keys]
    if script.hangup_after is not None:
        timeline.append((script.hangup_after, "hangup"))
    try:
        for at, what in sorted(timeline, key=lambda item: item[0]):
            await asyncio.sleep(max(0.0, start + pbx.scaled(at) - loop.time()))
            if not channel.alive:
                return
            if what == "hangup":
                pbx.caller_hangup(channel)
                return
            pbx.press(channel, what)
        while channel.alive:  # stay on the line until someone hangs up (no event for it)  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    finally:
        handle.done.set()


# -- legs the app originates (POST /channels) -------------------------------------------

_LOCAL = re.compile(r"^Local/(?P<ext>[^@/]+)@(?P<ctx>[^/]+)$")
_DEVICE = re.compile(r"^(?:PJSIP|SIP)/(?P<ext>[^@/]+)$")


def originate_leg(pbx: Pbx, endpoint: str, *, app: str, app_args: str, caller_id: str, timeout: int,
                  channel_id: str | None, other_id: str | None, variables: dict[str, str]) -> SimChannel | None:
    local, device = _LOCAL.match(endpoint), _DEVICE.match(endpoint)
    if local is None and device is None:
        return None
    ext_number = (local or device).group("ext")  # type: ignore[union-attr]
    ext = pbx.config.extensions.get(ext_number)
    if device is not None and (ext is None or not ext.registered):
        # What Asterisk 20 answers for a PJSIP endpoint with no contact (tests/fixtures/asterisk/traces/
        # dispatcher-pjsip-unregistered.jsonl): no channel is made at all.
        raise AriFail(500, "Allocation failed", field="error")
    ctx = local.group("ctx") if local else (ext.context if ext else "default")
    name, number = parse_caller_id(caller_id)
    common: dict[str, Any] = dict(caller_name=name, caller_number=number, connected_name=name, connected_number=number,
                  context=ctx, exten=ext_number)
    if local:
        base = f"Local/{ext_number}@{ctx}-{pbx.ids.suffix()}"
        one = pbx.new_channel(base + ";1", "Down", channel_id=channel_id, app_name="AppDial2",
                              app_data="(Outgoing Line)", **common)
        two: SimChannel | None = pbx.new_channel(base + ";2", "Ring", channel_id=other_id, **common)
        one.peer, two.peer = two, one  # type: ignore[union-attr]
    else:
        one = pbx.new_channel(f"PJSIP/{ext_number}-{pbx.ids.suffix()}", "Down", channel_id=channel_id,
                              app_name="AppDial2", app_data="(Outgoing Line)", **common)
        two = None
    one.linkedid = one.id
    one.variables.update(variables)
    one.originated_by = app
    for ch in (one, two):
        if ch is not None:
            ch.linkedid = one.id
            ch.apps.add(app)
            pbx.hub.ami_channel("Newchannel", ch)
    pbx.hub.ami_channel("Newexten", one, "dialplan,all", Extension=ext_number, Application="AppDial2",
                        AppData="(Outgoing Line)")
    args = [a for a in app_args.split(",") if a]
    pbx.spawn(_leg(pbx, one, two, ext, app, args, float(timeout), f"{ext_number}@{ctx}"), name=f"leg-{one.id}")
    return one


async def _leg(pbx: Pbx, one: SimChannel, two: SimChannel | None, ext: Extension | None, app: str,
               args: list[str], timeout: float, dialstring: str) -> None:
    hub = pbx.hub
    await asyncio.sleep(0)  # the REST answer goes out first
    if two is not None:
        hub.ami_channel("NewCallerid", two, **{"CID-CallingPres": "0 (Presentation Allowed, Not Screened)"})
        hub.ami_channel("NewConnectedLine", two)
        hub.channel_event("ChannelCallerId", two, **PRES)
        hub.channel_event("ChannelConnectedLine", two)
    hub.ari("Dial", one.apps, dialstatus="", forward="", dialstring=dialstring, peer=one.to_ari())
    hub.ami("DialBegin", **one.ami_fields("Dest"), DialString=dialstring)
    if ext is None or not ext.registered:
        await pbx.sleep(0.05)
        _fail_leg(pbx, one, two, 1, "CHANUNAVAIL", dialstring)
        return
    if two is None:
        # A phone rings: its state, then Dial RINGING (a PJSIP leg says so; a Local one does not).
        await pbx.sleep(0.01)
        pbx.set_state(one, "Ringing")
        hub.ari("Dial", one.apps, dialstatus="RINGING", forward="", dialstring=dialstring, peer=one.to_ari())
        if ext.busy:
            await pbx.sleep(0.05)
            _busy_leg(pbx, one, dialstring)
            return
    if ext.answer_after is None or ext.answer_after > timeout:
        await pbx.sleep(timeout)
        if two is None:
            # The originate timeout on a phone: the channel goes, with no final Dial status.
            pbx.teardown(one, cause=19, hangup_request=False, destroyed=True)
            return
        _fail_leg(pbx, one, two, 19, "NOANSWER", dialstring)
        return
    await pbx.sleep(ext.answer_after)
    if not one.alive:
        return
    if two is not None:
        two.app_name, two.app_data = "Answer", "1"
        hub.ami_channel("Newexten", two, "dialplan,all", Extension=two.exten, Application="Answer", AppData="1")
        hub.channel_event("ChannelDialplan", two, dialplan_app="Answer", dialplan_app_data="1")
        pbx.set_state(two, "Up")
    pbx.set_state(one, "Up")
    hub.ari("Dial", one.apps, dialstatus="ANSWER", forward="", dialstring=dialstring, peer=one.to_ari())
    hub.ami("DialEnd", **one.ami_fields("Dest"), DialStatus="ANSWER")
    hub.channel_event("ChannelVarset", one, variable="STASISSTATUS", value="")
    pbx.enter_stasis(one, app, args)
    await pbx.sleep(0.5)
    if two is not None and two.alive:
        talk = ext.talk_seconds
        two.priority, two.app_name, two.app_data = 2, "Wait", str(int(talk or 0))
        two.caller_name = one.connected_name or two.caller_name
        hub.ami_channel("Newexten", two, "dialplan,all", Extension=two.exten, Application="Wait",
                        AppData=two.app_data)
        hub.channel_event("ChannelDialplan", two, dialplan_app="Wait", dialplan_app_data=two.app_data)
        hub.channel_event("ChannelCallerId", two, **PRES)
    if ext.talk_seconds is None:
        return
    await pbx.sleep(max(0.0, ext.talk_seconds - 0.5))
    if not one.alive:
        return
    if two is None:
        pbx.teardown(one)
        return
    if not two.alive:
        return
    two.priority, two.app_name, two.app_data = 3, "Hangup", ""
    hub.ami_channel("Newexten", two, "dialplan,all", Extension=two.exten, Application="Hangup")
    hub.channel_event("ChannelDialplan", two, dialplan_app="Hangup", dialplan_app_data="")
    hub.channel_event("ChannelHangupRequest", two, cause=16, soft=True)
    pbx.teardown(one, after_request=_destroyer(pbx, two))


def _destroyer(pbx: Pbx, channel: SimChannel) -> Callable[[], None]:
    def destroy() -> None:
        channel.app_name, channel.app_data = "", ""
        pbx.hub.ami_channel("Hangup", channel, Cause="16", **{"Cause-txt": CAUSE_TXT[16]})
        pbx.hub.channel_event("ChannelDestroyed", channel, cause=16, cause_txt=CAUSE_TXT[16])
        channel.apps.clear()
        pbx.kill(channel)

    return destroy


def _busy_leg(pbx: Pbx, one: SimChannel, dialstring: str) -> None:
    """The phone refused (486): ChannelHangupRequest, Dial BUSY, ChannelDestroyed."""
    if not one.alive:
        return
    pbx.hub.channel_event("ChannelHangupRequest", one, cause=17)
    pbx.hub.ari("Dial", one.apps, dialstatus="BUSY", forward="", dialstring=dialstring, peer=one.to_ari())
    pbx.hub.ami("DialEnd", **one.ami_fields("Dest"), DialStatus="BUSY")
    pbx.teardown(one, cause=17, hangup_request=False, destroyed=True)


def _fail_leg(pbx: Pbx, one: SimChannel, two: SimChannel | None, cause: int, status: str, dialstring: str) -> None:
    if not one.alive:
        return
    pbx.hub.ari("Dial", one.apps, dialstatus=status, forward="", dialstring=dialstring, peer=one.to_ari())
    pbx.hub.ami("DialEnd", **one.ami_fields("Dest"), DialStatus=status)
    if two is not None and two.alive:
        pbx.teardown(two, cause=cause, destroyed=True)
    pbx.teardown(one, cause=cause, hangup_request=False, destroyed=True)
