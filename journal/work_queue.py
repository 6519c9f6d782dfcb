"""The dispatchers' work queue: tickets the voice menu made that no person has handled yet.

"Handled" means a person (an actor with a user id) has touched the ticket: accepted it,
assigned or edited it, commented. The voice menu and the automatic assignment act as the system
(no user id), so a ticket they made and assigned still waits for a dispatcher to look at it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, case, exists, func, select

from .db import Database
from .enums import Channel
from .models import Ticket, TicketHistory


def _handled() -> ColumnElement[bool]:
    return exists().where(TicketHistory.ticket_id == Ticket.id, TicketHistory.actor_id.is_not(None))


def _unhandled_conditions() -> list[ColumnElement[bool]]:
    return [Ticket.is_open.expression, Ticket.channel == Channel.PHONE_IVR.value, ~_handled()]


class WorkQueue:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def unhandled(self, *, limit: int = 20) -> Sequence[Ticket]:
        """Open voice-menu tickets nobody has handled: emergencies first, then the oldest."""
        emergency_first = case((Ticket.priority == "emergency", 0), else_=1)
        stmt = (select(Ticket).where(*_unhandled_conditions())
                .order_by(emergency_first, Ticket.received_at.asc(), Ticket.id.asc()).limit(limit))
        async with self.db.read() as s:
            return (await s.execute(stmt)).scalars().all()

    async def unhandled_count(self) -> int:
        async with self.db.read() as s:
            stmt = select(func.count()).select_from(Ticket).where(*_unhandled_conditions())
            return int((await s.execute(stmt)).scalar_one())

    async def handled(self, ticket_id: int) -> bool:
        """Whether a person has touched this ticket (the card offers «Принять» until then)."""
        async with self.db.read() as s:
            stmt = select(exists().where(TicketHistory.ticket_id == ticket_id, TicketHistory.actor_id.is_not(None)))
            return bool((await s.execute(stmt)).scalar())
