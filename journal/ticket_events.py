"""Ticket history read as an outbox: consumers (status notifications, feedback calls) follow
it by id, so nothing in the ticket service has to know about them, and a consumer that was
down picks up where its durable cursor says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from .db import Database
from .enums import HistoryKind, Status
from .models import Ticket, TicketHistory

REGISTERED = "registered"
ASSIGNED = "assigned"
COMPLETED = "completed"
CLOSED = "closed"


@dataclass(frozen=True)
class TicketEvent:
    history_id: int
    ticket_id: int
    event: str  # registered | assigned | completed | closed
    at: datetime
    ticket_number: str
    phone: str | None
    status: str
    executor_id: int | None
    next_due_at: datetime | None


def classify(kind: str, field: str | None, after: str | None) -> str | None:
    if kind == HistoryKind.CREATED:
        return REGISTERED
    if kind == HistoryKind.ASSIGNMENT and field == "executor_id" and after:
        return ASSIGNED
    if kind == HistoryKind.STATUS and after == Status.DONE:
        return COMPLETED
    if kind == HistoryKind.STATUS and after == Status.CLOSED:
        return CLOSED
    if kind == HistoryKind.HANDOVER:
        return None
    return None


async def last_history_id(db: Database, *, before: datetime | None = None) -> int:
    """The newest history row (of those written before ``before``), or 0."""
    stmt = select(func.coalesce(func.max(TicketHistory.id), 0))
    if before is not None:
        stmt = stmt.where(TicketHistory.at < before)
    async with db.read() as s:
        return int((await s.execute(stmt)).scalar_one())


async def events_after(db: Database, cursor: int, *, limit: int = 500) -> tuple[list[TicketEvent], int]:
    """Events of the history rows after ``cursor``, and the new cursor (the last row read)."""
    kinds = (HistoryKind.CREATED.value, HistoryKind.ASSIGNMENT.value, HistoryKind.STATUS.value)
    async with db.read() as s:
        stmt = (
            select(TicketHistory.id, TicketHistory.kind, TicketHistory.field, TicketHistory.after, TicketHistory.at,
                   Ticket.id, Ticket.number, Ticket.caller_phone, Ticket.status, Ticket.executor_id, Ticket.next_due_at)
            .join(Ticket, Ticket.id == TicketHistory.ticket_id)
            .where(TicketHistory.id > cursor, TicketHistory.kind.in_(kinds))
            .order_by(TicketHistory.id).limit(limit)
        )
        rows = (await s.execute(stmt)).all()
    out = []
    for hid, kind, field, after, at, tid, number, phone, status, executor_id, due in rows:
        event = classify(kind, field, after)
        if event is not None:
            out.append(TicketEvent(hid, tid, event, at, number, phone, status, executor_id, due))
    return out, (rows[-1][0] if rows else cursor)
