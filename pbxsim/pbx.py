"""The simulated PBX core: channel lifecycle (create, Stasis, answer, DTMF, hang up) and faults.

Event order follows Asterisk 20 as captured in shared/asterisk/traces: on a caller hang-up
during a recording RecordingFinished comes first, then ChannelHangupRequest, then (for a
playback) PlaybackFinished "failed", leaving the bridge, and StasisEnd.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import structlog

from pbxsim.config import SimConfig
from pbxsim.hub import EventHub
from pbxsim.media import RecordingStore
from pbxsim.model import CAUSE_TXT, IdSource, SimBridge, SimChannel, SimPlayback, SimRecording

log = structlog.get_logger(__name__)


class Pbx:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.hub = EventHub()
        self.hub.keep_logs = config.keep_logs
        self.ids = IdSource()
        self.channels: dict[str, SimChannel] = {}
        self.bridges: dict[str, SimBridge] = {}
        self.playbacks: dict[str, SimPlayback] = {}
        self.recordings_live: dict[str, SimRecording] = {}
        self.store = RecordingStore(config.recordings_dir)
        self.played: dict[str, list[str]] = {}  # channel id -> media the caller heard (even after hang-up)
        self.timings: dict[str, dict[str, float]] = {}  # channel id -> stasis_start / answered (monotonic)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.ended: set[str] = set()
        # fault injection for REST
        self.rest_delay = 0.0
        self.rest_fail_status = 0
        self.rest_fail_count = 0
        self.fail_recordings = False

    # -- plumbing ------------------------------------------------------------------------

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds * self.config.time_scale))

    def scaled(self, seconds: float) -> float:
        return max(0.0, seconds * self.config.time_scale)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]:
        task = asyncio.create_task(self._guard(coro), name=name or None)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    @staticmethod
    async def _guard(coro: Coroutine[Any, Any, Any]) -> Any:
        try:
            return await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("pbxsim.task_failed")
            return None

    def get(self, channel_id: str) -> SimChannel | None:
        channel = self.channels.get(channel_id)
        return channel if channel is not None and channel.alive else None

    def new_channel(self, name: str, state: str, *, channel_id: str | None = None, **fields: Any) -> SimChannel:
        channel = SimChannel(id=channel_id or self.ids.channel_id(), name=name, state=state, **fields)
        self.channels[channel.id] = channel
        self.played.setdefault(channel.id, [])
        return channel

    # -- Stasis --------------------------------------------------------------------------

    def enter_stasis(self, channel: SimChannel, app: str, args: list[str]) -> None:
        from pbxsim.playback import run_ops

        channel.stasis_app = app
        channel.apps.add(app)
        channel.app_name, channel.app_data = "Stasis", ",".join([app, *args])
        self.hub.ami_channel("VarSet", channel, "dialplan,all", Variable="STASISSTATUS")
        self.hub.channel_event("StasisStart", channel, args=list(args))
        self.timings.setdefault(channel.id, {})["stasis_start"] = asyncio.get_running_loop().time()
        channel.worker = self.spawn(run_ops(self, channel), name=f"ops-{channel.id}")

    def set_state(self, channel: SimChannel, state: str) -> None:
        if channel.state == state:
            return
        channel.state = state
        self.hub.ami_channel("Newstate", channel)
        self.hub.channel_event("ChannelStateChange", channel)

    def answer(self, channel: SimChannel) -> None:
        if channel.state == "Up":
            return
        peer = channel.peer
        channel.state = "Up"
        if peer is not None and peer.alive:
            peer.state = "Up"
            self.hub.ami_channel("Newstate", peer)
            self.hub.ami("DialEnd", **peer.ami_fields("Dest"), DialStatus="ANSWER")
        self.hub.ami_channel("Newstate", channel)
        self.hub.channel_event("ChannelStateChange", channel)
        channel.answered_at = asyncio.get_running_loop().time()
        self.timings.setdefault(channel.id, {})["answered"] = channel.answered_at

    def press(self, channel: SimChannel, digit: str) -> None:
        """The caller presses a key: AMI DTMFBegin/End, ARI ChannelDtmfReceived (unless it ends a recording)."""
        self.hub.ami_channel("DTMFBegin", channel, "dtmf,all", Digit=digit, Direction="Received")
        current = channel.current
        consumed = False
        if isinstance(current, SimRecording) and current.state == "recording":
            term = current.terminate_on
            if term == "any" or (term not in ("", "none") and digit in term):
                current.stop_reason = "dtmf"
                current.stop.set()
                consumed = True
        if not consumed:
            self.hub.channel_event("ChannelDtmfReceived", channel, digit=digit, duration_ms=100)
        self.hub.ami_channel("DTMFEnd", channel, "dtmf,all", Digit=digit, DurationMs="100", Direction="Received")

    # -- hang-ups ------------------------------------------------------------------------

    def finish_current(self, channel: SimChannel, *, before_hangup: bool) -> None:
        from pbxsim.playback import finalize_recording

        current = channel.current
        if before_hangup and isinstance(current, SimRecording) and current.state == "recording":
            finalize_recording(self, channel, current, "hangup")
        if not before_hangup and isinstance(current, SimPlayback) and current.state == "playing":
            current.state = "failed"
            self.playbacks.pop(current.id, None)
            self.hub.ari("PlaybackFinished", channel.apps, playback=current.to_ari())

    def leave_bridge(self, channel: SimChannel) -> None:
        bridge = self.bridges.get(channel.bridge_id or "")
        channel.bridge_id = None
        if bridge is None or channel.id not in bridge.channels:
            return
        bridge.channels.remove(channel.id)
        channel.variables["BRIDGEPEER"] = ""
        self.hub.ami_channel("VarSet", channel, "dialplan,all", Variable="BRIDGEPEER")
        self.hub.ami("BridgeLeave", **bridge.ami_fields(), **channel.ami_fields())
        self.hub.channel_event("ChannelVarset", channel, variable="BRIDGEPEER", value="")
        self.hub.channel_event("ChannelLeftBridge", channel, bridge=bridge.to_ari())

    def teardown(self, channel: SimChannel, *, cause: int = 16, hangup_request: bool = True,
                 soft: bool = False, destroyed: bool = False,
                 after_request: Callable[[], None] | None = None) -> None:
        """Everything that happens on ``channel`` when it hangs up, in Asterisk's order."""
        if not channel.alive:
            return
        self.finish_current(channel, before_hangup=True)
        if hangup_request:
            fields: dict[str, Any] = {"cause": cause}
            if soft:
                fields["soft"] = True
            self.hub.channel_event("ChannelHangupRequest", channel, **fields)
        if after_request is not None:
            after_request()
        self.finish_current(channel, before_hangup=False)
        self.leave_bridge(channel)
        if channel.stasis_app:
            self.hub.ami_channel("VarSet", channel, "dialplan,all", Variable="STASISSTATUS", Value="SUCCESS")
            self.hub.channel_event("StasisEnd", channel)
            channel.stasis_app = None
            channel.apps.clear()  # a channel that left Stasis is no longer reported to the app...
            if channel.originated_by:  # ...unless the app made it (its ChannelDestroyed still comes)
                channel.apps.add(channel.originated_by)
        self.hub.ami_channel("SoftHangupRequest", channel, Cause=str(cause))
        self.hub.ami_channel("Hangup", channel, Cause=str(cause), **{"Cause-txt": CAUSE_TXT.get(cause, "Unknown")})
        if destroyed:
            self.hub.channel_event("ChannelDestroyed", channel, cause=cause, cause_txt=CAUSE_TXT.get(cause, "Unknown"))
        self.kill(channel)

    def kill(self, channel: SimChannel) -> None:
        channel.alive = False
        self.ended.add(channel.id)
        self.channels.pop(channel.id, None)
        for waiter in channel.dtmf_waiters:
            waiter.cancel()
        current = asyncio.current_task()
        for task in (channel.worker, channel.script):
            if isinstance(task, asyncio.Task) and task is not current and not task.done():
                task.cancel()
        if channel.current is not None:
            channel.current.stop.set()

    def caller_hangup(self, channel: SimChannel, cause: int = 16) -> None:
        """The resident hangs up: the Local ;1 half goes first, then the Stasis ;2 half."""
        peer = channel.peer
        if peer is not None and peer.alive:
            self.hub.ami_channel("SoftHangupRequest", peer, Cause=str(cause))
            self.hub.ami_channel("HangupRequest", channel, Cause=str(cause))
            self.hub.ami_channel("Hangup", peer, Cause=str(cause), **{"Cause-txt": CAUSE_TXT[16]})
            self.kill(peer)
        self.teardown(channel, cause=cause)

    def app_hangup(self, channel: SimChannel, cause: int = 16) -> None:
        """DELETE /channels/{id}: the app hangs up one channel; a Local partner follows. A phone's
        channel says ChannelHangupRequest first (tests/fixtures/asterisk/traces/executor-line.jsonl,
        dispatcher-pjsip-answers.jsonl); a Local half goes without one."""
        self.teardown(channel, cause=cause, hangup_request=channel.peer is None, destroyed=True)
        peer = channel.peer
        if peer is not None and peer.alive:
            self.teardown(peer, cause=cause, destroyed=bool(peer.apps))

    # -- faults --------------------------------------------------------------------------

    def restart(self) -> None:
        """Asterisk restarts: every channel and bridge is gone without a single event."""
        for channel in list(self.channels.values()):
            channel.apps.clear()
            self.kill(channel)
        self.bridges.clear()
        self.playbacks.clear()
        self.recordings_live.clear()
        self.hub.drop_websockets()

    def new_playback_id(self) -> str:
        return str(uuid.uuid4())
