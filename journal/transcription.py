"""A durable queue of recordings to transcribe.

Jobs are rows, created in the same transaction as the ticket they serve, so a crash between
"ticket registered" and "transcription started" loses nothing. A worker claims due jobs, and on
failure a job is retried with backoff a bounded number of times; after the last failure the
ticket keeps its recording and says why its transcript is missing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import history
from .clock import utcnow
from .db import Database
from .enums import HistoryKind, TranscriptStatus
from .history import Actor
from .models import Recording, Ticket, TranscriptionJob

log = structlog.get_logger(__name__)
ASR = Actor.system("asr")


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    recording_id: int
    ticket_id: int | None
    attempt: int
    recording_path: str
    recording_name: str


class TranscriptionQueue:
    def __init__(self, db: Database, *, max_attempts: int = 3, backoff: timedelta = timedelta(seconds=30)) -> None:
        self.db = db
        self.max_attempts = max_attempts
        self.backoff = backoff

    async def enqueue(self, recording_id: int, ticket_id: int | None) -> int:
        async with self.db.write() as s:
            existing = (
                await s.execute(select(TranscriptionJob).where(TranscriptionJob.recording_id == recording_id))
            ).scalar_one_or_none()
            if existing is not None:
                return existing.id
            job = TranscriptionJob(recording_id=recording_id, ticket_id=ticket_id, status="pending")
            s.add(job)
            await s.flush()
            return job.id

    async def recover(self) -> int:
        """Jobs a killed process left running go back to the queue (one worker process owns it);
        returns how many. A job that was already on its last attempt fails with the reason
        instead: a recording that brings the recogniser, and the service with it, down would
        otherwise do so again on every start, for ever."""
        now = utcnow()
        async with self.db.write() as s:
            running = select(TranscriptionJob).where(TranscriptionJob.status == "running")
            rows = (await s.execute(running)).scalars().all()
            requeued = 0
            for row in rows:
                row.updated_at = now
                if row.attempts < self.max_attempts:
                    row.status = "pending"
                    requeued += 1
                else:
                    reason = f"служба останавливалась во время расшифровки, попыток: {row.attempts}"
                    await self._give_up(s, row, reason, now)
            return requeued

    async def claim(self, limit: int, now: datetime | None = None) -> list[ClaimedJob]:
        now = now or utcnow()
        async with self.db.write() as s:
            rows = (
                await s.execute(
                    select(TranscriptionJob, Recording)
                    .join(Recording, Recording.id == TranscriptionJob.recording_id)
                    .where(TranscriptionJob.status == "pending", TranscriptionJob.next_attempt_at <= now)
                    .order_by(TranscriptionJob.next_attempt_at, TranscriptionJob.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            claimed = []
            for job, rec in rows:
                job.status = "running"
                job.attempts += 1
                job.updated_at = now
                claimed.append(ClaimedJob(job.id, rec.id, job.ticket_id, job.attempts, rec.path, rec.name))
            return claimed

    async def pending_count(self) -> int:
        async with self.db.read() as s:
            stmt = select(func.count()).select_from(TranscriptionJob).where(
                TranscriptionJob.status.in_(("pending", "running"))
            )
            return int((await s.execute(stmt)).scalar_one())

    async def complete(
        self, job: ClaimedJob, *, text: str, words: Sequence[dict[str, Any]] | None = None,
        suggested_category: str | None = None, suggested_confidence: float | None = None,
    ) -> Ticket | None:
        now = utcnow()
        async with self.db.write() as s:
            row = await s.get(TranscriptionJob, job.id)
            rec = await s.get(Recording, job.recording_id)
            assert row is not None and rec is not None
            row.status = "done"
            row.last_error = None
            row.updated_at = now
            rec.transcript = text
            rec.words_json = json.dumps(list(words or []), ensure_ascii=False)
            if job.ticket_id is None:
                return None
            ticket = (await s.execute(select(Ticket).where(Ticket.id == job.ticket_id).with_for_update())).scalar_one()
            ticket.transcript = text if not ticket.transcript else f"{ticket.transcript}\n{text}"
            ticket.transcript_status = TranscriptStatus.DONE.value
            ticket.transcript_error = None
            if suggested_category is not None:
                ticket.suggested_category = suggested_category
                ticket.suggested_category_confidence = suggested_confidence
            ticket.updated_at = now
            history.record(s, ticket, ASR, HistoryKind.TRANSCRIPT, field="transcript", after=rec.name,
                           text=text or "(пустая запись)", public=False, at=now)
            log.info("transcription.done", ticket_id=ticket.id, ticket=ticket.number, recording=rec.name)
            return ticket

    async def fail(self, job: ClaimedJob, reason: str) -> bool:
        """Record a failure; True if the job will be retried, False if it gave up."""
        now = utcnow()
        async with self.db.write() as s:
            row = await s.get(TranscriptionJob, job.id)
            assert row is not None
            row.last_error = reason
            row.updated_at = now
            if row.attempts < self.max_attempts:
                row.status = "pending"
                row.next_attempt_at = now + self.backoff * (2 ** (row.attempts - 1))
                log.warning("transcription.retry", job_id=job.id, attempt=row.attempts, reason=reason)
                return True
            await self._give_up(s, row, reason, now)
            return False

    @staticmethod
    async def _give_up(s: AsyncSession, row: TranscriptionJob, reason: str, now: datetime) -> None:
        """No more attempts: the job fails, and its ticket says why it has no transcript."""
        row.status = "failed"
        row.last_error = reason
        if row.ticket_id is not None:
            ticket = (await s.execute(select(Ticket).where(Ticket.id == row.ticket_id).with_for_update())).scalar_one()
            ticket.transcript_status = TranscriptStatus.FAILED.value
            ticket.transcript_error = reason
            ticket.updated_at = now
            history.record(s, ticket, ASR, HistoryKind.TRANSCRIPT, field="transcript_status",
                           after=TranscriptStatus.FAILED.value, text=reason, public=False, at=now)
        log.error("transcription.failed", job_id=row.id, ticket_id=row.ticket_id, reason=reason)
