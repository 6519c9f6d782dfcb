"""Runs the hotline's call flow (ivr.flow, a pure state machine) on one ARI call.

The flow decides; this module carries its commands out and feeds back what happened as flow
events, one unit per job: ``translate`` (Asterisk's events), ``records`` (the journal),
``ringing`` (the queue, the legs, the bridge), ``listening`` (a spoken choice), ``outage``.
What takes time runs in a task of its own reporting through the same event queue, so the call
keeps hearing keys and hang-ups meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import structlog

from ..ari import ChannelGone
from ..ari.errors import AriError
from ..ari.session import CallHungUp, CallSession
from ..flow import CallStarted, Error, State, Timeout, step
from ..flow import commands as do
from ..flow.events import Event as FlowEvent
from .chores import Chores
from .listening import ChoiceListener
from .outage import NOTHING_OPEN
from .records import CallRecords, WorkQueueNotice, with_db_retry
from .ringing import DispatcherRinger
from .translate import EventTranslator
from .understanding import understand_recording

if TYPE_CHECKING:
    from .line import HotlineCall

log = structlog.get_logger(__name__)


class CallRun:
    """One call's execution of the flow, for the line (``HotlineCall``) it came in on."""

    def __init__(self, owner: HotlineCall, call: CallSession) -> None:
        self.o = owner
        self.call = call
        self.client = call.client
        self.inbox: asyncio.Queue[FlowEvent] = asyncio.Queue()
        self.chores = Chores(call.channel_id)
        self.records = CallRecords(owner.journal, self.client.download_recording, ticket_channel=owner.ticket_channel,
                                   node=self.client.settings.node)
        self.ringer = DispatcherRinger(
            call, owner.desk, owner.queue, self.records, report=self.inbox.put_nowait, gone=self._gone,
            state=self._state, silence=lambda: self.events.silence(), endpoint=owner.dispatcher_endpoint,
            ring_each_seconds=owner.ring_each_seconds, position_after_seconds=owner.position_after_seconds,
            position_every_seconds=owner.position_every_seconds)
        self.listener = ChoiceListener(call, owner.transcriber, owner.choice_phrases, self.inbox.put_nowait,
                                       self.chores.spawn)
        self.events = EventTranslator(call, self.ringer, self.listener.recorded)
        call.on_resync = lambda: self.chores.spawn(self._report(self.events.recover_lost_events()), "resync")

    async def run(self) -> None:
        # The consoles hear of the call first: in a burst the call's row waits its turn behind
        # every other write, and the dispatchers should not (bench/real_asterisk_bench.py).
        await self._state("menu")
        row = await self.records.start(self.call.channel)
        decided = await self.records.already_decided(row.outcome)
        state = State()
        pump = asyncio.create_task(self._pump(), name=f"pump-{self.call.channel_id}")
        try:
            ch = self.call.channel
            # One read: the caller's open ticket, and an outage announced at their building.
            opening = NOTHING_OPEN if decided else await self.o.outages.opening(
                ch.caller.number, training=self.records.training)
            self.records.open_ticket_id = opening.open_ticket_id
            event: FlowEvent = CallStarted(ch.id, ch.caller.number, ch.caller.name, opening.open_ticket, decided,
                                           opening.outage, opening.offered)
            while True:
                state, commands = step(state, event, self.o.config)
                done = False
                for command in commands:
                    done = await self._execute(command) or done
                if done:
                    return
                event = await self.inbox.get()
        finally:
            await self.chores.close(pump)
            await self.ringer.close()

    async def _pump(self) -> None:
        try:
            while True:
                for flow_event in await self.events.translate(await self.call.next_event()):
                    self.inbox.put_nowait(flow_event)
        except CallHungUp:
            self._gone()

    def _gone(self) -> None:
        for flow_event in self.events.hangup_once():
            self.inbox.put_nowait(flow_event)

    async def _execute(self, command: do.Command) -> bool:
        """Run one command; True when the flow has ended."""
        try:
            return await self._dispatch(command)
        except ChannelGone:
            self._gone()
        except AriError as exc:
            log.warning("ivr.command_failed", command=type(command).__name__, error=str(exc))
            if not self.events.hung_up:
                self.inbox.put_nowait(Error(f"{type(command).__name__}: {exc}"))
        return False

    async def _dispatch(self, command: do.Command) -> bool:
        cid = self.call.channel_id
        match command:
            case do.Answer():
                await self.call.answer()
            case do.Play(media=media, playback_id=pid):
                await self.client.play(cid, list(media), lang=self.o.lang, playback_id=f"{cid}:{pid}")
                self.events.playback_started(pid)
            case do.StopPlayback(playback_id=pid):
                await _quietly(self.client.stop_playback(f"{cid}:{pid}"))
            case do.StartTimer(seconds=seconds, token=token):
                self.chores.start_timer(token, seconds, lambda: self.inbox.put_nowait(Timeout(token)))
            case do.CancelTimer(token=token):
                self.chores.cancel_timer(token)
            case do.ListenForChoice(choices=choices, max_seconds=seconds):
                await self.listener.listen(tuple(c.value for c in choices), seconds)
            case do.StopListening():
                await self.listener.stop()
            case do.StartRecording(name=name, max_seconds=max_s, max_silence_seconds=silence, terminate_on=term):
                self.events.recording_started(name, max_s)
                await self._state("recording")
                await self.client.record(cid, name, max_duration=max_s, max_silence=silence, terminate_on=term,
                                         beep=False, if_exists="overwrite")
            case do.UnderstandRecording(name=name) if self.o.transcriber is not None:
                understood = understand_recording(self.client.download_recording, self.o.transcriber, name)
                self.chores.spawn(self._report(understood), "understand")
            case do.RegisterTicket():
                self.chores.spawn(self._register(command), "register")
            case do.CountOutageCaller():
                self.chores.spawn(self._count(command), "count")
            case do.RecordMissedCall():
                await self.records.missed(command)
            case do.ConnectToDispatcher():
                self.chores.spawn(self.ringer.connect(command), "connect")
            case do.CancelDispatcherCall():
                await self.ringer.cancel_legs()
            case do.PlayMusicOnHold():
                await self.client.moh_start(cid)
            case do.StopMusicOnHold():
                await _quietly(self.client.moh_stop(cid))
            case do.Hangup():
                await self.call.hangup()
            case do.ReportOutcome(outcome=outcome, history=history):
                await self.records.finish(outcome, history)
                await self._state("ended", outcome=outcome.value, dispatcher=self.ringer.dispatcher,
                                  ticket_number=self.records.ticket_number)
                log.info("ivr.call_finished", outcome=outcome.value, path=list(history))
                return True
            case _:
                log.warning("ivr.unknown_command", command=repr(command))
        return False

    async def _register(self, cmd: do.RegisterTicket) -> None:
        notice = WorkQueueNotice(self.o.desk, self.call.channel_id)
        try:
            ticket, registered = await self.records.register(cmd, notice)
        except Exception as exc:
            log.exception("ivr.registration_failed")
            self.inbox.put_nowait(Error(f"registration failed: {exc}"))
            return
        self.o.on_recording_queued()
        self.inbox.put_nowait(registered)
        await notice.send_once(ticket)  # unless it went with the ticket's transaction

    async def _count(self, cmd: do.CountOutageCaller) -> None:
        """A caller who stayed on the line in an outage: counted as its child ticket."""
        event, ticket = await self.o.outages.count(cmd, self.records.call_row_id, with_db_retry)
        if ticket is not None:
            self.records.ticket_id, self.records.ticket_number = ticket.id, ticket.number
        self.inbox.put_nowait(event)

    async def _report(self, events: Awaitable[FlowEvent | list[FlowEvent]]) -> None:
        got = await events
        for event in got if isinstance(got, list) else [got]:
            self.inbox.put_nowait(event)

    async def _state(self, state: str, **info: object) -> None:
        """The call's progress for the consoles' live list; a console failure never stops a call."""
        caller = self.call.channel.caller
        try:
            await self.o.desk.call_state(self.call.channel_id, state, {
                "caller_number": caller.number, "caller_name": caller.name, **info})
        except Exception:
            log.exception("ivr.call_state_not_shown", state=state)


async def _quietly(request: Awaitable[object]) -> None:
    """A stop whose target may already be gone."""
    with contextlib.suppress(AriError):
        await request
