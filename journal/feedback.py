"""Residents' feedback calls: when a ticket's work is done the resident is called back to
confirm it and rate it 1-5. The schedule is durable (feedback_calls rows); attempts that find
nobody are retried a configured number of times, only within the allowed local hours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import func, select

from .clock import utcnow
from .db import Database
from .dialing import called_in, dialable
from .enums import Channel
from .models import Ticket
from .quality_models import FeedbackCall

log = structlog.get_logger(__name__)

PENDING, CALLING, ANSWERED, NO_ANSWER, FAILED, CANCELLED = (
    "pending", "calling", "answered", "no_answer", "failed", "cancelled")


@dataclass(frozen=True)
class FeedbackPolicy:
    attempts: int = 3
    first_delay: timedelta = timedelta(minutes=5)
    retry_after: timedelta = timedelta(hours=2)
    window_start: time = time(9, 0)
    window_end: time = time(21, 0)
    timezone: str = "Europe/Moscow"

    def allowed(self, when: datetime) -> datetime:
        """``when`` if it falls within the calling hours, else the next opening."""
        tz = ZoneInfo(self.timezone)
        local = when.astimezone(tz)
        if self.window_start <= local.time() < self.window_end:
            return when
        day = local.date() if local.time() < self.window_start else local.date() + timedelta(days=1)
        return datetime.combine(day, self.window_start, tz).astimezone(when.tzinfo)


def parse_hhmm(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))


class FeedbackCalls:
    def __init__(self, db: Database, policy: FeedbackPolicy) -> None:
        self.db = db
        self.policy = policy

    async def cursor(self) -> int | None:
        async with self.db.read() as s:
            value = (await s.execute(select(func.max(FeedbackCall.source_history_id)))).scalar_one()
        return int(value) if value is not None else None

    async def enqueue(self, ticket_id: int, *, now: datetime | None = None,
                      source_history_id: int | None = None) -> FeedbackCall | None:
        """Schedule the first call for a ticket; none if it has no phone or was scheduled before."""
        now = now or utcnow()
        async with self.db.write() as s:
            ticket = await s.get(Ticket, ticket_id)
            if ticket is None or not ticket.caller_phone:
                return None
        # A voice-menu ticket's phone is the caller id the PBX gave (nobody can edit it); a manual
        # ticket's is whatever was typed: dialled back only if that number has called us in, and
        # never a paid range, or a ticket could be made to call anywhere.
        phone = dialable(ticket.caller_phone)
        if phone is None or (ticket.channel != Channel.PHONE_IVR and not await called_in(self.db, phone)):
            log.warning("feedback.number_refused", ticket_id=ticket_id,
                        reason="not a resident's number" if phone else "not dialable")
            return None
        async with self.db.write() as s:
            exists = (await s.execute(select(FeedbackCall.id).where(FeedbackCall.ticket_id == ticket_id).limit(1))
                      ).scalar_one_or_none()
            if exists is not None:
                return None
            row = FeedbackCall(ticket_id=ticket_id, phone=ticket.caller_phone, attempt=1,
                               due_at=self.policy.allowed(now + self.policy.first_delay), status=PENDING,
                               source_history_id=source_history_id, created_at=now, updated_at=now)
            s.add(row)
            await s.flush()
        log.info("feedback.scheduled", ticket_id=ticket_id, due_at=row.due_at.isoformat())
        return row

    async def claim_due(self, now: datetime | None = None, *, limit: int = 10) -> list[FeedbackCall]:
        """Due attempts, marked 'calling' in the same transaction (no two schedulers take one)."""
        now = now or utcnow()
        async with self.db.write() as s:
            rows = list((await s.execute(select(FeedbackCall).where(
                FeedbackCall.status == PENDING, FeedbackCall.due_at <= now).order_by(FeedbackCall.due_at)
                .limit(limit))).scalars())
            ready = []
            for row in rows:
                # Reaching a resident at 23:00 because the service was down at 20:59 is not allowed.
                if self.policy.allowed(now) != now:
                    row.due_at = self.policy.allowed(now)
                else:
                    row.status, row.at = CALLING, now
                    ready.append(row)
                row.updated_at = now
        return ready

    async def set_channel(self, attempt_id: int, channel_id: str) -> None:
        async with self.db.write() as s:
            row = await s.get(FeedbackCall, attempt_id)
            if row is not None:
                row.channel_id = channel_id

    async def answered(self, attempt_id: int, *, outcome: str, confirmed: bool | None = None,
                       rating: int | None = None) -> FeedbackCall | None:
        """The resident picked up; ``outcome`` is rated, no_input or hung_up."""
        async with self.db.write() as s:
            row = await s.get(FeedbackCall, attempt_id)
            if row is None:
                return None
            row.status, row.outcome, row.confirmed, row.rating = ANSWERED, outcome, confirmed, rating
            row.updated_at = utcnow()
        log.info("feedback.answered", ticket_id=row.ticket_id, attempt=row.attempt, outcome=outcome, rating=rating)
        return row

    async def not_reached(self, attempt_id: int, *, outcome: str = "no_answer",
                          now: datetime | None = None) -> FeedbackCall | None:
        """Nobody answered (or the call failed): schedule the next attempt if any are left."""
        now = now or utcnow()
        async with self.db.write() as s:
            row = await s.get(FeedbackCall, attempt_id)
            if row is None or row.status not in (PENDING, CALLING):
                return None
            row.status = NO_ANSWER if outcome == "no_answer" else FAILED
            row.outcome, row.updated_at = outcome, now
            nxt = None
            if row.attempt < self.policy.attempts:
                nxt = FeedbackCall(ticket_id=row.ticket_id, phone=row.phone, attempt=row.attempt + 1,
                                   due_at=self.policy.allowed(now + self.policy.retry_after), status=PENDING,
                                   created_at=now, updated_at=now)
                s.add(nxt)
        log.info("feedback.not_reached", ticket_id=row.ticket_id, attempt=row.attempt, outcome=outcome,
                 retry_at=nxt.due_at.isoformat() if nxt else None)
        return nxt

    async def stale_calling(self, older_than: datetime) -> Sequence[FeedbackCall]:
        """Attempts placed before ``older_than`` that never reached the flow: nobody picked up."""
        async with self.db.read() as s:
            return (await s.execute(select(FeedbackCall).where(
                FeedbackCall.status == CALLING, FeedbackCall.at < older_than))).scalars().all()

    async def for_ticket(self, ticket_id: int) -> Sequence[FeedbackCall]:
        async with self.db.read() as s:
            return (await s.execute(select(FeedbackCall).where(FeedbackCall.ticket_id == ticket_id)
                                    .order_by(FeedbackCall.attempt))).scalars().all()

    async def get(self, attempt_id: int) -> FeedbackCall | None:
        async with self.db.read() as s:
            return await s.get(FeedbackCall, attempt_id)
