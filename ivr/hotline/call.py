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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from journal import Actor, Journal, NewTicket
from journal.clock import utcnow

from ..ari import ChannelGone
from ..ari.errors import AriError
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
from ..flow import (
    Answer,
    CallStarted,
    CancelDispatcherCall,
    CancelTimer,
    Command,
    ConnectToDispatcher,
    DispatcherAnswered,
    Dtmf,
    Error,
    FlowConfig,
    Hangup,
    HungUp,
    ListenForChoice,
    NoDispatcher,
    OpenTicket,
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
    TicketRegistered,
    Timeout,
    step,
)
from ..flow.events import Event as FlowEvent
from .desk import CallCard, DispatcherDesk
from .mapping import JOURNAL_TO_FLOW, STATUS_TO_FLOW, deadline_for, deadline_text, journal_category, spoken_number

log = structlog.get_logger(__name__)
IVR = Actor.system("ivr")
# After RecordingFinished, how long to look for the hang-up that Asterisk sends right after it
# when the caller hung up during the recording (6 ms apart in the recorded trace).
HANGUP_LOOKAHEAD_SECONDS = 0.3


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
        dispatcher_endpoint: str = "PJSIP/{ext}",
        ring_each_seconds: int = 15,
    ) -> None:
        self.journal = journal
        self.desk = desk
        self.config = config or FlowConfig()
        self.on_recording_queued = on_recording_queued
        self.lang = lang
        self.dispatcher_endpoint = dispatcher_endpoint
        self.ring_each_seconds = ring_each_seconds

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

    # -- main loop ---------------------------------------------------------------------
    async def run(self) -> None:
        ch = self.call.channel
        number, name = ch.caller.number, ch.caller.name
        row = await self.o.journal.calls.start(
            channel_id=ch.id, caller_number=number, caller_name=name, called_number=ch.dialplan.exten
        )
        self.ctx = CallContext(row.id, number, name)
        await self._state("menu")
        state = State()
        pump = asyncio.create_task(self._pump(), name=f"pump-{ch.id}")
        try:
            event: FlowEvent = CallStarted(ch.id, number, name, await self._open_ticket(number))
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

    async def _open_ticket(self, number: str) -> OpenTicket | None:
        if not number:
            return None
        history = await self.o.journal.monitor.caller_history(phone=number, building_id=None, limit=10)
        for t in history:
            if t.is_open and t.status in STATUS_TO_FLOW:
                return OpenTicket(spoken_number(t.number), STATUS_TO_FLOW[t.status], JOURNAL_TO_FLOW.get(t.category))
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
                return [PlaybackDone(event.playback.id[len(prefix):])]
            return []
        if isinstance(event, ChannelDtmfReceived) and self._is_caller(event):
            if event.digit == "#":
                self.ctx.terminated_by_key = True
            return [Dtmf(event.digit)]
        if isinstance(event, (RecordingFinished, RecordingFailed)):
            return await self._recording_finished(event)
        if isinstance(event, (StasisEnd, ChannelHangupRequest, ChannelDestroyed)):
            if self._is_caller(event):
                return self._hangup_once()
            for leg in event.channel_ids():
                if leg in self.ctx.legs:
                    self.leg_events.put_nowait((leg, "ended"))
            return []
        if isinstance(event, StasisStart) and event.channel.id in self.ctx.legs:
            self.leg_events.put_nowait((event.channel.id, "answered"))
            return []
        if isinstance(event, Dial) and event.peer.id in self.ctx.legs and event.dialstatus not in ("", "ANSWER"):
            self.leg_events.put_nowait((event.peer.id, "ended"))
        return []

    async def _recording_finished(self, event: RecordingFinished | RecordingFailed) -> list[FlowEvent]:
        rec = event.recording
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
            case ListenForChoice() | StopListening():
                # Spoken choice needs a recogniser on live audio; without one the menu runs on keys.
                pass
            case StartRecording(name=name, max_seconds=max_s, max_silence_seconds=silence, terminate_on=term):
                self.ctx.recording_limit = max_s
                self.ctx.terminated_by_key = False
                await self._state("recording")
                await self.client.record(cid, name, max_duration=max_s, max_silence=silence, terminate_on=term,
                                         beep=False, if_exists="overwrite")
            case RegisterTicket():
                self._spawn(self._register(command), "register")
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
            rec = await self.o.journal.calls.add_recording(
                call_id=self.ctx.call_row_id, name=cmd.recording_name, data=data,
                duration_seconds=cmd.recording_seconds,
            )
            reg = await self.o.journal.tickets.register(NewTicket(
                channel="phone_ivr", category=journal_category(cmd.category),
                priority="emergency" if cmd.priority.value == "emergency" else None,
                actor=IVR, caller_phone=cmd.caller_number, caller_name=cmd.caller_name or None,
                call_id=self.ctx.call_row_id, recording_ids=[rec.id], transcript_pending=True,
                description=_description(cmd),
            ))
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
        leg = await self.call.originate_leg(self.o.dispatcher_endpoint.format(ext=ext), app_args="dispatcher",
                                            caller_id=caller_id, timeout=seconds)
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
            self.ctx.dispatcher = ext
            card = await self._ticket_for_dispatcher(ext, card)
            await self.o.desk.answered(ext, card)
            await self._state("talking", dispatcher=ext, ticket_number=card.ticket_number)
            self.inbox.put_nowait(DispatcherAnswered(ext))
            return True

    async def _bridge(self, leg_id: str) -> None:
        bridge = await self.client.create_bridge(type="mixing", name=f"hotline-{self.call.channel_id}")
        self.ctx.bridge_id = bridge.id
        with contextlib.suppress(AriError):
            await self.client.moh_stop(self.call.channel_id)
        await self.client.add_channel(bridge.id, self.call.channel_id)
        await self.client.add_channel(bridge.id, leg_id)

    async def _ticket_for_dispatcher(self, ext: str, card: CallCard) -> CallCard:
        """The call is now a conversation with a dispatcher: it becomes a ticket (or joins the
        caller's open one) so the card carries a number the dispatcher completes."""
        if card.ticket_id is not None:
            return card
        user = await self.o.journal.people.user_by_extension(ext)
        actor = Actor(user.full_name, user.id) if user else Actor(f"ext:{ext}")
        reg = await self.o.journal.tickets.register(NewTicket(
            channel="phone_dispatcher", category="other",
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
        await self._cancel_legs()
        if self.ctx is not None and getattr(self.ctx, "bridge_id", None):
            with contextlib.suppress(AriError):
                await self.client.destroy_bridge(self.ctx.bridge_id)  # type: ignore[arg-type]


def _description(cmd: RegisterTicket) -> str:
    parts = ["Заявка через голосовое меню"]
    if cmd.callback_due:
        parts.append("диспетчер не ответил, нужен обратный звонок")
    if cmd.related_ticket:
        parts.append(f"у абонента есть открытая заявка {cmd.related_ticket}")
    return "; ".join(parts)
