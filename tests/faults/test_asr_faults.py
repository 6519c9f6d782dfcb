"""The recogniser missing or crashing: tickets are intact; a crashed transcription is marked
failed on the ticket with its reason; with no model the jobs wait (durably) for one."""

from __future__ import annotations

from sqlalchemy import select

from bench.faults import model_missing, recogniser_crashes
from bench.load_day import Day
from journal.models import Ticket
from tests.faults.conftest import run


async def tickets(day: Day) -> list[Ticket]:
    assert day.runtime is not None
    async with day.runtime.journal.db.read() as s:
        return list((await s.execute(select(Ticket).where(Ticket.channel == "phone_ivr"))).scalars().all())


async def test_crashing_recogniser_marks_transcripts_failed_with_the_reason(small_day: Day) -> None:
    recogniser_crashes(small_day)  # the real model is loaded, then its decoder crashes on every file
    assert small_day.opts.asr == "vosk"
    report = await run(small_day)
    assert report.ok
    assert small_day.runtime is not None and small_day.runtime.worker is not None
    await small_day.runtime.worker.drain(30)
    made = await tickets(small_day)
    assert made
    assert {t.transcript_status for t in made} == {"failed"}
    assert all("recogniser crashed" in (t.transcript_error or "") for t in made)


async def test_missing_model_keeps_tickets_and_queues_transcripts(small_day: Day) -> None:
    model_missing(small_day)
    report = await run(small_day)
    assert report.ok
    assert small_day.runtime is not None and small_day.runtime.worker is None
    made = await tickets(small_day)
    assert made and {t.transcript_status for t in made} == {"pending"}
    assert await small_day.runtime.journal.transcription.pending_count() == len(made)
