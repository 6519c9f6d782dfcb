"""Retention of call recordings: files older than the retention period are deleted (from whichever
backend keeps them: a directory or an S3 bucket); the row
stays (deleted_at, deleted_reason) so the journal still shows that a recording existed, and
the ticket's history says when and why it went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select

from . import history
from .clock import utcnow
from .db import Database
from .enums import HistoryKind
from .errors import InvalidValue
from .history import Actor
from .models import Recording, Ticket
from .storage import BlobStore

log = structlog.get_logger(__name__)
RETENTION = Actor.system("retention")


@dataclass(frozen=True)
class RetentionResult:
    recordings: int
    files: int


class RecordingRetention:
    def __init__(self, db: Database, files: BlobStore, retention_days: int) -> None:
        if retention_days < 1:
            raise InvalidValue("recordings.retention_days", "must be at least 1")
        self.db = db
        self.files = files
        self.retention = timedelta(days=retention_days)

    async def purge(self, now: datetime | None = None, *, batch: int = 500) -> RetentionResult:
        """Delete every recording older than the retention period, ``batch`` rows per transaction."""
        cutoff = (now or utcnow()) - self.retention
        reason = f"Срок хранения {self.retention.days} дн. истёк"
        total_rows = total_files = 0
        while True:
            paths: set[str] = set()
            async with self.db.write() as s:
                recs = (await s.execute(
                    select(Recording).where(Recording.deleted_at.is_(None), Recording.created_at < cutoff)
                    .order_by(Recording.id).limit(batch))).scalars().all()
                stamp = utcnow()
                for rec in recs:
                    rec.deleted_at, rec.deleted_reason = stamp, reason
                    paths.add(rec.path)
                    if rec.ticket_id is not None:
                        ticket = await s.get(Ticket, rec.ticket_id)
                        if ticket is not None:
                            history.record(s, ticket, RETENTION, HistoryKind.ATTACHMENT, field="recording",
                                           before=rec.name, text=f"Запись разговора удалена: {reason.lower()}",
                                           public=False, at=stamp)
                await s.flush()
                # Files are stored by content: keep one that a live recording still points to.
                shared = set((await s.execute(select(Recording.path).where(
                    Recording.path.in_(paths), Recording.deleted_at.is_(None)))).scalars()) if paths else set()
            total_rows += len(recs)
            total_files += await self._unlink(paths - shared)
            if len(recs) < batch:
                break
        if total_rows:
            log.info("retention.purged", recordings=total_rows, files=total_files, cutoff=cutoff.isoformat())
        return RetentionResult(total_rows, total_files)

    async def _unlink(self, paths: set[str]) -> int:
        n = 0
        for rel in sorted(paths):
            try:
                n += await self.files.delete(rel)
            except InvalidValue:
                log.warning("retention.path_refused", path=rel)
            except OSError as exc:
                # The row already says the recording went; the file is left for the administrator.
                log.error("retention.delete_failed", path=rel, error=str(exc))
        return n
