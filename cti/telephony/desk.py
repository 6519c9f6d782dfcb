"""The console's side of telephony: who may take a call, what pops on whose screen, and
clicking "call back". Adapters only: they translate telephony events into hub messages."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict
from typing import Any

import structlog

from cti.console import serialize
from cti.console.hub import ConsoleHub
from cti.console.notifier import ConsoleNotifier
from cti.telephony.tickets import optional_text, registered_message, ticket_card
from ivr.ami import CallTracker
from ivr.hotline import CallCard
from journal import Journal, Role
from journal.presence import presence_of_all, takes_calls

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
            self.tickets.pop(call_id, None)
            for ext, cid in list(self.talking.items()):
                if cid == call_id:
                    del self.talking[ext]
        extra: dict[str, Any] = {k: v for k, v in info.items()
                                 if k not in {"caller_number", "caller_name", "dispatcher", "ticket_id"}}
        self.notify.call_state(
            call_id, state, caller_number=optional_text(info.get("caller_number")), caller_name=optional_text(info.get("caller_name")),
            extension=optional_text(extension), ticket_id=ticket_id, **extra,
        )

    def together(self) -> AbstractAsyncContextManager[object]:
        return self.notify.together(self.journal.db)

    async def ticket_registered(self, call_id: str, ticket_id: int) -> None:
        """The voice menu registered a ticket: the work queue of every console shows it. In the
        registration's transaction (``together``), a step of its own: a failure here undoes
        only itself, never the ticket."""
        self.tickets[call_id] = ticket_id
        try:
            async with self.journal.db.savepoint():
                ticket = await self.journal.tickets.get(ticket_id)
                lk = await serialize.Lookups.load(self.journal)
                self.notify.ticket_registered(registered_message(ticket, lk, call_id))
        except Exception:
            log.exception("console.ticket_registered_failed", call_id=call_id, ticket_id=ticket_id)

    async def ticket_changed(self, ticket_id: int, change: str) -> None:
        """A ticket changed on the phone (the executors' line, the residents' rating call)."""
        try:
            async with self.journal.db.savepoint():
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
