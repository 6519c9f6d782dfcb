"""Передача смены: the shift's bounds, its summary page, and the note one shift leaves the next."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from journal import Actor, Journal
from journal.errors import InvalidValue
from journal.handover import KEEP, add_note, notes, shift_at, shift_changes
from tests.console.conftest import Session, Staff, make_ticket

MakeSession = Callable[[str], Awaitable[Session]]
MSK = ZoneInfo("Europe/Moscow")


def test_a_shift_runs_from_one_change_to_the_next_across_midnight() -> None:
    changes = shift_changes("20:00, 08:00")
    night = shift_at(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), MSK, changes)  # 02:30 in Moscow
    assert night.start == datetime(2026, 12, 1, 20, 0, tzinfo=MSK)
    assert night.end == datetime(2026, 12, 2, 8, 0, tzinfo=MSK)
    day = shift_at(datetime(2026, 12, 2, 5, 0, tzinfo=UTC), MSK, changes)  # 08:00 sharp: the day shift
    assert (day.start, day.end) == (datetime(2026, 12, 2, 8, 0, tzinfo=MSK), datetime(2026, 12, 2, 20, 0, tzinfo=MSK))
    one = shift_at(datetime(2026, 12, 2, 5, 0, tzinfo=UTC), MSK, shift_changes("09:00"))  # 24-hour shifts
    assert (one.end - one.start).total_seconds() == 24 * 3600
    with pytest.raises(InvalidValue):
        shift_changes(" , ")


async def test_notes_are_kept_newest_first_and_bounded(web_journal: Journal, staff: Staff) -> None:
    actor = Actor("Петрова О. И.", staff["petrova"])
    for i in range(KEEP + 3):
        await add_note(web_journal.settings, actor, f"заметка {i}")
    kept = await notes(web_journal.settings)
    assert len(kept) == KEEP and kept[0].text == f"заметка {KEEP + 2}" and kept[0].author == "Петрова О. И."
    with pytest.raises(InvalidValue):
        await add_note(web_journal.settings, actor, "   ")


async def test_the_shift_page_sums_up_and_the_note_reaches_the_next_shift(
        browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    await make_ticket(web_journal)
    day = await browser_session("petrova")
    async with day.http.get(day.url("/shift")) as r:
        html = await r.text()
    assert r.status == 200 and "Передача смены" in html and "Остаётся следующей смене" in html
    assert "Заявки: Всего" in html and "Открыты" in html
    status, body = await day.api("POST", "/api/shift/notes", {"text": "Мира 23: течь в подвале, слесарь в пути"})
    assert status == 201 and isinstance(body, dict) and body["author"] == "Петрова О. И."
    status, error = await day.api("POST", "/api/shift/notes", {"text": ""})
    assert status == 400 and isinstance(error, dict) and "следующей смены" in error["error"]

    night = await browser_session("ivanov")
    status, latest = await night.api("GET", "/api/shift/notes/latest")
    assert status == 200 and isinstance(latest, dict)
    assert latest["text"] == "Мира 23: течь в подвале, слесарь в пути"
    async with night.http.get(night.url("/shift")) as r:
        assert "Мира 23: течь в подвале" in await r.text()
    entries = await web_journal.audit.entries(limit=10)
    assert any(e.summary == "handover note" for e in entries)
