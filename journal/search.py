"""Journal search: the monitor's filters plus one search box (a phone, a ticket number, an
address or words of the description or transcript) and a choice of order, deadline first.

SQLite folds case for ASCII only, so a word is looked for as typed, in lower case and with a
capital first letter («ленина» finds «Ленина»); PostgreSQL does the same with ILIKE.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select

from .addresses import normalize_phone
from .db import Database
from .models import Building, Ticket
from .monitoring import TicketFilter

MAX_TERMS = 5
MAX_SPOKEN = 8  # digits of a ticket's sequence number


class Order(StrEnum):
    DUE = "due"  # the nearest deadline first (overdue at the top), tickets without one last
    RECEIVED = "received"  # newest first


def _variants(word: str) -> set[str]:
    return {word, word.lower(), word[:1].upper() + word[1:].lower()}


def _like_any(column: Any, word: str) -> ColumnElement[bool]:
    return or_(*(column.like(f"%{_escape(v)}%", escape="\\") for v in _variants(word)))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def term_condition(term: str) -> ColumnElement[bool]:
    """One word of the search box: it matches the phone, the number, the address or the text."""
    options: list[ColumnElement[bool]] = []
    digits = re.sub(r"\D", "", term)
    if digits and len(digits) >= 5:
        phone = normalize_phone(term) or digits
        options.append(Ticket.caller_phone.like(f"%{phone[-10:]}%"))
    if re.fullmatch(r"\d{4}-\d+", term):
        options.append(Ticket.number == term)
    elif term.isdigit() and len(term) <= MAX_SPOKEN:
        # The number as callers quote it ('124' for 2026-000124), whatever the zero padding.
        spoken = term.lstrip("0") or "0"
        options += [Ticket.number.like(f"%-{'0' * pad}{spoken}") for pad in range(MAX_SPOKEN - len(spoken) + 1)]
    streets = select(Building.id).where(_like_any(Building.street, term))
    options += [
        _like_any(Ticket.address_text, term), Ticket.building_id.in_(streets),
        _like_any(Ticket.description, term), _like_any(Ticket.transcript, term),
        _like_any(Ticket.caller_name, term),
    ]
    if re.fullmatch(r"\d+[а-яА-Яa-zA-Z]?", term):
        options.append(Ticket.building_id.in_(select(Building.id).where(Building.house == term)))
        options.append(Ticket.apartment == term)
    return or_(*options)


def terms(text: str | None) -> list[str]:
    words = [w.strip(",.;:«»\"'") for w in (text or "").split()]
    return [w for w in words if w][:MAX_TERMS]


class TicketSearch:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _conditions(self, f: TicketFilter, now: datetime, text: str | None) -> list[ColumnElement[bool]]:
        return [*f.conditions(now), *(term_condition(t) for t in terms(text))]

    async def tickets(self, f: TicketFilter, now: datetime, *, text: str | None = None, order: Order = Order.DUE,
                      limit: int = 50, offset: int = 0) -> Sequence[Ticket]:
        if order is Order.DUE:
            no_deadline = case((Ticket.next_due_at.is_(None), 1), else_=0)
            by: tuple[Any, ...] = (no_deadline, Ticket.next_due_at.asc(), Ticket.id.asc())
        else:
            by = (Ticket.received_at.desc(), Ticket.id.desc())
        stmt = select(Ticket).where(*self._conditions(f, now, text)).order_by(*by).limit(limit).offset(offset)
        async with self.db.read() as s:
            return (await s.execute(stmt)).scalars().all()

    async def count(self, f: TicketFilter, now: datetime, *, text: str | None = None) -> int:
        stmt = select(func.count()).select_from(Ticket).where(*self._conditions(f, now, text))
        async with self.db.read() as s:
            return int((await s.execute(stmt)).scalar_one())
