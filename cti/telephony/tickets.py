"""Tickets as the console shows them: the registered-ticket message, the card fields, and
the transcription worker's events that fill open cards live."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import structlog

from cti.console import labels, serialize
from cti.console.hub import ConsoleHub
from cti.console.messages import TicketRegistered
from cti.console.notifier import ConsoleNotifier
from journal.db import Database
from journal.models import Ticket

log = structlog.get_logger(__name__)


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

    def __init__(self, hub: ConsoleHub, db: Database) -> None:
        self.notify = ConsoleNotifier(hub)
        self.db = db

    def together(self) -> AbstractAsyncContextManager[object]:
        return self.notify.together(self.db)

    async def transcript_ready(self, ticket: Ticket) -> None:
        self.notify.ticket_updated(ticket.id, source="asr",
                                   **{k: v for k, v in ticket_card(ticket).items() if k != "ticket_id"})

    async def emergency_detected(self, ticket: Ticket, reasons: Sequence[str]) -> None:
        self.notify.screen_pop(None, {**ticket_card(ticket), "emergency": True, "kind": "emergency_detected",
                                   "reasons": [labels.EMERGENCY_REASON.get(r, r) for r in reasons],
                                   "caller_number": ticket.caller_phone,
                                   "caller_name": ticket.caller_name})


def optional_text(value: object) -> str | None:
    return None if value is None else str(value)
