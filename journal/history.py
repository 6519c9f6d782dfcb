"""Who did it, and the append-only history rows every change leaves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from .clock import utcnow
from .enums import HistoryKind
from .models import Ticket, TicketHistory


@dataclass(frozen=True)
class Actor:
    """A staff member (``user_id``) or a part of the system (``user_id`` None, e.g. 'ivr')."""

    label: str
    user_id: int | None = None

    @classmethod
    def system(cls, part: str) -> Actor:
        return cls(label=f"system:{part}")


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def record(
    session: AsyncSession,
    ticket: Ticket,
    actor: Actor,
    kind: HistoryKind,
    *,
    field: str | None = None,
    before: object = None,
    after: object = None,
    text: str | None = None,
    public: bool = True,
    at: datetime | None = None,
) -> TicketHistory:
    row = TicketHistory(
        ticket_id=ticket.id,
        at=at or utcnow(),
        actor_id=actor.user_id,
        actor=actor.label,
        kind=kind.value,
        field=field,
        before=_text(before),
        after=_text(after),
        text=text,
        public=public,
    )
    session.add(row)
    return row
