"""A durable queue of recordings to transcribe.

Jobs are rows, created in the same transaction as the ticket they serve, so a crash between
"ticket registered" and "transcription started" loses nothing. A worker claims due jobs, and on
failure a job is retried with backoff a bounded number of times; after the last failure the
ticket keeps its recording and says why its transcript is missing.

Any number of workers (processes, machines) may share the queue. A claim is a lease: the job
records its worker and until when it holds it (``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two workers never take one job; SQLite runs one writer at a time, so its claim is
atomic anyway). The worker renews the lease while it decodes; a lease that runs out means the
worker died, and the next claim hands the job to another. The transcript is written only by the
worker that still holds the lease (same worker, same attempt), so it is written once.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from . import history
from .clock import utcnow
from .db import Database
from .enums import HistoryKind, TranscriptStatus
from .history import Actor
from .models import Recording, Ticket, TranscriptionJob

log = structlog.get_logger(__name__)
ASR = Actor.system("asr")
DEFAULT_LEASE = timedelta(seconds=60)
DIED_REASON = "служба останавливалась во время расшифровки, попыток: {attempts}"


def default_worker_id() -> str:
    """This process, as a lease holder: host and pid (what an operator looks for)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    recording_id: int
    ticket_id: int | None
    attempt: int
    recording_path: str
    recording_name: str
    worker_id: str = ""


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

    async def recover(self, now: datetime | None = None, *, worker_id: str | None = None) -> int:
        """Jobs whose worker died go back to the queue; returns how many. A worker died when its
        lease ran out, or, with ``worker_id``, when a worker of that name starts again: its
        earlier life's jobs are taken back at once instead of after the lease (a service's
        worker is named by host and port, a `hotline worker` unit by its --id). A job that was
        already on its last attempt fails with the reason instead: a recording that brings the
        recogniser, and its process with it, down would otherwise do so again on every start,
        for ever. ``claim`` does the same for run-out leases before it takes jobs."""
        async with self.db.write() as s:
            return await self._expire(s, now or utcnow(), worker_id)

    async def _expire(self, s: AsyncSession, now: datetime, restarted: str | None = None) -> int:
        # No lease at all: claimed by a version without leases, whose process is gone.
        dead = [TranscriptionJob.lease_until.is_(None), TranscriptionJob.lease_until < now]
        if restarted is not None:
            dead.append(TranscriptionJob.worker_id == restarted)
        expired = (select(TranscriptionJob)
                   .where(TranscriptionJob.status == "running", or_(*dead))
                   .with_for_update(skip_locked=True))
        requeued = 0
        for row in (await s.execute(expired)).scalars().all():
            log.warning("transcription.lease_expired", job_id=row.id, worker=row.worker_id, attempt=row.attempts)
            row.updated_at = now
            row.worker_id = row.lease_until = None
            if row.attempts < self.max_attempts:
                row.status = "pending"
                row.next_attempt_at = now
                requeued += 1
            else:
                await self._give_up(s, row, DIED_REASON.format(attempts=row.attempts), now)
        return requeued

    async def claim(self, limit: int, now: datetime | None = None, *, worker_id: str | None = None,
                    lease: timedelta = DEFAULT_LEASE) -> list[ClaimedJob]:
        """Up to ``limit`` due jobs, leased to ``worker_id`` (this process by default) for ``lease``."""
        now = now or utcnow()
        worker = worker_id or default_worker_id()
        async with self.db.write() as s:
            await self._expire(s, now)
            if limit <= 0:
                return []
            rows = (
                await s.execute(
                    select(TranscriptionJob, Recording)
                    .join(Recording, Recording.id == TranscriptionJob.recording_id)
                    .where(TranscriptionJob.status == "pending", TranscriptionJob.next_attempt_at <= now)
                    .order_by(TranscriptionJob.next_attempt_at, TranscriptionJob.id)
                    .limit(limit)
                    .with_for_update(of=TranscriptionJob, skip_locked=True)
                )
            ).all()
            claimed = []
            for job, rec in rows:
                job.status = "running"
                job.attempts += 1
                job.updated_at = job.claimed_at = now
                job.worker_id = worker
                job.lease_until = now + lease
                claimed.append(ClaimedJob(job.id, rec.id, job.ticket_id, job.attempts, rec.path, rec.name, worker))
            return claimed

    async def renew(self, jobs: Sequence[ClaimedJob], lease: timedelta = DEFAULT_LEASE,
                    now: datetime | None = None) -> int:
        """Push the leases of jobs still being decoded forward; returns how many are still held."""
        if not jobs:
            return 0
        now = now or utcnow()
        held = 0
        async with self.db.write() as s:
            for job in jobs:
                result = await s.execute(
                    update(TranscriptionJob)
                    .where(TranscriptionJob.id == job.id, TranscriptionJob.status == "running",
                           TranscriptionJob.worker_id == job.worker_id, TranscriptionJob.attempts == job.attempt)
                    .values(lease_until=now + lease)
                )
                held += result.rowcount or 0  # type: ignore[attr-defined]
        return held

    async def release(self, jobs: Sequence[ClaimedJob]) -> int:
        """A worker stopping on purpose gives its unfinished jobs back at once, the attempt not
        counted (no one waits for the lease to run out); returns how many it still held."""
        released = 0
        now = utcnow()
        async with self.db.write() as s:
            for job in jobs:
                result = await s.execute(
                    update(TranscriptionJob)
                    .where(TranscriptionJob.id == job.id, TranscriptionJob.status == "running",
                           TranscriptionJob.worker_id == job.worker_id, TranscriptionJob.attempts == job.attempt)
                    .values(status="pending", attempts=job.attempt - 1, worker_id=None, lease_until=None,
                            next_attempt_at=now, updated_at=now)
                )
                released += result.rowcount or 0  # type: ignore[attr-defined]
        return released

    async def _held(self, s: AsyncSession, job: ClaimedJob) -> TranscriptionJob | None:
        """The job's row, locked, if ``job`` still holds its lease; None when another worker took
        it over (this worker was taken for dead) or it is finished."""
        row = (await s.execute(select(TranscriptionJob).where(TranscriptionJob.id == job.id).with_for_update())
               ).scalar_one()
        if row.status == "running" and row.worker_id == job.worker_id and row.attempts == job.attempt:
            return row
        log.warning("transcription.lease_lost", job_id=job.id, worker=job.worker_id, attempt=job.attempt,
                    now_held_by=row.worker_id, status=row.status)
        return None

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
            row = await self._held(s, job)
            if row is None:
                return None
            rec = await s.get(Recording, job.recording_id)
            assert rec is not None
            row.status = "done"
            row.lease_until = None
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
            row = await self._held(s, job)
            if row is None:
                return True  # another worker has it now
            row.lease_until = None
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
