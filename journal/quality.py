"""Quality control of calls: the calls with their recordings for review, random samples,
checklist reviews, scores per dispatcher, and the log of who listened to what."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Exists, Select, and_, func, select

from .checklist import Checklist
from .clock import utcnow
from .db import Database
from .durations import seconds_between
from .enums import CallDirection
from .errors import InvalidValue, NotFound
from .history import Actor
from .models import Call, Recording, Ticket
from .quality_models import QaReview, RecordingAccess

log = structlog.get_logger(__name__)

ACCESS_ACTIONS = ("listen", "download")


@dataclass(frozen=True)
class CallFilter:
    started_from: datetime | None = None
    started_to: datetime | None = None
    dispatcher_id: int | None = None
    category: str | None = None
    outcome: str | None = None
    min_seconds: float | None = None
    max_seconds: float | None = None
    with_recording: bool = False


@dataclass
class CallRow:
    call: Call
    ticket: Ticket | None
    recordings: list[Recording] = field(default_factory=list)
    duration_seconds: float | None = None
    review_total: float | None = None
    review_max: float | None = None


@dataclass(frozen=True)
class ScorePoint:
    dispatcher_id: int | None
    period_start: datetime
    reviews: int
    percent: float


def live_recording_exists() -> Exists:
    """The call has a recording that retention has not deleted (a correlated EXISTS on Call)."""
    return select(Recording.id).where(Recording.call_id == Call.id, Recording.deleted_at.is_(None)).exists()


class QualityService:
    def __init__(self, db: Database, checklist: Checklist) -> None:
        self.db = db
        self.checklist = checklist

    # -- calls for review ----------------------------------------------------------------
    def _duration(self) -> Any:
        return seconds_between(Call.started_at, Call.ended_at, self.db.dialect)

    def _conditions(self, f: CallFilter) -> list[Any]:
        duration = self._duration()
        # Training calls are scored on the training pages, not reviewed as service.
        c: list[Any] = [Call.direction != CallDirection.TRAINING]
        if f.started_from is not None:
            c.append(Call.started_at >= f.started_from)
        if f.started_to is not None:
            c.append(Call.started_at < f.started_to)
        if f.dispatcher_id is not None:
            c.append(Call.dispatcher_id == f.dispatcher_id)
        if f.category is not None:
            c.append(Ticket.category == f.category)
        if f.outcome is not None:
            c.append(Call.outcome == f.outcome)
        if f.min_seconds is not None:
            c.append(duration >= f.min_seconds)
        if f.max_seconds is not None:
            c.append(duration <= f.max_seconds)
        if f.with_recording:
            c.append(live_recording_exists())
        return c

    def _select(self, f: CallFilter) -> Select[Call, Ticket, float]:
        stmt = select(Call, Ticket, self._duration().label("duration")).outerjoin(Ticket, Ticket.call_id == Call.id)
        return stmt.where(and_(*self._conditions(f)))

    async def calls(self, f: CallFilter, *, limit: int = 50, offset: int = 0) -> list[CallRow]:
        stmt = self._select(f).order_by(Call.started_at.desc(), Call.id.desc()).limit(limit).offset(offset)
        return await self._rows(stmt)

    async def count(self, f: CallFilter) -> int:
        if f.category is None:
            # No ticket column in the filter: count the calls alone, without the join.
            stmt = select(func.count()).select_from(Call).where(*self._conditions(f))
        else:
            stmt = select(func.count()).select_from(self._select(f).subquery())
        async with self.db.read() as s:
            return int((await s.execute(stmt)).scalar_one())

    async def sample(self, f: CallFilter, n: int) -> list[CallRow]:
        """N calls drawn at random (with a recording unless the filter says otherwise)."""
        if not 1 <= n <= 500:
            raise InvalidValue("n", "must be 1..500")
        return await self._rows(self._select(f).order_by(func.random()).limit(n))

    async def _rows(self, stmt: Select[Call, Ticket, float]) -> list[CallRow]:
        async with self.db.read() as s:
            found = (await s.execute(stmt)).all()
            ids = [call.id for call, _, _ in found]
            recs: dict[int, list[Recording]] = defaultdict(list)
            reviews: dict[int, QaReview] = {}
            if ids:
                for rec in (await s.execute(select(Recording).where(Recording.call_id.in_(ids))
                                            .order_by(Recording.id))).scalars():
                    recs[rec.call_id or 0].append(rec)
                for review in (await s.execute(select(QaReview).where(QaReview.call_id.in_(ids))
                                               .order_by(QaReview.id))).scalars():
                    reviews[review.call_id or 0] = review  # the latest review wins
        rows = []
        for call, ticket, duration in found:
            rv = reviews.get(call.id)
            rows.append(CallRow(call, ticket, recs.get(call.id, []),
                                float(duration) if duration is not None else None,
                                rv.total if rv else None, rv.max_total if rv else None))
        return rows

    async def call(self, call_id: int) -> CallRow:
        rows = await self._rows(self._select(CallFilter()).where(Call.id == call_id))
        if not rows:
            raise NotFound("call", call_id)
        return rows[0]

    # -- reviews -------------------------------------------------------------------------
    async def review(self, call_id: int, reviewer: Actor, raw_scores: Mapping[str, object],
                     comment: str | None = None) -> QaReview:
        scores = self.checklist.score(raw_scores)
        row = await self.call(call_id)
        rec = next((r for r in row.recordings if r.deleted_at is None), None)
        async with self.db.write() as s:
            review = QaReview(
                call_id=call_id, recording_id=rec.id if rec else None, ticket_id=row.ticket.id if row.ticket else None,
                reviewer_id=reviewer.user_id, dispatcher_id=row.call.dispatcher_id,
                scores_json=json.dumps(scores, ensure_ascii=False), total=float(sum(scores.values())),
                max_total=float(self.checklist.max_total), comment=(comment or "").strip() or None, created_at=utcnow(),
            )
            s.add(review)
            await s.flush()
        log.info("qa.review", call_id=call_id, review_id=review.id, total=review.total, reviewer=reviewer.label)
        return review

    async def reviews(self, call_id: int) -> Sequence[QaReview]:
        async with self.db.read() as s:
            stmt = select(QaReview).where(QaReview.call_id == call_id).order_by(QaReview.id.desc())
            return (await s.execute(stmt)).scalars().all()

    async def dispatcher_scores(self, since: datetime, until: datetime, *, bucket_days: int = 7) -> list[ScorePoint]:
        """Average review score (percent of the maximum) per dispatcher per period of ``bucket_days``."""
        async with self.db.read() as s:
            stmt = select(QaReview.dispatcher_id, QaReview.created_at, QaReview.total, QaReview.max_total).where(
                QaReview.created_at >= since, QaReview.created_at < until)
            found = (await s.execute(stmt)).all()
        acc: dict[tuple[int | None, int], list[float]] = defaultdict(list)
        for dispatcher_id, created, total, max_total in found:
            bucket = int((created - since) / timedelta(days=bucket_days))
            acc[(dispatcher_id, bucket)].append(100.0 * total / max_total if max_total else 0.0)
        return [ScorePoint(d, since + timedelta(days=bucket_days * b), len(v), round(sum(v) / len(v), 1))
                for (d, b), v in sorted(acc.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1]))]

    # -- who listened --------------------------------------------------------------------
    async def log_access(self, recording_id: int, *, user_id: int | None, login: str, action: str,
                         remote: str | None = None) -> None:
        if action not in ACCESS_ACTIONS:
            raise InvalidValue("action", f"unknown access {action!r}")
        async with self.db.write() as s:
            s.add(RecordingAccess(recording_id=recording_id, user_id=user_id, user_login=login[:64], action=action,
                                  at=utcnow(), remote=(remote or "")[:64] or None))
        log.info("recording.access", recording_id=recording_id, action=action, login=login)

    async def access_log(self, recording_id: int) -> Sequence[RecordingAccess]:
        async with self.db.read() as s:
            stmt = select(RecordingAccess).where(RecordingAccess.recording_id == recording_id).order_by(
                RecordingAccess.id.desc())
            return (await s.execute(stmt)).scalars().all()
