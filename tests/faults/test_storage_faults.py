"""The journal's storage misbehaving mid-burst: another process holds the SQLite write lock for
seconds; the recordings disk is full. Every call still ends as a ticket or a missed-call record."""

from __future__ import annotations

from sqlalchemy import select

from bench.faults import recordings_disk_full, write_lock_held
from bench.load_day import Day
from journal.models import Ticket
from tests.faults.conftest import run


async def test_database_write_lock_held_by_another_process_delays_but_loses_nothing(small_day: Day) -> None:
    report = await run(small_day, write_lock_held(small_day, after=0.5, seconds=4.0))
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert report.handled == report.placed == 30


async def test_full_recordings_disk_still_registers_tickets_with_a_note(small_day: Day) -> None:
    recordings_disk_full(small_day)
    report = await run(small_day)
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert small_day.runtime is not None
    async with small_day.runtime.journal.db.read() as s:
        ivr = (await s.execute(select(Ticket).where(Ticket.channel == "phone_ivr"))).scalars().all()
    assert ivr, "callers who described a problem still got a ticket"
    assert all("запись обращения не сохранена" in (t.description or "") for t in ivr)
    assert all(t.transcript_status == "none" for t in ivr)
