"""What Asterisk says about one call, told to the flow as flow events.

ARI reports everything of the call's channel and of the dispatcher legs it rings on one event
stream. This unit keeps what the translation needs to remember (the prompts playing, the
recording running, whether the caller already hung up) and nothing else: dispatcher legs are
handed to the ringing unit (``Legs``), spoken-choice recordings to the listening unit.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from typing import Protocol

import structlog

from ..ari.errors import AriError, AriNotFound, ChannelGone
from ..ari.events import (
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    Dial,
    Event,
    PlaybackFinished,
    RecordingFailed,
    RecordingFinished,
    StasisEnd,
    StasisStart,
)
from ..ari.session import CallHungUp, CallSession
from ..flow import Dtmf, Error, HungUp, PlaybackDone, RecordingDone, RecordingEnd
from ..flow.events import Event as FlowEvent

log = structlog.get_logger(__name__)

# After RecordingFinished, how long to look for the hang-up that Asterisk sends right after it
# when the caller hung up during the recording (6 ms apart in the recorded trace).
HANGUP_LOOKAHEAD_SECONDS = 0.3
# The Dial statuses that end a dispatcher's leg without an answer. A PJSIP leg reports RINGING,
# PROGRESS and PROCEEDING (and an empty status at the start) on its way to ANSWER: those are
# not an end. ANSWER itself is seen as the leg's StasisStart.
LEG_FAILED = frozenset({"BUSY", "NOANSWER", "CANCEL", "CONGESTION", "CHANUNAVAIL", "DONTCALL", "TORTURE",
                        "INVALIDARGS"})
CHOICE_PREFIX = "choice-"

ChoiceRecorded = Callable[[RecordingFinished | RecordingFailed], None]
_HANGUPS = (StasisEnd, ChannelHangupRequest, ChannelDestroyed)


class Legs(Protocol):
    """The dispatcher legs a call is ringing or talking on (the ringing unit)."""

    def is_leg(self, channel_id: str) -> bool: ...

    def leg_event(self, leg_id: str, what: str) -> None:
        """``answered`` (the leg entered our app) or ``ended``."""
        ...


class EventTranslator:
    def __init__(self, call: CallSession, legs: Legs, on_choice: ChoiceRecorded) -> None:
        self.call = call
        self.legs = legs
        self.on_choice = on_choice
        self.hung_up = False
        # What the flow waits to hear about, to look up after an events websocket gap.
        self.playing: set[str] = set()
        # Playbacks stopped to bridge a dispatcher in: their end is not the flow's business.
        self.silenced: set[str] = set()
        self.recording: str | None = None
        self.recording_limit = 0
        self.terminated_by_key = False

    # -- what the call started (told by the command side) ---------------------------------
    def playback_started(self, playback_id: str) -> None:
        self.playing.add(playback_id)

    def silence(self) -> list[str]:
        """Every prompt playing, to be stopped without the flow hearing of it."""
        stopped = list(self.playing)
        self.playing.clear()
        self.silenced.update(stopped)
        return stopped

    def recording_started(self, name: str, max_seconds: int) -> None:
        self.recording, self.recording_limit, self.terminated_by_key = name, max_seconds, False

    # -- events --------------------------------------------------------------------------
    def hangup_once(self) -> list[FlowEvent]:
        """HungUp is told to the flow exactly once, however many ways Asterisk says it."""
        if self.hung_up:
            return []
        self.hung_up = True
        return [HungUp()]

    def is_caller(self, event: Event) -> bool:
        return self.call.channel_id in event.channel_ids()

    async def translate(self, event: Event) -> list[FlowEvent]:
        if isinstance(event, PlaybackFinished):
            return self._playback_finished(event)
        if isinstance(event, ChannelDtmfReceived) and self.is_caller(event):
            if event.digit == "#":
                self.terminated_by_key = True
            return [Dtmf(event.digit)]
        if isinstance(event, (RecordingFinished, RecordingFailed)):
            if event.recording.name.startswith(CHOICE_PREFIX):
                self.on_choice(event)
                return []
            return await self._recording_finished(event)
        if isinstance(event, _HANGUPS):
            if self.is_caller(event):
                return self.hangup_once()
            for leg in event.channel_ids():
                if self.legs.is_leg(leg):
                    self.legs.leg_event(leg, "ended")
            return []
        if isinstance(event, StasisStart) and self.legs.is_leg(event.channel.id):
            self.legs.leg_event(event.channel.id, "answered")
        elif isinstance(event, Dial) and self.legs.is_leg(event.peer.id) and event.dialstatus in LEG_FAILED:
            self.legs.leg_event(event.peer.id, "ended")
        return []

    def _playback_finished(self, event: PlaybackFinished) -> list[FlowEvent]:
        prefix = f"{self.call.channel_id}:"
        if not event.playback.id.startswith(prefix):
            return []
        pid = event.playback.id[len(prefix):]
        self.playing.discard(pid)
        if pid in self.silenced:
            self.silenced.discard(pid)
            return []
        return [PlaybackDone(pid)]

    async def _recording_finished(self, event: RecordingFinished | RecordingFailed) -> list[FlowEvent]:
        rec = event.recording
        if rec.name != self.recording:
            # Not the flow's: the conversation's recording (the ringing unit keeps it), or one
            # already told to the flow after an events websocket gap.
            return []
        self.recording = None
        if isinstance(event, RecordingFailed):
            return [Error(f"recording {rec.name} failed: {rec.cause}")]
        # Why did it stop? ARI does not say. If the caller hung up, Asterisk sends the hang-up
        # within milliseconds after RecordingFinished: look ahead briefly, and keep the order
        # (RecordingDone first) so the flow registers the ticket instead of a missed call.
        after: list[FlowEvent] = []
        reason = RecordingEnd.SILENCE
        try:
            nxt: Event | None = await self.call.next_event(timeout=HANGUP_LOOKAHEAD_SECONDS)
        except TimeoutError:
            nxt = None
        except CallHungUp:
            nxt = None
            reason = RecordingEnd.HANGUP
            after = self.hangup_once()
        if nxt is not None:
            if isinstance(nxt, _HANGUPS) and self.is_caller(nxt):
                reason = RecordingEnd.HANGUP
            after = await self.translate(nxt)
        if reason is not RecordingEnd.HANGUP:
            if self.terminated_by_key:
                reason = RecordingEnd.TERMINATED
            elif self.recording_limit and (rec.duration or 0) >= self.recording_limit:
                reason = RecordingEnd.MAXLENGTH
        talking = float(rec.talking_duration) if rec.talking_duration is not None else None
        return [RecordingDone(rec.name, float(rec.duration or 0), reason, talking), *after]

    async def recover_lost_events(self) -> list[FlowEvent]:
        """After the events websocket came back: a playback or recording that Asterisk no longer
        has finished while we could not hear it. Told to the flow, or it would wait for good."""
        client, cid = self.call.client, self.call.channel_id
        found: list[FlowEvent] = []
        for pid in list(self.playing):
            try:
                await client.request("playback_get", {"playbackId": f"{cid}:{pid}"})
            except (AriNotFound, ChannelGone):
                if pid in self.playing:
                    self.playing.discard(pid)
                    found.append(PlaybackDone(pid))
        name = self.recording
        if name is None:
            return found
        try:
            await client.request("recording_live_get", {"recordingName": name})
            return found
        except (AriNotFound, ChannelGone):
            pass
        if self.recording != name:
            return found
        self.recording = None
        try:
            seconds = wav_seconds(await client.download_recording(name))
        except AriError as exc:
            return [*found, Error(f"recording {name} lost while disconnected: {exc}")]
        log.info("ivr.recording_recovered", recording=name, seconds=seconds)
        return [*found, RecordingDone(name, seconds, RecordingEnd.SILENCE, None)]


def wav_seconds(data: bytes) -> float:
    """A WAV file's length in seconds (wave.Error or EOFError when it is not WAV)."""
    with wave.open(io.BytesIO(data)) as w:
        frames: int = w.getnframes()
        rate: int = w.getframerate() or 8000
    return frames / rate
