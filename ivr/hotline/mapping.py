"""Translations between the voice menu's words and the journal's."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from journal.models import Ticket

from ..flow import Category, DeadlineBy, DeadlineWithin, TicketStatus
from ..flow.events import Deadline

FLOW_TO_JOURNAL = {
    Category.WATER_SEWER: "water",
    Category.HEATING: "heating",
    Category.ELECTRICITY: "electricity",
    Category.LIFT: "elevator",
    Category.YARD: "cleaning",
    Category.COMMON_PROPERTY: "common_property",
}
JOURNAL_TO_FLOW = {v: k for k, v in FLOW_TO_JOURNAL.items()} | {
    "sewer": Category.WATER_SEWER,
    "roof": Category.COMMON_PROPERTY,
}
STATUS_TO_FLOW = {
    "new": TicketStatus.NEW,
    "accepted": TicketStatus.NEW,
    "reopened": TicketStatus.NEW,
    "assigned": TicketStatus.ASSIGNED,
    "in_progress": TicketStatus.IN_PROGRESS,
    "postponed": TicketStatus.POSTPONED,
    "done": TicketStatus.DONE,
}


def journal_category(category: Category | None) -> str:
    # No key chosen (emergency, a caller put through): the dispatcher or the transcript decides.
    return FLOW_TO_JOURNAL.get(category, "other") if category is not None else "other"


def spoken_number(number: str) -> str:
    """What the caller hears and quotes back: the year's sequence without leading zeros
    ('2026-000124' -> '124'); dispatchers find it by that within the year."""
    return number.split("-", 1)[-1].lstrip("0") or "0"


def deadline_for(ticket: Ticket, now: datetime, tz: ZoneInfo) -> Deadline | None:
    due = ticket.next_due_at or ticket.due_at
    if due is None:
        return None
    left = due - now
    if left <= timedelta(hours=48):
        return DeadlineWithin(hours=max(1, math.ceil(left.total_seconds() / 3600)))
    return DeadlineBy(day=due.astimezone(tz).date())


def deadline_text(ticket: Ticket, tz: ZoneInfo) -> str:
    due = ticket.next_due_at or ticket.due_at
    return due.astimezone(tz).strftime("%d.%m.%Y %H:%M") if due else ""
