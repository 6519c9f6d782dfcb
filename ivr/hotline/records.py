"""One call's writes to the journal: its row, its ticket or missed call, its recordings.

Every write goes through one retry policy (``with_db_retry``): a database that refuses for a
moment (a lock held past the busy timeout, a PostgreSQL fail-over) must not cost the resident
who is still on the line their ticket.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import replace
from typing import TypeVar

import structlog
from sqlalchemy.exc import DBAPIError, OperationalError

from journal import Actor, Journal, NewTicket, Registration
from journal.clock import utcnow
from journal.enums import CallDirection, CallOutcome, Channel, Priority
from journal.models import Call, Ticket

from ..ari.events import Channel as AriChannel
from ..flow import AlreadyDecided, DispatcherReason, Outcome, RecordMissedCall, RegisterTicket, TicketRegistered
from .desk import CallCard, DispatcherDesk
from .mapping import deadline_for, deadline_text, journal_category, spoken_number
from .translate import wav_seconds

log = structlog.get_logger(__name__)
T = TypeVar("T")
IVR = Actor.system("ivr")
DB_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)

Download = Callable[[str], Awaitable[bytes]]


class WorkQueueNotice:
    """The consoles' work queue told of a voice-menu ticket, once: in the registration's
    transaction when the desk opens one (the console outbox: the ticket and its message commit
    together), otherwise as soon as the resident has heard the number (no reads before it)."""

    def __init__(self, desk: DispatcherDesk, call_id: str) -> None:
        self.desk, self.call_id = desk, call_id
        self.sent = False

    def together(self) -> AbstractAsyncContextManager[object]:
        return self.desk.together()

    async def send(self, ticket: Ticket) -> None:
        self.sent = True
        await self.desk.ticket_registered(self.call_id, ticket.id)

    async def send_once(self, ticket: Ticket) -> None:
        if not self.sent:
            await self.send(ticket)


async def with_db_retry(op: Callable[[], Awaitable[T]], delays: tuple[float, ...] = DB_RETRY_DELAYS) -> T:
    """A write the database refused for a moment is tried again a bounded number of times. A
    retried registration cannot make a duplicate: a failed transaction wrote nothing, and a
    second ticket from the same phone would be linked to the first as a repeat."""
    for delay in delays:
        try:
            return await op()
        except DBAPIError as exc:
            if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
                raise
            log.warning("ivr.db_retry", error=str(exc.orig), retry_in=delay)
            await asyncio.sleep(delay)
    return await op()


class CallRecords:
    """The journal side of one call. ``ticket_id``/``ticket_number`` are the call's ticket once
    it has one (made by the menu, by a dispatcher's answer, or found when adopting the call)."""

    def __init__(self, journal: Journal, download: Download, *, ticket_channel: str | None = None,
                 delays: tuple[float, ...] = DB_RETRY_DELAYS, node: str = "main") -> None:
        self.node = node
        self.journal = journal
        self.download = download
        self.ticket_channel = ticket_channel
        self.delays = delays
        self.call_row_id = 0
        self.caller_number = ""
        self.caller_name = ""
        self.ticket_id: int | None = None
        self.ticket_number: str | None = None
        self.open_ticket_id: int | None = None  # the caller's open ticket the menu read to them

    @property
    def training(self) -> bool:
        return self.ticket_channel == Channel.TRAINING

    async def _write(self, op: Callable[[], Awaitable[T]]) -> T:
        return await with_db_retry(op, self.delays)

    async def start(self, channel: AriChannel) -> Call:
        self.caller_number, self.caller_name = channel.caller.number, channel.caller.name
        row = await self._write(lambda: self.journal.calls.start(
            channel_id=channel.id, caller_number=self.caller_number, caller_name=self.caller_name,
            called_number=channel.dialplan.exten, node=self.node,
            direction=CallDirection.TRAINING if self.training else CallDirection.INBOUND,
        ))
        self.call_row_id = row.id
        return row

    async def already_decided(self, outcome: str | None) -> AlreadyDecided | None:
        """The call's row found already decided: the service that ran the call died after making
        its ticket (or missed-call record), and this one took the live channel over."""
        if outcome == CallOutcome.TICKET:
            ticket = await self.journal.calls.ticket_of(self.call_row_id)
            log.info("ivr.adopted_call", outcome=outcome, ticket=ticket.number if ticket else None)
            if ticket is None:
                return AlreadyDecided(True)
            self.ticket_id, self.ticket_number = ticket.id, ticket.number
            return AlreadyDecided(True, spoken_number(ticket.number))
        if outcome == CallOutcome.MISSED:
            log.info("ivr.adopted_call", outcome=outcome)
            return AlreadyDecided(False)
        return None

    async def register(self, cmd: RegisterTicket,
                       notice: WorkQueueNotice | None = None) -> tuple[Ticket, TicketRegistered]:
        """The menu's ticket with the caller's recording; raises when it cannot be registered.
        The consoles' ``notice`` goes in the registration's transaction when its desk opens one."""
        data = await self.download(cmd.recording_name)
        recording_ids, note = [], ""
        try:
            # The file's own length: Asterisk's RecordingFinished says whole seconds.
            rec = await self._write(lambda: self.journal.calls.add_recording(
                call_id=self.call_row_id, name=cmd.recording_name, data=data,
                duration_seconds=wav_seconds_or(data, cmd.recording_seconds)))
            recording_ids = [rec.id]
        except OSError as exc:
            # The recordings disk is full or failing. The resident's problem matters more than
            # the audio: register the ticket and say on it why the recording is missing.
            log.error("ivr.recording_not_stored", error=str(exc))
            note = f"; запись обращения не сохранена ({exc.strerror or exc}), прослушать нельзя"
        new = NewTicket(
            channel=self.ticket_channel or Channel.PHONE_IVR, category=journal_category(cmd.category),
            priority=Priority.EMERGENCY if cmd.priority.value == "emergency" else None,
            actor=IVR, caller_phone=cmd.caller_number, caller_name=cmd.caller_name or None,
            call_id=self.call_row_id, recording_ids=recording_ids, transcript_pending=bool(recording_ids),
            description=description(cmd) + note,
        )

        async def register_and_announce() -> Registration:
            async with notice.together() if notice is not None else nullcontext() as transaction:
                reg = await self.journal.tickets.register(new)
                if notice is not None and transaction is not None:
                    await notice.send(reg.ticket)
            return reg

        reg = await self._write(register_and_announce)
        ticket = reg.ticket
        self.ticket_id, self.ticket_number = ticket.id, ticket.number
        structlog.contextvars.bind_contextvars(ticket_id=ticket.id)
        log.info("ivr.ticket_registered", ticket=ticket.number, repeat=not reg.created)
        tz = self.journal.config.tz
        return ticket, TicketRegistered(spoken_number(ticket.number), cmd.category,
                                        deadline_for(ticket, utcnow(), tz), deadline_text(ticket, tz))

    async def missed(self, cmd: RecordMissedCall) -> None:
        if cmd.recording_name:
            # Registration failed after the caller spoke: keep what they said for the callback.
            try:
                data = await self.download(cmd.recording_name)
                await self._write(lambda: self.journal.calls.add_recording(
                    call_id=self.call_row_id, name=cmd.recording_name or "", data=data))
            except Exception:
                log.exception("ivr.missed_recording_not_stored", recording=cmd.recording_name)
        await self._write(lambda: self.journal.calls.record_missed(
            call_id=self.call_row_id, caller_number=cmd.caller_number, caller_name=cmd.caller_name or None,
            reason=cmd.reason.value, step=cmd.step,
        ))

    async def finish(self, outcome: Outcome, history: tuple[str, ...]) -> None:
        values: dict[str, object] = {"ended_at": utcnow(), "ivr_path": " > ".join(history)}
        if outcome is Outcome.DISPATCHER_ANSWERED and self.ticket_id is None:
            values["outcome"] = CallOutcome.ANSWERED
        await self._write(lambda: self.journal.calls.update(self.call_row_id, **values))

    async def ticket_for_dispatcher(self, ext: str, card: CallCard) -> CallCard:
        """The call is now a conversation with a dispatcher: it becomes a ticket (or keeps the
        menu's) so the card carries a number the dispatcher completes. Raises CallAlreadyMissed
        when the caller hung up as the dispatcher answered."""
        if card.ticket_id is not None:
            return card
        user = await self.journal.people.user_by_extension(ext)
        actor = Actor(user.full_name, user.id) if user else Actor(f"ext:{ext}")
        if card.reason == DispatcherReason.REPEAT_CALLER and self.open_ticket_id is not None:
            joined = await self._join_open_ticket(self.open_ticket_id, actor)
            if joined is not None:
                await self._write(lambda: self.journal.calls.update(
                    self.call_row_id, answered_at=utcnow(), dispatcher_id=user.id if user else None))
                return replace(card, ticket_id=joined.id, ticket_number=joined.number)
        building_id, apartment = await self._known_place()
        reg = await self._write(lambda: self.journal.tickets.register(NewTicket(
            channel=self.ticket_channel or Channel.PHONE_DISPATCHER, category="other",
            priority=Priority.EMERGENCY if card.emergency else None, actor=actor,
            caller_phone=self.caller_number, caller_name=self.caller_name or None,
            building_id=building_id, apartment=apartment,
            call_id=self.call_row_id, description="Звонок принят диспетчером",
        )))
        self.ticket_id, self.ticket_number = reg.ticket.id, reg.ticket.number
        await self._write(lambda: self.journal.calls.update(
            self.call_row_id, answered_at=utcnow(), dispatcher_id=user.id if user else None))
        return replace(card, ticket_id=reg.ticket.id, ticket_number=reg.ticket.number)

    async def _known_place(self) -> tuple[int | None, str | None]:
        """Where a caller the residents' register does not know called from before (their
        latest ticket with a house): the dispatcher's ticket starts with that address. A
        registered resident's own address is filled in by the journal."""
        if not self.caller_number or await self.journal.people.find_resident(self.caller_number) is not None:
            return None, None
        history = await self.journal.monitor.caller_history(
            phone=self.caller_number, building_id=None, limit=5, training=self.training)
        for t in history:
            if t.building_id is not None:
                return t.building_id, t.apartment
        return None, None

    async def _join_open_ticket(self, ticket_id: int, actor: Actor) -> Ticket | None:
        """A caller who asked a dispatcher about their open ticket: the call joins it (its
        conversation will be attached there) instead of opening a new one."""
        ticket = await self.journal.tickets.get(ticket_id)
        if not ticket.is_open:
            return None
        await self._write(lambda: self.journal.tickets.comment(
            ticket_id, actor, "Повторный звонок абонента по этой заявке, принят диспетчером", public=False))
        self.ticket_id, self.ticket_number = ticket.id, ticket.number
        log.info("ivr.call_joined_open_ticket", ticket=ticket.number)
        return ticket

    async def store_conversation(self, name: str | None, problem: str | None, fetch: Download) -> bool:
        """The conversation's recording attached to the call and its ticket (True); a recording
        that could not be made or kept is said on the ticket."""
        if name is not None:
            try:
                data = await fetch(name)
                rec = await self._write(lambda: self.journal.calls.add_recording(
                    call_id=self.call_row_id, name=name, data=data, duration_seconds=wav_seconds(data)))
                if self.ticket_id is not None:
                    ticket_id = self.ticket_id
                    await self._write(lambda: self.journal.tickets.attach_recording(ticket_id, rec.id, IVR))
                log.info("ivr.conversation_recorded", recording=name, seconds=rec.duration_seconds)
                return True
            except Exception as exc:
                log.exception("ivr.conversation_not_stored")
                problem = str(exc) or type(exc).__name__
        if self.ticket_id is not None:
            ticket_id = self.ticket_id
            try:
                await self._write(lambda: self.journal.tickets.comment(
                    ticket_id, IVR, f"Разговор с диспетчером не записан: {problem}", public=False))
            except Exception:
                log.exception("ivr.conversation_problem_not_noted")
        return False


def wav_seconds_or(data: bytes, fallback: float) -> float:
    """The WAV file's length; a file that is not WAV keeps Asterisk's whole-second figure."""
    try:
        return wav_seconds(data)
    except (wave.Error, EOFError):
        return fallback


def description(cmd: RegisterTicket) -> str:
    parts = ["Заявка через голосовое меню"]
    if cmd.callback_due:
        parts.append("диспетчер не ответил, нужен обратный звонок")
    if cmd.related_ticket:
        parts.append(f"у абонента есть открытая заявка {cmd.related_ticket}")
    return "; ".join(parts)
