"""Runs the hotline's call flow (ivr.flow, a pure state machine) on one ARI call.

The flow decides; this module only executes its commands against ARI and the journal and
feeds back what happened as flow events. Everything that can take time (fetching the
recording, registering the ticket, ringing dispatchers, recognising a spoken choice) runs in a
task of its own that reports through the same event queue, so the call keeps hearing keys and
hang-ups meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from sqlalchemy.exc import OperationalError

from journal import Actor, CallAlreadyMissed, Journal, NewTicket
from journal.clock import utcnow
from journal.enums import CallDirection, CallOutcome, Channel

from ..ari import ChannelGone
from ..ari.errors import AriError, AriNotFound
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
from ..asr.base import Transcriber
from ..flow import (
    AlreadyDecided,
    Answer,
    CallStarted,
    CancelDispatcherCall,
    CancelTimer,
    Command,
    ConnectToDispatcher,
    CountOutageCaller,
    DispatcherAnswered,
    Dtmf,
    Error,
    FlowConfig,
    Hangup,
    HungUp,
    ListenForChoice,
    NoDispatcher,
    Outcome,
    Play,
    PlaybackDone,
    PlayMusicOnHold,
    RecordingDone,
    RecordingEnd,
    RecordMissedCall,
    RegisterTicket,
    ReportOutcome,
    StartRecording,
    StartTimer,
    State,
    StopListening,
    StopMusicOnHold,
    StopPlayback,
    SpokenChoice,
    TicketRegistered,
    Timeout,
    UnderstandRecording,
    parse_choice,
    step,
)
from ..flow.events import Event as FlowEvent
from .desk import CallCard, DispatcherDesk
from .outage import NOTHING_OPEN, OutageLine
from .speech import DEFAULT_CHOICE_PHRASES, phrases_for
from .understanding import understand_recording
from .mapping import deadline_for, deadline_text, journal_category, spoken_number

log = structlog.get_logger(__name__)
T = TypeVar("T")
IVR = Actor.system("ivr")
# After RecordingFinished, how long to look for the hang-up that Asterisk sends right after it
# when the caller hung up during the recording (6 ms apart in the recorded trace).
HANGUP_LOOKAHEAD_SECONDS = 0.3
# The Dial statuses that end a dispatcher's leg without an answer. A PJSIP leg reports RINGING,
# PROGRESS and PROCEEDING (and an empty status at the start) on its way to ANSWER: those are
# not an end. ANSWER itself is seen as the leg's StasisStart.
LEG_FAILED = frozenset({"BUSY", "NOANSWER", "CANCEL", "CONGESTION", "CHANUNAVAIL", "DONTCALL", "TORTURE",
                        "INVALIDARGS"})


@dataclass
class CallContext:
    """Per-call facts the executor keeps beside the flow's own state."""

    call_row_id: int
    caller_number: str
    caller_name: str
    recording_limit: int = 0
    terminated_by_key: bool = False
    dispatcher: str | None = None
    bridge_id: str | None = None
    ticket_id: int | None = None
    ticket_number: str | None = None
    category: str | None = None
    legs: dict[str, str] = field(default_factory=dict)  # leg channel id -> extension
    answered_leg: str | None = None
    dispatcher_left: bool = False
    listening: str | None = None  # name of the recording that listens for a spoken choice
    listen_choices: tuple[str, ...] = ()
    listens: int = 0
    conversation: str | None = None  # name of the live recording of the bridged conversation
    conversation_error: str | None = None


class HotlineCall:
    """The CallHandler plugged into ivr.ari's dispatcher: one instance serves every call."""

    def __init__(
        self,
        journal: Journal,
        desk: DispatcherDesk,
        *,
        config: FlowConfig | None = None,
        on_recording_queued: Callable[[], None] = lambda: None,
        lang: str = "ru",
        dispatcher_endpoint: str = "Local/{ext}@dispatchers",
        ring_each_seconds: int = 15,
        ticket_channel: str | None = None,
        transcriber: Transcriber | None = None,
        choice_phrases: Mapping[str, Sequence[str]] = DEFAULT_CHOICE_PHRASES,
        outages: OutageLine | None = None,
    ) -> None:
        self.journal = journal
        self.outages = outages or OutageLine(journal)
        self.desk = desk
        self.config = config or FlowConfig()
        if self.config.speech_enabled and transcriber is None:
            raise ValueError("the flow listens for spoken choices but no recogniser was given")
        if self.config.confirm_understanding and transcriber is None:
            raise ValueError("the flow understands recordings but no recogniser was given")
        self.transcriber = transcriber
        self.choice_phrases = choice_phrases
        self.on_recording_queued = on_recording_queued
        self.lang = lang
        self.dispatcher_endpoint = dispatcher_endpoint
        self.ring_each_seconds = ring_each_seconds
        # The journal channel of every ticket this line registers (None: phone_ivr, or
        # phone_dispatcher once a dispatcher answers); the training line passes "training".
        self.ticket_channel = ticket_channel

    async def __call__(self, call: CallSession) -> None:
        await _Run(self, call).run()


class _Run:
    """One call's execution of the flow."""

    def __init__(self, owner: HotlineCall, call: CallSession) -> None:
        self.o = owner
        self.call = call
        self.client = call.client
        self.inbox: asyncio.Queue[FlowEvent] = asyncio.Queue()
        self.timers: dict[int, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.leg_events: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.hung_up = False
        self.ctx: CallContext
        # What the flow waits to hear about, to look up after an events websocket gap.
        self.playing: set[str] = set()
        # Playbacks we stopped ourselves to bridge a dispatcher in: their end is not the flow's.
        self.silenced: set[str] = set()
        self.recording: str | None = None
        call.on_resync = lambda: self._spawn(self._recover_lost_events(), "resync")

    # -- main loop ---------------------------------------------------------------------
    async def run(self) -> None:
        ch = self.call.channel
        number, name = ch.caller.number, ch.caller.name
        training = self.o.ticket_channel == Channel.TRAINING
        # The consoles hear of the call first: in a burst the call's row waits its turn behind
        # every other write, and the dispatchers should not (bench/real_asterisk_bench.py).
        await self._state("menu")
        row = await self.o.journal.calls.start(
            channel_id=ch.id, caller_number=number, caller_name=name, called_number=ch.dialplan.exten,
            direction=CallDirection.TRAINING if training else CallDirection.INBOUND,
        )
        self.ctx = CallContext(row.id, number, name)
        decided = await self._already_decided(row.outcome)
        state = State()
        pump = asyncio.create_task(self._pump(), name=f"pump-{ch.id}")
        try:
            opening = NOTHING_OPEN if decided else await self.o.outages.opening(number, training=training)
            event: FlowEvent = CallStarted(ch.id, number, name, opening.open_ticket, decided, opening.outage,
                                           opening.offered)
            while True:
                state, commands = step(state, event, self.o.config)
                done = False
                for command in commands:
                    done = await self._execute(command) or done
                if done:
                    return
                event = await self.inbox.get()
        finally:
            pump.cancel()
            for handle in self.timers.values():
                handle.cancel()
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(pump, *self.tasks, return_exceptions=True)
            await self._cleanup_bridge()

    async def _already_decided(self, outcome: str) -> AlreadyDecided | None:
        """The call's row found already decided: the service that ran the call died after making
        its ticket (or missed-call record), and this one took the live channel over."""
        if outcome == CallOutcome.TICKET:
            ticket = await self.o.journal.calls.ticket_of(self.ctx.call_row_id)
            log.info("ivr.adopted_call", outcome=outcome, ticket=ticket.number if ticket else None)
            if ticket is None:
                return AlreadyDecided(True)
            self.ctx.ticket_id, self.ctx.ticket_number = ticket.id, ticket.number
            return AlreadyDecided(True, spoken_number(ticket.number))
        if outcome == CallOutcome.MISSED:
            log.info("ivr.adopted_call", outcome=outcome)
            return AlreadyDecided(False)
        return None

    # -- ARI events -> flow events -----------------------------------------------------
    async def _pump(self) -> None:
        try:
            while True:
                event = await self.call.next_event()
                for flow_event in await self._translate(event):
                    self.inbox.put_nowait(flow_event)
        except CallHungUp:
            for flow_event in self._hangup_once():
                self.inbox.put_nowait(flow_event)

    def _hangup_once(self) -> list[FlowEvent]:
        """HungUp is told to the flow exactly once, however many ways Asterisk says it."""
        if self.hung_up:
            return []
        self.hung_up = True
        return [HungUp()]

    def _is_caller(self, event: Event) -> bool:
        return self.call.channel_id in event.channel_ids()

    async def _translate(self, event: Event) -> list[FlowEvent]:
        if isinstance(event, PlaybackFinished):
            prefix = f"{self.call.channel_id}:"
            if event.playback.id.startswith(prefix):
                pid = event.playback.id[len(prefix):]
                self.playing.discard(pid)
                if pid in self.silenced:
                    self.silenced.discard(pid)
                    return []
                return [PlaybackDone(pid)]
            return []
        if isinstance(event, ChannelDtmfReceived) and self._is_caller(event):
            if event.digit == "#":
                self.ctx.terminated_by_key = True
            return [Dtmf(event.digit)]
        if isinstance(event, (RecordingFinished, RecordingFailed)):
            if event.recording.name.startswith("choice-"):
                self._choice_recorded(event)
                return []
            return await self._recording_finished(event)
        if isinstance(event, (StasisEnd, ChannelHangupRequest, ChannelDestroyed)):
            if self._is_caller(event):
                return self._hangup_once()
            for leg in event.channel_ids():
                if leg in self.ctx.legs:
                    self.leg_events.put_nowait((leg, "ended"))
                if leg == self.ctx.answered_leg and not self.ctx.dispatcher_left:
                    # The dispatcher hung up. Asterisk keeps the resident in Stasis, alone in the
                    # bridge, until we act: end the call, or it hangs there for good.
                    self.ctx.dispatcher_left = True
                    self._spawn(self._hangup_quietly(), "dispatcher-left")
            return []
        if isinstance(event, StasisStart) and event.channel.id in self.ctx.legs:
            self.leg_events.put_nowait((event.channel.id, "answered"))
            return []
        if isinstance(event, Dial) and event.peer.id in self.ctx.legs and event.dialstatus in LEG_FAILED:
            self.leg_events.put_nowait((event.peer.id, "ended"))
        return []

    async def _recording_finished(self, event: RecordingFinished | RecordingFailed) -> list[FlowEvent]:
        rec = event.recording
        if rec.name == self.recording:
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
            after = self._hangup_once()
        if nxt is not None:
            if isinstance(nxt, (ChannelHangupRequest, StasisEnd, ChannelDestroyed)) and self._is_caller(nxt):
                reason = RecordingEnd.HANGUP
            after = await self._translate(nxt)
        if reason is not RecordingEnd.HANGUP:
            if self.ctx.terminated_by_key:
                reason = RecordingEnd.TERMINATED
            elif self.ctx.recording_limit and (rec.duration or 0) >= self.ctx.recording_limit:
                reason = RecordingEnd.MAXLENGTH
        talking = float(rec.talking_duration) if rec.talking_duration is not None else None
        return [RecordingDone(rec.name, float(rec.duration or 0), reason, talking), *after]

    # -- commands ----------------------------------------------------------------------
    async def _execute(self, command: Command) -> bool:
        """Run one command; True when the flow has ended."""
        try:
            return await self._dispatch(command)
        except ChannelGone:
            for flow_event in self._hangup_once():
                self.inbox.put_nowait(flow_event)
        except AriError as exc:
            log.warning("ivr.command_failed", command=type(command).__name__, error=str(exc))
            if not self.hung_up:
                self.inbox.put_nowait(Error(f"{type(command).__name__}: {exc}"))
        return False

    async def _dispatch(self, command: Command) -> bool:
        cid = self.call.channel_id
        match command:
            case Answer():
                await self.call.answer()
            case Play(media=media, playback_id=pid):
                await self.client.play(cid, list(media), lang=self.o.lang, playback_id=f"{cid}:{pid}")
                self.playing.add(pid)
            case StopPlayback(playback_id=pid):
                with contextlib.suppress(AriError):
                    await self.client.stop_playback(f"{cid}:{pid}")
            case StartTimer(seconds=seconds, token=token):
                loop = asyncio.get_running_loop()
                self.timers[token] = loop.call_later(seconds, self.inbox.put_nowait, Timeout(token))
            case CancelTimer(token=token):
                handle = self.timers.pop(token, None)
                if handle is not None:
                    handle.cancel()
            case ListenForChoice(choices=choices, max_seconds=seconds):
                await self._listen(tuple(c.value for c in choices), seconds)
            case StopListening():
                name, self.ctx.listening = self.ctx.listening, None
                if name is not None:
                    with contextlib.suppress(AriError):
                        await self.client.stop_recording(name)
            case StartRecording(name=name, max_seconds=max_s, max_silence_seconds=silence, terminate_on=term):
                self.ctx.recording_limit = max_s
                self.ctx.terminated_by_key = False
                await self._state("recording")
                await self.client.record(cid, name, max_duration=max_s, max_silence=silence, terminate_on=term,
                                         beep=False, if_exists="overwrite")
                self.recording = name
            case UnderstandRecording(name=name) if self.o.transcriber is not None:
                transcriber = self.o.transcriber
                self._spawn(self._answer(understand_recording(self.client.download_recording, transcriber, name)),
                            "understand")
            case RegisterTicket():
                self._spawn(self._register(command), "register")
            case CountOutageCaller():
                self._spawn(self._count(command), "count")
            case RecordMissedCall():
                await self._missed(command)
            case ConnectToDispatcher():
                self._spawn(self._connect(command), "connect")
            case CancelDispatcherCall():
                await self._cancel_legs()
            case PlayMusicOnHold():
                await self.client.moh_start(cid)
            case StopMusicOnHold():
                with contextlib.suppress(AriError):
                    await self.client.moh_stop(cid)
            case Hangup():
                await self.call.hangup()
            case ReportOutcome(outcome=outcome, history=history):
                await self._finish(outcome, history)
                return True
            case _:
                log.warning("ivr.unknown_command", command=repr(command))
        return False

    # -- spoken menu choice ------------------------------------------------------------
    async def _listen(self, choices: tuple[str, ...], seconds: float) -> None:
        """Record a few seconds while the keypad stays live (no terminate key, so keys still
        arrive as events); the words are recognised in grammar mode when the recording ends."""
        self.ctx.listens += 1
        name = f"choice-{self.call.channel_id}-{self.ctx.listens}"
        self.ctx.listening, self.ctx.listen_choices = name, choices
        await self.client.record(self.call.channel_id, name, max_duration=max(1, math.ceil(seconds)),
                                 max_silence=1, terminate_on="none", beep=False, if_exists="overwrite")

    def _choice_recorded(self, event: RecordingFinished | RecordingFailed) -> None:
        if event.recording.name != self.ctx.listening:
            return  # stopped by a key press or the flow moved on: nothing to report
        self.ctx.listening = None
        if isinstance(event, RecordingFailed):
            self.inbox.put_nowait(SpokenChoice(None, 0.0))
            return
        self._spawn(self._recognise(event.recording.name, self.ctx.listen_choices), "choice")

    async def _recognise(self, name: str, choices: tuple[str, ...]) -> None:
        assert self.o.transcriber is not None
        choice, confidence = None, 0.0
        try:
            data = await self.client.download_recording(name)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"{name}.wav"
                await asyncio.to_thread(path.write_bytes, data)
                key, confidence = await self.o.transcriber.recognize_choice(
                    path, phrases_for(choices, self.o.choice_phrases))
            choice = parse_choice(key) if key else None
            with contextlib.suppress(AriError):
                await self.client.delete_stored_recording(name)
        except Exception:
            log.exception("ivr.choice_recognition_failed")
        log.info("ivr.spoken_choice", choice=choice.value if choice else None, confidence=round(confidence, 2))
        self.inbox.put_nowait(SpokenChoice(choice, confidence))

    async def _answer(self, event: Awaitable[FlowEvent]) -> None:
        self.inbox.put_nowait(await event)

    async def _recover_lost_events(self) -> None:
        """After the events websocket came back: a playback or recording that Asterisk no longer
        has finished while we could not hear it. Tell the flow, or it would wait for good."""
        cid = self.call.channel_id
        for pid in list(self.playing):
            try:
                await self.client.request("playback_get", {"playbackId": f"{cid}:{pid}"})
            except (AriNotFound, ChannelGone):
                if pid in self.playing:
                    self.playing.discard(pid)
                    self.inbox.put_nowait(PlaybackDone(pid))
        name = self.recording
        if name is None:
            return
        try:
            await self.client.request("recording_live_get", {"recordingName": name})
            return
        except (AriNotFound, ChannelGone):
            pass
        if self.recording != name:
            return
        self.recording = None
        try:
            data = await self.client.download_recording(name)
            seconds = _wav_seconds(data)
        except AriError as exc:
            self.inbox.put_nowait(Error(f"recording {name} lost while disconnected: {exc}"))
            return
        log.info("ivr.recording_recovered", recording=name, seconds=seconds)
        self.inbox.put_nowait(RecordingDone(name, seconds, RecordingEnd.SILENCE, None))

    async def _hangup_quietly(self) -> None:
        with contextlib.suppress(AriError, CallHungUp):
            await self.call.hangup()

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=f"{name}-{self.call.channel_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _state(self, state: str, **info: object) -> None:
        with contextlib.suppress(Exception):
            await self.o.desk.call_state(self.call.channel_id, state, {
                "caller_number": self.call.channel.caller.number, "caller_name": self.call.channel.caller.name,
                **info,
            })

    # -- the journal -------------------------------------------------------------------
    async def _register(self, cmd: RegisterTicket) -> None:
        try:
            data = await self.client.download_recording(cmd.recording_name)
            recording_ids, note = [], ""
            try:
                # The file's own length: Asterisk's RecordingFinished says whole seconds.
                rec = await _with_db_retry(lambda: self.o.journal.calls.add_recording(
                    call_id=self.ctx.call_row_id, name=cmd.recording_name, data=data,
                    duration_seconds=_wav_seconds_or(data, cmd.recording_seconds),
                ))
                recording_ids = [rec.id]
            except OSError as exc:
                # The recordings disk is full or failing. The resident's problem matters more than
                # the audio: register the ticket and say on it why the recording is missing.
                log.error("ivr.recording_not_stored", error=str(exc))
                note = f"; запись обращения не сохранена ({exc.strerror or exc}), прослушать нельзя"
            new = NewTicket(
                channel=self.o.ticket_channel or "phone_ivr", category=journal_category(cmd.category),
                priority="emergency" if cmd.priority.value == "emergency" else None,
                actor=IVR, caller_phone=cmd.caller_number, caller_name=cmd.caller_name or None,
                call_id=self.ctx.call_row_id, recording_ids=recording_ids, transcript_pending=bool(recording_ids),
                description=_description(cmd) + note,
            )
            reg = await _with_db_retry(lambda: self.o.journal.tickets.register(new))
        except Exception as exc:
            log.exception("ivr.registration_failed")
            self.inbox.put_nowait(Error(f"registration failed: {exc}"))
            return
        ticket = reg.ticket
        self.ctx.ticket_id, self.ctx.ticket_number = ticket.id, ticket.number
        self.o.on_recording_queued()
        structlog.contextvars.bind_contextvars(ticket_id=ticket.id)
        log.info("ivr.ticket_registered", ticket=ticket.number, repeat=not reg.created)
        tz = self.o.journal.config.tz
        self.inbox.put_nowait(TicketRegistered(
            spoken_number(ticket.number), cmd.category, deadline_for(ticket, utcnow(), tz), deadline_text(ticket, tz)
        ))

    async def _count(self, cmd: CountOutageCaller) -> None:
        event, ticket = await self.o.outages.count(cmd, self.ctx.call_row_id, _with_db_retry)
        if ticket is not None:
            self.ctx.ticket_id, self.ctx.ticket_number = ticket.id, ticket.number
        self.inbox.put_nowait(event)

    async def _missed(self, cmd: RecordMissedCall) -> None:
        if cmd.recording_name:
            # Registration failed after the caller spoke: keep what they said for the callback.
            with contextlib.suppress(Exception):
                data = await self.client.download_recording(cmd.recording_name)
                await self.o.journal.calls.add_recording(call_id=self.ctx.call_row_id, name=cmd.recording_name, data=data)
        await self.o.journal.calls.record_missed(
            call_id=self.ctx.call_row_id, caller_number=cmd.caller_number, caller_name=cmd.caller_name or None,
            reason=cmd.reason.value, step=cmd.step,
        )

    async def _finish(self, outcome: Outcome, history: tuple[str, ...]) -> None:
        values: dict[str, object] = {"ended_at": utcnow(), "ivr_path": " > ".join(history)}
        if outcome is Outcome.DISPATCHER_ANSWERED and self.ctx.ticket_id is None:
            values["outcome"] = "answered"
        await self.o.journal.calls.update(self.ctx.call_row_id, **values)
        await self._state("ended", outcome=outcome.value, dispatcher=self.ctx.dispatcher,
                          ticket_number=self.ctx.ticket_number)
        log.info("ivr.call_finished", outcome=outcome.value, path=list(history))

    # -- dispatchers -------------------------------------------------------------------
    def _card(self, cmd: ConnectToDispatcher) -> CallCard:
        return CallCard(
            call_id=self.call.channel_id, caller_number=self.ctx.caller_number, caller_name=self.ctx.caller_name,
            emergency=cmd.emergency, reason=cmd.reason.value, related_ticket=cmd.related_ticket,
            ticket_id=self.ctx.ticket_id, ticket_number=self.ctx.ticket_number,
        )

    async def _connect(self, cmd: ConnectToDispatcher) -> None:
        """Ring free dispatchers one after another until one answers or the ring time is up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + cmd.ring_seconds
        card = self._card(cmd)
        await self._state("waiting", emergency=cmd.emergency)
        if cmd.emergency:
            await self.o.desk.ringing(None, card)
        tried: set[str] = set()
        try:
            while loop.time() < deadline and not self.hung_up:
                free = [e for e in await self.o.desk.free_dispatchers(cmd.emergency) if e not in tried]
                if not free:
                    tried.clear()
                    await asyncio.sleep(min(2.0, max(0.0, deadline - loop.time())))
                    continue
                ext = free[0]
                tried.add(ext)
                ring = int(max(1, min(self.o.ring_each_seconds, deadline - loop.time())))
                if await self._ring(ext, ring, card):
                    return
            self.inbox.put_nowait(NoDispatcher())
        except ChannelGone:
            for flow_event in self._hangup_once():
                self.inbox.put_nowait(flow_event)
        except AriError as exc:
            log.warning("ivr.dispatcher_call_failed", error=str(exc))
            self.inbox.put_nowait(NoDispatcher())

    async def _ring(self, ext: str, seconds: int, card: CallCard) -> bool:
        caller_id = f'"{self.ctx.caller_name}" <{self.ctx.caller_number}>'
        try:
            leg = await self.call.originate_leg(self.o.dispatcher_endpoint.format(ext=ext), app_args="dispatcher",
                                                caller_id=caller_id, timeout=seconds)
        except ChannelGone:
            raise
        except AriError as exc:
            # One phone that cannot be rung (not registered: 500 "Allocation failed") must not
            # end the round: the next free dispatcher is tried for the rest of the ring time.
            log.warning("ivr.dispatcher_unreachable", dispatcher=ext, status=exc.status, error=str(exc))
            return False
        self.ctx.legs[leg.id] = ext
        await self.o.desk.ringing(ext, card)
        while True:
            try:
                leg_id, what = await asyncio.wait_for(self.leg_events.get(), seconds + 5)
            except TimeoutError:
                with contextlib.suppress(AriError):
                    await self.client.hangup(leg.id)
                return False
            if leg_id != leg.id:
                continue
            if what == "ended":
                self.ctx.legs.pop(leg.id, None)
                return False
            await self._bridge(leg.id)
            self.ctx.dispatcher, self.ctx.answered_leg = ext, leg.id
            try:
                card = await self._ticket_for_dispatcher(ext, card)
            except CallAlreadyMissed:
                # The caller hung up as the dispatcher answered: the missed call (with its
                # callback) is the record; the dispatcher's phone is released.
                log.info("ivr.answered_after_hangup", dispatcher=ext)
                await self._cancel_legs()
                return True
            await self.o.desk.answered(ext, card)
            await self._state("talking", dispatcher=ext, ticket_number=card.ticket_number)
            self.inbox.put_nowait(DispatcherAnswered(ext))
            return True

    async def _bridge(self, leg_id: str) -> None:
        cid = self.call.channel_id
        # proxy_media: the audio passes through Asterisk (it is recorded), and the recording is
        # started before anyone joins, so the bridge mixes from the first frame on. Started
        # after the two phones, it switched the bridge from native RTP to mixing mid-call:
        # the RTP sequence a phone receives jumps, and a phone may drop the rest of the call.
        bridge = await self.client.create_bridge(type="mixing,proxy_media", name=f"hotline-{cid}")
        self.ctx.bridge_id = bridge.id
        await self._record_conversation(bridge.id)
        # Asterisk adds a channel to a bridge only once its playback has ended: the "connecting"
        # prompt is cut so the dispatcher who answers at once is heard at once.
        for pid in list(self.playing):
            self.playing.discard(pid)
            self.silenced.add(pid)
            with contextlib.suppress(AriError):
                await self.client.stop_playback(f"{cid}:{pid}")
        with contextlib.suppress(AriError):
            await self.client.moh_stop(cid)
        await self.client.add_channel(bridge.id, cid)
        await self.client.add_channel(bridge.id, leg_id)

    async def _record_conversation(self, bridge_id: str) -> None:
        """The whole conversation, both voices, for QA and the ПП 416 report."""
        name = f"conversation-{self.call.channel_id}"
        try:
            await self.client.record_bridge(bridge_id, name)
        except AriError as exc:
            log.error("ivr.conversation_not_recorded", error=str(exc))
            self.ctx.conversation_error = str(exc)
            return
        self.ctx.conversation = name

    async def _ticket_for_dispatcher(self, ext: str, card: CallCard) -> CallCard:
        """The call is now a conversation with a dispatcher: it becomes a ticket (or joins the
        caller's open one) so the card carries a number the dispatcher completes."""
        if card.ticket_id is not None:
            return card
        user = await self.o.journal.people.user_by_extension(ext)
        actor = Actor(user.full_name, user.id) if user else Actor(f"ext:{ext}")
        reg = await self.o.journal.tickets.register(NewTicket(
            channel=self.o.ticket_channel or "phone_dispatcher", category="other",
            priority="emergency" if card.emergency else None, actor=actor,
            caller_phone=self.ctx.caller_number, caller_name=self.ctx.caller_name or None,
            call_id=self.ctx.call_row_id, description="Звонок принят диспетчером",
        ))
        self.ctx.ticket_id, self.ctx.ticket_number = reg.ticket.id, reg.ticket.number
        await self.o.journal.calls.update(self.ctx.call_row_id, answered_at=utcnow(),
                                          dispatcher_id=user.id if user else None)
        return CallCard(**{**card.__dict__, "ticket_id": reg.ticket.id, "ticket_number": reg.ticket.number})

    async def _cancel_legs(self) -> None:
        for leg in list(self.ctx.legs):
            with contextlib.suppress(AriError):
                await self.client.hangup(leg)
        self.ctx.legs.clear()

    async def _cleanup_bridge(self) -> None:
        ctx: CallContext | None = getattr(self, "ctx", None)
        if ctx is not None and ctx.conversation:
            with contextlib.suppress(AriError):
                await self.client.stop_recording(ctx.conversation)
        await self._cancel_legs()
        if ctx is not None and ctx.bridge_id:
            with contextlib.suppress(AriError):
                await self.client.destroy_bridge(ctx.bridge_id)
        if ctx is not None and (ctx.conversation or ctx.conversation_error):
            await self._store_conversation(ctx)

    async def _store_conversation(self, ctx: CallContext) -> None:
        """Fetch the conversation's recording and attach it to the call and its ticket; a
        recording that could not be made or kept is said on the ticket."""
        problem = ctx.conversation_error
        if ctx.conversation is not None:
            try:
                data = await self._fetch_finished(ctx.conversation)
                rec = await _with_db_retry(lambda: self.o.journal.calls.add_recording(
                    call_id=ctx.call_row_id, name=ctx.conversation or "", data=data,
                    duration_seconds=_wav_seconds(data)))
                if ctx.ticket_id is not None:
                    await self.o.journal.tickets.attach_recording(ctx.ticket_id, rec.id, IVR)
                with contextlib.suppress(AriError):
                    await self.client.delete_stored_recording(ctx.conversation)
                log.info("ivr.conversation_recorded", recording=ctx.conversation, seconds=rec.duration_seconds)
                return
            except Exception as exc:
                log.exception("ivr.conversation_not_stored")
                problem = str(exc) or type(exc).__name__
        if ctx.ticket_id is not None:
            with contextlib.suppress(Exception):
                await self.o.journal.tickets.comment(
                    ctx.ticket_id, IVR, f"Разговор с диспетчером не записан: {problem}", public=False)

    async def _fetch_finished(self, name: str) -> bytes:
        """A stopped recording's file: Asterisk writes it out a moment after the stop."""
        for delay in (0.1, 0.3, 0.6, 1.0, 2.0):
            try:
                return await self.client.download_recording(name)
            except AriNotFound:
                await asyncio.sleep(delay)
        return await self.client.download_recording(name)


DB_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)


async def _with_db_retry(op: Callable[[], Awaitable[T]]) -> T:
    """A write the database refused for a moment (a lock held past the busy timeout, a
    PostgreSQL failover dropping the connection) is tried again a bounded number of times:
    the caller is still on the line waiting for a number. A retried registration cannot make a
    duplicate: a failed transaction wrote nothing, and a second ticket from the same phone would
    be linked to the first as a repeat."""
    from sqlalchemy.exc import DBAPIError

    for delay in DB_RETRY_DELAYS:
        try:
            return await op()
        except DBAPIError as exc:
            if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
                raise
            log.warning("ivr.db_retry", error=str(exc.orig), retry_in=delay)
            await asyncio.sleep(delay)
    return await op()


def _wav_seconds(data: bytes) -> float:
    import io
    import wave

    with wave.open(io.BytesIO(data)) as w:
        frames: int = w.getnframes()
        rate: int = w.getframerate() or 8000
    return frames / rate


def _wav_seconds_or(data: bytes, fallback: float) -> float:
    """The WAV file's length; a file that is not WAV keeps Asterisk's whole-second figure."""
    import wave

    try:
        return _wav_seconds(data)
    except (wave.Error, EOFError):
        return fallback


def _description(cmd: RegisterTicket) -> str:
    parts = ["Заявка через голосовое меню"]
    if cmd.callback_due:
        parts.append("диспетчер не ответил, нужен обратный звонок")
    if cmd.related_ticket:
        parts.append(f"у абонента есть открытая заявка {cmd.related_ticket}")
    return "; ".join(parts)
