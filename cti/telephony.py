"""The console's side of telephony: who may take a call, what pops on whose screen, and
clicking "call back". Adapters only: they translate telephony events into hub messages."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import structlog

from ivr.ami import AmiClient, CallTracker
from ivr.ami.tracker import ExtensionCall
from ivr.hotline import CallCard
from journal import Journal, Role, TicketFilter
from journal.clock import utcnow
from journal.models import Ticket, User
from journal.presence import presence_of_all, takes_calls

from .nodes import OwnedAmi
from .web import labels, serialize
from .web.hub import ConsoleHub
from .web.messages import TicketRegistered
from .web.notifier import ConsoleNotifier

log = structlog.get_logger(__name__)


class ConsoleDesk:
    """DispatcherDesk for the voice menu (and TicketChanges for the phone lines): dispatchers
    with a console open are on shift; a dispatcher on a call (ours, or any the AMI tracker sees
    on their extension) is not free. What it tells the consoles goes through the notifier; a
    failure is logged and never reaches the call."""

    def __init__(self, journal: Journal, hub: ConsoleHub, tracker: CallTracker | None = None) -> None:
        self.journal = journal
        self.hub = hub
        self.notify = ConsoleNotifier(hub)
        self.tracker = tracker
        self.talking: dict[str, str] = {}  # extension -> call id
        self.waiting_since: dict[str, str] = {}  # call id -> when it began to wait (ISO, UTC)
        self.tickets: dict[str, int] = {}  # call id -> its ticket, for the live list to open the card

    async def free_dispatchers(self, emergency: bool) -> Sequence[str]:
        """On the line (not on a break, not off shift) and not on a call."""
        presence = await presence_of_all(self.journal.settings)
        users = [u for u in await self.journal.people.users(Role.DISPATCHER)
                 if u.is_active and u.extension and takes_calls(presence, u.id)]
        online = self.hub.online_extensions()
        # Dispatchers logged in to the console first; a phone without a console still rings.
        users.sort(key=lambda u: (u.extension not in online, u.extension))
        return [u.extension for u in users if u.extension and not self._busy(u.extension)]

    def _busy(self, extension: str) -> bool:
        if extension in self.talking:
            return True
        return bool(self.tracker and any(c.state == "talking" for c in self.tracker.calls_of(extension)))

    async def ringing(self, extension: str | None, card: CallCard) -> None:
        # The card pops at once with what the call knows; what the journal knows follows in a
        # second message, so a burst's database writes never hold a ringing card back.
        self.notify.screen_pop(extension, {**asdict(card), "stage": "ringing", "kind": "resident"})
        try:
            details = await self._details(card)
            if details:
                self.notify.card_details(extension, card.call_id, details, emergency=card.emergency)
        except Exception:
            log.exception("console.pop_failed", call_id=card.call_id, stage="ringing")

    async def answered(self, extension: str, card: CallCard) -> None:
        self.talking[extension] = card.call_id
        if card.ticket_id is not None:
            self.tickets[card.call_id] = card.ticket_id
        try:
            self.notify.screen_pop(extension, await self._payload(card, "answered"))
        except Exception:
            log.exception("console.pop_failed", call_id=card.call_id, stage="answered")

    async def call_state(self, call_id: str, state: str, info: dict[str, object]) -> None:
        extension = info.get("dispatcher")
        if isinstance(info.get("ticket_id"), int):
            self.tickets[call_id] = int(str(info["ticket_id"]))
        ticket_id = self.tickets.get(call_id)
        if state == "ended":
            self.waiting_since.pop(call_id, None)
            self.tickets.pop(call_id, None)
            for ext, cid in list(self.talking.items()):
                if cid == call_id:
                    del self.talking[ext]
        extra: dict[str, Any] = {k: v for k, v in info.items()
                                 if k not in {"caller_number", "caller_name", "dispatcher", "ticket_id"}}
        if state == "waiting":
            # The wait counts from the first time the caller was put in the queue, not from the
            # latest report: the console shows how long the resident has been waiting.
            since = extra.get("waiting_since")
            extra["waiting_since"] = self.waiting_since.setdefault(
                call_id, since.isoformat() if isinstance(since, datetime) else str(since or utcnow().isoformat()))
        self.notify.call_state(
            call_id, state, caller_number=optional_text(info.get("caller_number")), caller_name=optional_text(info.get("caller_name")),
            extension=optional_text(extension), ticket_id=ticket_id, **extra,
        )

    async def ticket_registered(self, call_id: str, ticket_id: int) -> None:
        """The voice menu registered a ticket: the work queue of every console shows it."""
        self.tickets[call_id] = ticket_id
        try:
            ticket = await self.journal.tickets.get(ticket_id)
            lk = await serialize.Lookups.load(self.journal)
            self.notify.ticket_registered(registered_message(ticket, lk, call_id))
        except Exception:
            log.exception("console.ticket_registered_failed", call_id=call_id, ticket_id=ticket_id)

    async def ticket_changed(self, ticket_id: int, change: str) -> None:
        """A ticket changed on the phone (the executors' line, the residents' rating call)."""
        try:
            ticket = await self.journal.tickets.get(ticket_id)
            self.notify.ticket_updated(ticket.id, source="phone", change=change, executor_id=ticket.executor_id,
                                       rating=ticket.rating, **{k: v for k, v in ticket_card(ticket).items()
                                                                if k != "ticket_id"})
        except Exception:
            log.exception("console.ticket_changed_failed", ticket_id=ticket_id, change=change)

    async def _payload(self, card: CallCard, stage: str) -> dict[str, Any]:
        return {**asdict(card), "stage": stage, "kind": "resident", **await self._details(card)}

    async def _details(self, card: CallCard) -> dict[str, Any]:
        if card.ticket_id is not None:
            return ticket_card(await self.journal.tickets.get(card.ticket_id))
        if card.caller_number:
            return await self._known_caller(card.caller_number)
        return {}

    async def _known_caller(self, number: str) -> dict[str, Any]:
        """What the journal knows of a ringing number: the resident's name and address, and
        their open tickets, so the card says who is calling before anyone answers."""
        history = await self.journal.monitor.caller_history(phone=number, building_id=None, limit=10)
        if not history:
            return {}
        lk = await serialize.Lookups.load(self.journal)
        latest = history[0]
        known: dict[str, Any] = {"known_address": lk.address(latest.building_id, latest.apartment, latest.address_text),
                                 "open_tickets": [{**ticket_card(t), "address": lk.address(t.building_id, t.apartment,
                                                                                           t.address_text)}
                                                  for t in history if t.is_open]}
        if latest.caller_name:
            known["known_name"] = latest.caller_name
        return known


def registered_message(ticket: Ticket, lk: serialize.Lookups, call_id: str | None) -> TicketRegistered:
    return TicketRegistered(
        ticket_id=ticket.id, ticket_number=ticket.number, channel=ticket.channel,
        emergency=ticket.priority == "emergency", call_id=call_id, caller_number=ticket.caller_phone,
        caller_name=ticket.caller_name, category_label=lk.category(ticket.category),
        address=lk.address(ticket.building_id, ticket.apartment, ticket.address_text),
        due_at=ticket.next_due_at.isoformat() if ticket.next_due_at else None)


def ticket_card(t: Ticket) -> dict[str, Any]:
    return {
        "ticket_id": t.id, "ticket_number": t.number, "category": t.category, "priority": t.priority,
        "status": t.status, "due_at": t.next_due_at.isoformat() if t.next_due_at else None,
        "address": t.address_text, "transcript": t.transcript, "transcript_status": t.transcript_status,
        "suggested_category": t.suggested_category,
    }


class ConsoleTicketEvents:
    """TicketEvents of the transcription worker: a transcript fills open cards live."""

    def __init__(self, hub: ConsoleHub) -> None:
        self.notify = ConsoleNotifier(hub)

    async def transcript_ready(self, ticket: Ticket) -> None:
        self.notify.ticket_updated(ticket.id, source="asr",
                                   **{k: v for k, v in ticket_card(ticket).items() if k != "ticket_id"})

    async def emergency_detected(self, ticket: Ticket, reasons: Sequence[str]) -> None:
        self.notify.screen_pop(None, {**ticket_card(ticket), "emergency": True, "kind": "emergency_detected",
                                   "reasons": [labels.EMERGENCY_REASON.get(r, r) for r in reasons],
                                   "caller_number": ticket.caller_phone,
                                   "caller_name": ticket.caller_name})


class ExecutorCalls:
    """An executor dials a dispatcher from the field: the dispatcher's phone rings outside our
    Stasis app, the AMI tracker sees it, and their screen pops the executor's card."""

    def __init__(self, journal: Journal, hub: ConsoleHub, *, staff_ttl: float = 30.0) -> None:
        self.journal = journal
        self.notify = ConsoleNotifier(hub)
        self._tasks: set[Any] = set()
        # Staff by extension, read at most every ``staff_ttl`` seconds (and again on a number it
        # does not know): the card pops without waiting for the database.
        self.staff_ttl = staff_ttl
        self._staff: dict[str, User] = {}
        self._staff_at = -math.inf

    def on_ringing(self, call: ExtensionCall) -> None:
        if call.direction != "in" or not call.peer_number:
            return
        task = asyncio.get_running_loop().create_task(self._pop(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _by_extension(self, *extensions: str) -> list[User | None]:
        loop = asyncio.get_running_loop()
        stale = loop.time() - self._staff_at > self.staff_ttl
        if stale or any(e not in self._staff for e in extensions):
            users = await self.journal.people.users()
            self._staff = {u.extension: u for u in users if u.extension and u.is_active}
            self._staff_at = loop.time()
        return [self._staff.get(e) for e in extensions]

    async def _pop(self, call: ExtensionCall) -> None:
        try:
            dispatcher, executor = await self._by_extension(call.extension, call.peer_number)
            if dispatcher is None or dispatcher.role != Role.DISPATCHER or executor is None or executor.role != Role.EXECUTOR:
                return
            # The card pops at once; the executor's open tickets follow as its details.
            self.notify.screen_pop(call.extension, {
                "kind": "executor", "call_id": call.uniqueid, "caller_number": call.peer_number,
                "caller_name": executor.full_name, "executor_id": executor.id, "executor_name": executor.full_name,
            })
            now = utcnow()
            open_tickets = await self.journal.monitor.tickets(TicketFilter(executor_id=executor.id), now, limit=50)
            self.notify.card_details(call.extension, call.uniqueid, {
                "open_tickets": [{**ticket_card(t), "overdue": bool(t.next_due_at and t.next_due_at < now)}
                                 for t in open_tickets]})
            log.info("console.executor_pop", dispatcher=call.extension, executor=executor.login)
        except Exception:
            log.exception("console.executor_pop_failed", extension=call.extension)


class AmiCallback:
    """"Call back" from a card: ring the dispatcher's phone, then the resident (AMI Originate,
    never awaited on the path that reads events)."""

    def __init__(self, ami: AmiClient | OwnedAmi, *, context: str = "callback",
                 endpoint: str = "Local/{ext}@dispatchers") -> None:
        self.ami = ami
        self.context = context
        self.endpoint = endpoint  # the dispatcher's phone, as the voice menu rings it

    async def __call__(self, dispatcher_extension: str, resident_number: str) -> None:
        handle = self.ami.originate(self.endpoint.format(ext=dispatcher_extension), context=self.context,
                                    exten=resident_number,
                                    caller_id=f'"АДС" <{resident_number}>', timeout_ms=30000)
        log.info("console.callback_originated", extension=dispatcher_extension, action_id=handle.action_id)


def optional_text(value: object) -> str | None:
    return None if value is None else str(value)
