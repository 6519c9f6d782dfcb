"""The recogniser missing or crashing: tickets are intact; a crashed transcription is marked
failed on the ticket with its reason; with no model the jobs wait (durably) for one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bench.load_day import Day
from cti.runtime import Runtime
from cti.settings import Settings
from ivr.asr.base import Transcriber
from ivr.asr.transcript import Transcript
from journal.models import Ticket
from tests.faults.conftest import run


class CrashingRecogniser:
    """Vosk's decoder dying on a file (a segfault in a worker process would look the same to us)."""

    async def transcribe(self, path: Path | str) -> Transcript:
        raise RuntimeError("recogniser crashed: kaldi decoder aborted")

    async def recognize_choice(self, path: Path | str, phrases: object) -> tuple[str | None, float]:
        raise RuntimeError("recogniser crashed: kaldi decoder aborted")

    async def close(self) -> None:
        return None


async def tickets(day: Day) -> list[Ticket]:
    assert day.runtime is not None
    async with day.runtime.journal.db.read() as s:
        return list((await s.execute(select(Ticket).where(Ticket.channel == "phone_ivr"))).scalars().all())


async def test_crashing_recogniser_marks_transcripts_failed_with_the_reason(small_day: Day) -> None:
    def crash(runtime: Runtime) -> None:
        assert runtime.worker is not None
        crashing: Transcriber = CrashingRecogniser()
        runtime.worker.transcriber = crashing
        runtime.journal.transcription.backoff = timedelta(0)

    small_day.opts.asr = "vosk"
    small_day.on_service = crash
    report = await run(small_day)
    assert report.ok
    assert small_day.runtime is not None and small_day.runtime.worker is not None
    await small_day.runtime.worker.drain(30)
    made = await tickets(small_day)
    assert made
    assert {t.transcript_status for t in made} == {"failed"}
    assert all("recogniser crashed" in (t.transcript_error or "") for t in made)


async def test_missing_model_keeps_tickets_and_queues_transcripts(small_day: Day, tmp_path: Path) -> None:
    def no_model(s: Settings) -> None:
        s.asr.backend, s.asr.model_dir = "local", str(tmp_path / "no-such-model")

    small_day.on_settings = no_model
    report = await run(small_day)
    assert report.ok
    assert small_day.runtime is not None and small_day.runtime.worker is None
    made = await tickets(small_day)
    assert made and {t.transcript_status for t in made} == {"pending"}
    assert await small_day.runtime.journal.transcription.pending_count() == len(made)
