"""The dispatchers' shift: where it begins and ends, and the notes one shift leaves the next.

Shift changes are local times of day («08:00,20:00»); a shift runs from one change to the next.
Notes are kept in the journal's settings (``handover:notes``, the last ``KEEP``), each with its
author and time, so the next shift reads them after any restart; writing one is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .admin_settings import AdminSettings
from .analytics import Period
from .clock import utcnow
from .errors import InvalidValue
from .history import Actor
from .schedule import parse_hhmm

NOTES_KEY = "handover:notes"
KEEP = 20
MAX_NOTE = 2000


def shift_changes(text: str) -> list[time]:
    """«08:00,20:00» -> the times, sorted; at least one."""
    found = sorted({parse_hhmm(part.strip()) for part in text.split(",") if part.strip()})
    if not found:
        raise InvalidValue("shift_changes", "needs at least one time of day, e.g. 08:00")
    return [time(m // 60, m % 60) for m in found]


def shift_at(at: datetime, tz: ZoneInfo, changes: list[time]) -> Period:
    """The shift ``at`` falls in: from the last change at or before it to the next one."""
    local = at.astimezone(tz)
    starts = [datetime.combine(local.date() + timedelta(days=d), t, tz) for d in (-1, 0, 1) for t in changes]
    start = max(s for s in starts if s <= local)
    end = min(s for s in starts if s > local)
    return Period(start, end)


@dataclass(frozen=True)
class Note:
    at: datetime
    author: str
    author_id: int | None
    text: str


async def notes(settings: AdminSettings) -> list[Note]:
    """Newest first."""
    raw = await settings.get(NOTES_KEY, [])
    return [Note(datetime.fromisoformat(n["at"]), n["author"], n.get("author_id"), n["text"]) for n in raw]


async def add_note(settings: AdminSettings, actor: Actor, text: str) -> Note:
    text = text.strip()
    if not text:
        raise InvalidValue("text", "is empty")
    if len(text) > MAX_NOTE:
        raise InvalidValue("text", f"is longer than {MAX_NOTE} characters")
    note = Note(utcnow(), actor.label, actor.user_id, text)
    kept = await settings.get(NOTES_KEY, [])
    entry = {"at": note.at.isoformat(), "author": note.author, "author_id": note.author_id, "text": note.text}
    await settings.set(actor, NOTES_KEY, [entry, *kept][:KEEP], summary="handover note")
    return note
