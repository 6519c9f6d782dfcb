"""The transcription worker end to end: a ticket registered with its recording gets its
transcript from the real recogniser; a broken recogniser leaves ticket and recording intact."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ivr.asr import LocalTranscriber, Transcript, VoskEngine, Word
from ivr.asr.grammar import Phrases
from ivr.transcription import TranscriptionWorker
from journal import Actor, ClaimedJob, Database, Journal, JournalConfig, NewTicket, SlaPolicy, TranscriptionQueue
from journal.models import Ticket


class Recorder:
    def __init__(self) -> None:
        self.ready: list[str] = []
        self.emergencies: list[tuple[str, tuple[str, ...]]] = []

    async def transcript_ready(self, ticket: Ticket) -> None:
        self.ready.append(ticket.number)

    async def emergency_detected(self, ticket: Ticket, reasons: Sequence[str]) -> None:
        self.emergencies.append((ticket.number, tuple(reasons)))

    def together(self) -> AbstractAsyncContextManager[object]:
        return nullcontext()


class FixedText:
    """A recogniser that 'hears' given Russian text: the Russian model cannot be installed here,
    and what this test checks is what the worker does with Russian words."""

    def __init__(self, text: str) -> None:
        self.text = text

    async def transcribe(self, path: Path | str) -> Transcript:
        assert Path(path).read_bytes().startswith(b"RIFF")  # it was handed the stored recording
        words = tuple(Word(w, i * 0.5, i * 0.5 + 0.4, 0.9) for i, w in enumerate(self.text.split()))
        return Transcript(self.text, words, 5.0, "fixed", "fixed")

    async def recognize_choice(self, path: Path | str, phrases: Phrases) -> tuple[str | None, float]:
        raise AssertionError("not used by the worker")

    async def close(self) -> None:
        return None


@pytest.fixture
async def journal(sqlite_template: Path, sla: SlaPolicy, tmp_path: Path) -> AsyncIterator[Journal]:
    import shutil

    db = tmp_path / "j.sqlite3"
    shutil.copy(sqlite_template, db)
    j = Journal.build(Database.from_url(f"sqlite+aiosqlite:///{db}"), sla, JournalConfig(), tmp_path / "files")
    j.transcription = TranscriptionQueue(j.db, max_attempts=2, backoff=timedelta(0))
    yield j
    await j.close()


async def _register(journal: Journal, wav: Path, category: str = "water") -> int:
    rec = await journal.calls.add_recording(call_id=None, name="call-1", data=wav.read_bytes())
    reg = await journal.tickets.register(NewTicket(channel="phone_ivr", category=category, actor=Actor.system("ivr"),
                                                   caller_phone="79161234567", recording_ids=[rec.id],
                                                   transcript_pending=True))
    return reg.ticket.id


async def test_real_recogniser_fills_the_ticket(journal: Journal, loaded_model: Path, speech: dict[str, Path]) -> None:
    ticket_id = await _register(journal, speech["long"])
    events = Recorder()
    worker = TranscriptionWorker(journal, LocalTranscriber(VoskEngine(loaded_model, 2)), events=events, poll_seconds=0.1)
    await worker.start()
    try:
        await worker.drain(120)
    finally:
        await worker.stop()
    t = await journal.tickets.get(ticket_id)
    assert t.transcript_status == "done" and t.transcript
    [rec] = await journal.tickets.recordings(ticket_id)
    words = json.loads(rec.words_json or "[]")
    assert words and all(0 <= w["start"] <= w["end"] for w in words)
    assert events.ready == [t.number]


async def test_words_fill_address_and_raise_an_emergency(journal: Journal, speech: dict[str, Path]) -> None:
    building = await journal.people.add_building("Садовая", "7", "2")
    ticket_id = await _register(journal, speech["yes"], category="water")
    events = Recorder()
    text = "в подвале прорвало трубу всё заливает вода хлещет садовая семь корпус два квартира пять"
    worker = TranscriptionWorker(journal, FixedText(text), events=events, poll_seconds=0.1)
    await worker.start()
    try:
        await worker.drain(30)
    finally:
        await worker.stop()
    t = await journal.tickets.get(ticket_id)
    assert (t.building_id, t.apartment, t.priority) == (building.id, "5", "emergency")
    assert t.suggested_category == "water" and t.transcript == text
    assert t.address_text == "садовая, д. 7, корп. 2, кв. 5"
    # The deadlines follow the new priority: localise within 30 minutes.
    assert t.localize_due_at == t.received_at + timedelta(minutes=30)
    assert events.emergencies and events.emergencies[0][0] == t.number


async def test_missing_model_fails_the_job_not_the_ticket(journal: Journal, speech: dict[str, Path], tmp_path: Path) -> None:
    ticket_id = await _register(journal, speech["yes"])
    events = Recorder()
    worker = TranscriptionWorker(journal, LocalTranscriber(VoskEngine(tmp_path / "no-model", 1)), events=events,
                                 poll_seconds=0.05)
    await worker.start()
    try:
        await worker.drain(30)
    finally:
        await worker.stop()
    t = await journal.tickets.get(ticket_id)
    assert t.transcript_status == "failed" and "Vosk model not found" in (t.transcript_error or "")
    assert events.ready == [t.number]  # pushed once, when it gave up: the open card says so
    assert t.status == "new" and len(await journal.tickets.recordings(ticket_id)) == 1


async def test_two_equally_near_buildings_are_offered_not_guessed(journal: Journal, speech: dict[str, Path]) -> None:
    await journal.people.add_building("Лесная", "16")
    await journal.people.add_building("Лесной", "16", street_type="переулок")
    ticket_id = await _register(journal, speech["yes"], category="water")
    worker = TranscriptionWorker(journal, FixedText("кран течёт улица лесн дом шестнадцать квартира два"), poll_seconds=0.1)
    await worker.start()
    try:
        await worker.drain(30)
    finally:
        await worker.stop()
    t = await journal.tickets.get(ticket_id)
    assert t.building_id is None
    assert t.address_text is not None and "уточнить:" in t.address_text
    assert "улица Лесная, д. 16" in t.address_text and "переулок Лесной, д. 16" in t.address_text


async def test_a_stop_that_lands_with_a_wake_still_stops_the_worker(journal: Journal) -> None:
    # On Python 3.11, asyncio.wait_for returned the wake and dropped the cancellation: the worker
    # polled on and stop() waited forever.
    claims = 0
    claim = journal.transcription.claim

    async def counted(limit: int, **lease: Any) -> list[ClaimedJob]:
        nonlocal claims
        claims += 1
        return list(await claim(limit, **lease))

    journal.transcription.claim = counted  # type: ignore[method-assign]
    worker = TranscriptionWorker(journal, FixedText("тишина"), events=Recorder(), poll_seconds=60)
    await worker.start()
    async with asyncio.timeout(2):
        while claims == 0:
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # nothing queued: the worker waits for a wake or the next poll
    worker.wake()
    async with asyncio.timeout(2):
        await worker.stop()
    assert claims == 1
