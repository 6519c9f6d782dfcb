"""Which extension is ringing from / talking to which number, built from AMI events only.

Calls outside Stasis (an executor on ext 201 dialing dispatcher 101) never reach ARI; this
tracker sees them through Newchannel, Newstate, NewCallerid/NewConnectedLine, DialBegin/DialEnd,
BridgeEnter/BridgeLeave and Hangup. Channel names map to extensions: ``PJSIP/101-00000001`` and
``SIP/101-...`` are ext 101, and so is the dialplan half (``;2``) of ``Local/101@dispatchers-...``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import structlog

from ivr.ami.client import AmiClient
from ivr.ami.events import AmiEvent
from ivr.link_state import LinkStatus

log = structlog.get_logger(__name__)

_UNKNOWN = {"", "<unknown>"}
_DEVICE = re.compile(r"^(?:PJSIP|SIP|IAX2)/(?P<ext>[^-/@]+)-[0-9a-f]+$")
_LOCAL = re.compile(r"^Local/(?P<ext>[^@]+)@(?P<ctx>[^-]+)-[0-9a-f]+;2$")
# Ids an event must carry to be tracked (the rest need "Uniqueid"). A dial from Originate has no
# calling channel, so DialBegin/DialEnd may lack "Uniqueid" but never "DestUniqueid".
_REQUIRED: dict[str, tuple[str, ...]] = {
    "DialBegin": ("DestUniqueid",), "DialEnd": ("DestUniqueid",),
    "BridgeEnter": ("BridgeUniqueid", "Uniqueid"), "BridgeLeave": ("BridgeUniqueid", "Uniqueid"),
}


@dataclass(slots=True)
class ExtensionCall:
    extension: str
    channel: str
    uniqueid: str
    direction: str  # "in": the extension is called; "out": it is calling
    state: str = "new"  # new | ringing | dialing | talking
    peer_number: str = ""
    peer_name: str = ""
    started: float = field(default_factory=time.time)
    answered: float | None = None
    notified: set[str] = field(default_factory=set)


CallCallback = Callable[[ExtensionCall], None]


def _known(value: str) -> str:
    return "" if value in _UNKNOWN else value


class CallTracker:
    def __init__(self, *, extension_contexts: Iterable[str] = ("dispatchers", "executors"),
                 on_ringing: CallCallback | None = None, on_answered: CallCallback | None = None,
                 on_ended: CallCallback | None = None) -> None:
        self.extension_contexts = frozenset(extension_contexts)
        self.on_ringing = on_ringing
        self.on_answered = on_answered
        self.on_ended = on_ended
        self._calls: dict[str, ExtensionCall] = {}  # uniqueid -> call of an extension
        self._numbers: dict[str, tuple[str, str]] = {}  # uniqueid -> (caller num, name) of any channel
        self._bridges: dict[str, set[str]] = {}

    def extension_of(self, channel: str) -> tuple[str, str] | None:
        """(extension, kind) for an extension's channel name, else None."""
        m = _DEVICE.match(channel)
        if m:
            return m.group("ext"), "device"
        m = _LOCAL.match(channel)
        if m and m.group("ctx") in self.extension_contexts:
            return m.group("ext"), "local"
        return None

    def calls(self) -> list[ExtensionCall]:
        return list(self._calls.values())

    def calls_of(self, extension: str) -> list[ExtensionCall]:
        return [c for c in self._calls.values() if c.extension == extension]

    def reset(self) -> None:
        """Forget everything (after an AMI reconnect the events in between are lost)."""
        self._calls.clear()
        self._numbers.clear()
        self._bridges.clear()

    def adopt(self, channels: Iterable[Mapping[str, str]]) -> int:
        """Take up the channels the PBX has now (CoreShowChannel entries) that no event told us
        of: after an AMI (re)connect, the calls that began while we were away. A call ringing an
        extension is announced (its card may never have popped); one already answered is taken as
        it stands, quietly, and announced only when it ends. Returns how many calls were adopted."""
        adopted = 0
        for c in channels:
            uid = c.get("Uniqueid", "")
            if not uid or uid in self._calls:
                continue
            self._numbers.setdefault(uid, (_known(c.get("CallerIDNum", "")), _known(c.get("CallerIDName", ""))))
            if c.get("BridgeId"):
                self._bridges.setdefault(c["BridgeId"], set()).add(uid)
            found = self.extension_of(c.get("Channel", ""))
            if found is None:
                continue
            ext, kind = found
            state = c.get("ChannelState", "")
            # The first channel of a call gives the call its Linkedid: that one is the caller.
            calling = kind == "device" and c.get("Linkedid", uid) == uid and state not in ("0", "5")
            call = ExtensionCall(ext, c.get("Channel", ""), uid, "out" if calling else "in")
            connected = _known(c.get("ConnectedLineNum", ""))
            caller = _known(c.get("CallerIDNum", ""))
            if connected and connected != ext:
                call.peer_number, call.peer_name = connected, _known(c.get("ConnectedLineName", ""))
            elif not calling and caller and caller != ext:
                call.peer_number, call.peer_name = caller, _known(c.get("CallerIDName", ""))
            self._calls[uid] = call
            adopted += 1
            if state == "6":
                call.state, call.answered = "talking", time.time()
                call.notified.update({"ringing", "answered"})
            else:
                self._apply_state(call, state)
        if adopted:
            log.info("tracker.adopted_calls", count=adopted)
        return adopted

    # -- event intake --------------------------------------------------------------------

    def handle(self, event: AmiEvent) -> None:
        handler = getattr(self, "_on_" + event.name, None)
        if handler is None:
            return
        # Without its ids an event would file a call under "" (a phantom that keeps an extension busy).
        missing = [key for key in _REQUIRED.get(event.name, ("Uniqueid",)) if not event.get(key)]
        if missing:
            log.warning("ami.event_incomplete", ami_event=event.name, missing=missing)
            return
        handler(event)

    def _on_Newchannel(self, e: AmiEvent) -> None:
        uid = e.get("Uniqueid")
        self._numbers[uid] = (_known(e.get("CallerIDNum")), _known(e.get("CallerIDName")))
        found = self.extension_of(e.get("Channel"))
        if found is None:
            return
        ext, kind = found
        state = e.get("ChannelState")
        direction = "in" if kind == "local" or state == "5" or state == "0" else "out"
        call = ExtensionCall(ext, e.get("Channel"), uid, direction)
        self._calls[uid] = call
        self._update_from_ids(call, e)
        self._apply_state(call, state)

    def _on_Newstate(self, e: AmiEvent) -> None:
        uid = e.get("Uniqueid")
        self._numbers[uid] = (_known(e.get("CallerIDNum")), _known(e.get("CallerIDName")))
        call = self._calls.get(uid)
        if call is not None:
            self._update_from_ids(call, e)
            self._apply_state(call, e.get("ChannelState"))

    def _on_NewCallerid(self, e: AmiEvent) -> None:
        self._on_Newstate(e)

    def _on_NewConnectedLine(self, e: AmiEvent) -> None:
        self._on_Newstate(e)

    def _on_DialBegin(self, e: AmiEvent) -> None:
        dest = self._calls.get(e.get("DestUniqueid"))
        caller_uid = e.get("Uniqueid")
        if dest is not None:
            dest.direction = "in"
            number = _known(e.get("CallerIDNum")) if caller_uid else ""
            name = _known(e.get("CallerIDName")) if caller_uid else ""
            if not number:
                number, name = _known(e.get("DestConnectedLineNum")), _known(e.get("DestConnectedLineName"))
            if number:
                dest.peer_number, dest.peer_name = number, name
            if dest.state == "new":
                dest.state = "ringing"
            self._maybe_ringing(dest)
        src = self._calls.get(caller_uid) if caller_uid else None
        if src is not None:
            src.direction = "out"
            dialed = e.get("DialString").split("/")[-1].split("@")[0]
            src.peer_number = dialed or _known(e.get("DestCallerIDNum"))
            if src.state in ("new", "ringing"):
                src.state = "dialing"

    def _on_DialEnd(self, e: AmiEvent) -> None:
        if e.get("DialStatus") == "ANSWER":
            for uid in (e.get("DestUniqueid"), e.get("Uniqueid")):
                call = self._calls.get(uid)
                if call is not None:
                    self._answered(call)

    def _on_BridgeEnter(self, e: AmiEvent) -> None:
        members = self._bridges.setdefault(e.get("BridgeUniqueid"), set())
        uid = e.get("Uniqueid")
        members.add(uid)
        for a in members:
            for b in members - {a}:
                call = self._calls.get(a)
                if call is not None and not call.peer_number:
                    other = self._calls.get(b)
                    call.peer_number = other.extension if other else self._numbers.get(b, ("", ""))[0]

    def _on_BridgeLeave(self, e: AmiEvent) -> None:
        members = self._bridges.get(e.get("BridgeUniqueid"))
        if members is not None:
            members.discard(e.get("Uniqueid"))
            if not members:
                del self._bridges[e.get("BridgeUniqueid")]

    def _on_Hangup(self, e: AmiEvent) -> None:
        uid = e.get("Uniqueid")
        self._numbers.pop(uid, None)
        call = self._calls.pop(uid, None)
        if call is not None:
            call.state = "ended"
            self._notify("ended", call, self.on_ended)

    # -- helpers -------------------------------------------------------------------------

    def _update_from_ids(self, call: ExtensionCall, e: AmiEvent) -> None:
        if call.direction != "in":
            return
        number, name = _known(e.get("CallerIDNum")), _known(e.get("CallerIDName"))
        if number == call.extension or not number:
            number, name = _known(e.get("ConnectedLineNum")), _known(e.get("ConnectedLineName"))
        if number and number != call.extension:
            call.peer_number, call.peer_name = number, name or call.peer_name
            self._maybe_ringing(call)

    def _apply_state(self, call: ExtensionCall, state: str) -> None:
        if state in ("4", "5") and call.state == "new":
            call.state = "ringing" if call.direction == "in" else "dialing"
            self._maybe_ringing(call)
        elif state == "6":
            self._answered(call)

    def _maybe_ringing(self, call: ExtensionCall) -> None:
        if call.direction == "in" and call.state == "ringing" and call.peer_number:
            self._notify("ringing", call, self.on_ringing)

    def _answered(self, call: ExtensionCall) -> None:
        if call.state != "talking":
            call.state = "talking"
            call.answered = time.time()
        self._notify("answered", call, self.on_answered)

    def _notify(self, what: str, call: ExtensionCall, callback: CallCallback | None) -> None:
        if what in call.notified:
            return
        call.notified.add(what)
        log.info("extension_call." + what, extension=call.extension, peer=call.peer_number, channel=call.channel)
        if callback is not None:
            try:
                callback(call)
            except Exception:
                log.exception("tracker.callback_failed", what=what)


class TrackerSync:
    """Keeps a tracker true across AMI sessions: it forgets when the session drops (the events
    of the gap are lost) and adopts the PBX's channels (CoreShowChannels) when it is back."""

    def __init__(self, ami: AmiClient, tracker: CallTracker) -> None:
        self.ami, self.tracker = ami, tracker
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.ami.state.add_listener(self._changed)

    def stop(self) -> None:
        self.ami.state.remove_listener(self._changed)
        if self._task is not None:
            self._task.cancel()

    def _changed(self, status: LinkStatus) -> None:
        if not status.connected:
            self.tracker.reset()
        elif self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._adopt(), name="ami-tracker-adopt")

    async def _adopt(self) -> None:
        try:
            self.tracker.adopt(await self.ami.core_show_channels())
        except Exception as exc:  # the next reconnect tries again; events keep the tracker going
            log.warning("tracker.adopt_failed", error=f"{type(exc).__name__}: {exc}")
