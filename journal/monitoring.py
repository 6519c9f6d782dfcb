"""Monitoring queries of the dispatch service: what is open, late, about to be late, unassigned,
and what a caller asked for before. Every query here is served by an index (see models.Ticket)
and is measured on a million tickets by bench/journal_bench.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, or_, select

from .addresses import normalize_phone
from .db import Database
from .enums import Channel
from .models import Ticket

GroupBy = Literal["category", "building", "executor", "priority", "status"]

_GROUP_COLUMNS: dict[str, Any] = {
    "category": Ticket.category,
    "building": Ticket.building_id,
    "executor": Ticket.executor_id,
    "priority": Ticket.priority,
    "status": Ticket.status,
}


@dataclass(frozen=True)
class TicketFilter:
    open_only: bool = True
    received_from: datetime | None = None
    received_to: datetime | None = None
    category: str | None = None
    building_id: int | None = None
    executor_id: int | None = None
    unassigned: bool = False
    overdue: bool = False
    due_within: timedelta | None = None
    status: str | None = None
    priority: str | None = None
    # Training tickets (channel 'training') are never monitored with the real ones: False shows
    # only real tickets, True only training ones (which are never open: use open_only=False).
    training: bool = False

    def conditions(self, now: datetime) -> list[ColumnElement[bool]]:
        c: list[ColumnElement[bool]] = []
        if self.open_only:
            # Rendered "is_open = 1" on SQLite and "is_open" on PostgreSQL: exactly the partial
            # indexes' conditions (models.OPEN_SQLITE / OPEN_PG), so the planner can use them.
            c.append(Ticket.is_open.expression)
        if self.received_from is not None:
            c.append(Ticket.received_at >= self.received_from)
        if self.received_to is not None:
            c.append(Ticket.received_at < self.received_to)
        if self.category is not None:
            c.append(Ticket.category == self.category)
        if self.building_id is not None:
            c.append(Ticket.building_id == self.building_id)
        if self.executor_id is not None:
            c.append(Ticket.executor_id == self.executor_id)
        if self.unassigned:
            c.append(Ticket.executor_id.is_(None))
        if self.overdue:
            c.append(Ticket.next_due_at < now)
        if self.due_within is not None:
            c.append(Ticket.next_due_at >= now)
            c.append(Ticket.next_due_at < now + self.due_within)
        if self.status is not None:
            c.append(Ticket.status == self.status)
        if self.priority is not None:
            c.append(Ticket.priority == self.priority)
        if self.training or not self.open_only:
            # Open tickets are never training ones (tickets.register), so the open-ticket queries
            # need no channel condition and keep their index-only plans.
            c.append(_training_condition(self.training))
        return c

    @property
    def by_deadline(self) -> bool:
        return self.overdue or self.due_within is not None


def _training_condition(training: bool) -> ColumnElement[bool]:
    return (Ticket.channel == Channel.TRAINING.value) if training else (Ticket.channel != Channel.TRAINING.value)


class Monitor:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _select(self, f: TicketFilter, now: datetime) -> Select[Ticket]:
        order = (Ticket.next_due_at.asc(), Ticket.id.asc()) if f.by_deadline else (Ticket.received_at.desc(), Ticket.id.desc())
        return select(Ticket).where(*f.conditions(now)).order_by(*order)

    async def tickets(self, f: TicketFilter, now: datetime, *, limit: int = 50, offset: int = 0) -> Sequence[Ticket]:
        async with self.db.read() as s:
            return (await s.execute(self._select(f, now).limit(limit).offset(offset))).scalars().all()

    async def count(self, f: TicketFilter, now: datetime) -> int:
        async with self.db.read() as s:
            stmt = select(func.count()).select_from(Ticket).where(*f.conditions(now))
            return int((await s.execute(stmt)).scalar_one())

    async def open_counts(
        self, by: GroupBy, *, received_from: datetime | None = None, received_to: datetime | None = None
    ) -> list[tuple[Any, int]]:
        """Open tickets grouped by category, building, executor, priority or status."""
        column = _GROUP_COLUMNS[by]
        f = TicketFilter(received_from=received_from, received_to=received_to)
        async with self.db.read() as s:
            stmt = (
                select(column, func.count())
                .where(*f.conditions(datetime.min))
                .group_by(column)
                .order_by(func.count().desc())
            )
            return [(key, int(n)) for key, n in (await s.execute(stmt)).all()]

    async def overdue(self, now: datetime, *, limit: int = 50) -> Sequence[Ticket]:
        return await self.tickets(TicketFilter(overdue=True), now, limit=limit)

    async def due_within(self, now: datetime, minutes: int, *, limit: int = 50) -> Sequence[Ticket]:
        return await self.tickets(TicketFilter(due_within=timedelta(minutes=minutes)), now, limit=limit)

    async def unassigned(self, now: datetime, *, limit: int = 50) -> Sequence[Ticket]:
        return await self.tickets(TicketFilter(unassigned=True), now, limit=limit)

    async def caller_history(
        self, *, phone: str | None, building_id: int | None, limit: int = 20, training: bool = False
    ) -> Sequence[Ticket]:
        """The caller's previous tickets by phone and by address, newest first, in one query."""
        conditions = []
        norm = normalize_phone(phone)
        if norm:
            conditions.append(Ticket.caller_phone == norm)
        if building_id is not None:
            conditions.append(Ticket.building_id == building_id)
        if not conditions:
            return []
        async with self.db.read() as s:
            stmt = select(Ticket).where(or_(*conditions), _training_condition(training)).order_by(Ticket.received_at.desc()).limit(limit)
            return (await s.execute(stmt)).scalars().all()
