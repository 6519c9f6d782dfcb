"""Figures of the dispatch service for a period: calls, answer times, callbacks of missed calls,
tickets by category and building, time to localise and to fix, repeats, residents' ratings.
Every query is bounded by an indexed time range (measured by bench/analytics_bench.py)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .db import Database
from .durations import seconds_between
from .enums import CallDirection, CallOutcome, Channel
from .models import Call, MissedCall, Ticket

# Upper bounds (seconds) of the answer-time histogram; the last bucket is open.
ANSWER_BUCKETS = (5, 10, 20, 30, 60)
CALLBACK_LIMIT = timedelta(minutes=10)
SERVED = (CallOutcome.TICKET.value, CallOutcome.TRANSFERRED.value, CallOutcome.ANSWERED.value)
# Dispatchers' training runs are no service: their calls (direction 'training') and tickets
# (channel 'training') are never counted.


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None or self.end <= self.start:
            raise ValueError("a period needs aware start < end")

    def service_calls(self) -> ColumnElement[bool]:
        """The period's calls, training calls left out."""
        return and_(Call.started_at >= self.start, Call.started_at < self.end, Call.direction != CallDirection.TRAINING)

    def service_tickets(self) -> ColumnElement[bool]:
        """The period's tickets, training tickets left out."""
        return and_(Ticket.received_at >= self.start, Ticket.received_at < self.end, Ticket.channel != Channel.TRAINING)


@dataclass
class Summary:
    calls_received: int = 0
    calls_answered: int = 0
    calls_missed: int = 0
    calls_by_dispatcher: int = 0
    answer_buckets: list[tuple[str, int]] = field(default_factory=list)
    answer_avg_seconds: float | None = None
    missed_total: int = 0
    missed_called_back_10min: int = 0
    tickets_total: int = 0
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_building: list[tuple[int | None, int]] = field(default_factory=list)
    by_day: dict[str, dict[str, int]] = field(default_factory=dict)  # local date -> category -> n
    localize_hours: dict[str, float] = field(default_factory=dict)
    fix_hours: dict[str, float] = field(default_factory=dict)
    repeat_tickets: int = 0
    repeat_requests: int = 0
    ratings: list[tuple[int | None, float, int]] = field(default_factory=list)  # executor, average, count

    @property
    def callback_percent(self) -> float | None:
        return round(100.0 * self.missed_called_back_10min / self.missed_total, 1) if self.missed_total else None


def bucket_labels() -> list[str]:
    labels, low = [], 0
    for high in ANSWER_BUCKETS:
        labels.append(f"{low}–{high} с")
        low = high
    labels.append(f"> {low} с")
    return labels


class Analytics:
    def __init__(self, db: Database, tz: ZoneInfo) -> None:
        self.db = db
        self.tz = tz

    def _local_day(self, column: Any, at: datetime) -> Any:
        if self.db.dialect == "sqlite":
            # Stored as naive UTC text; the service's zone has a fixed offset (no DST in Russia).
            offset = at.astimezone(self.tz).utcoffset() or timedelta(0)
            return func.date(column, f"{int(offset.total_seconds())} seconds")
        return func.date(func.timezone(str(self.tz), column))

    def _secs(self, start: Any, end: Any) -> Any:
        return seconds_between(start, end, self.db.dialect)

    async def summary(self, p: Period) -> Summary:
        """The figures of a period. Its five passes run at once, each in a read transaction of its
        own (SQLite reads in parallel under WAL, one connection per pass), so a quarter of a
        million-ticket journal stays under a second on two cores; a write landing between them
        can make the passes disagree by that one call or ticket, which a dashboard can bear."""
        out = Summary()
        await asyncio.gather(self._read(self._calls, p, out), self._read(self._missed, p, out),
                             self._read(self._tickets, p, out), self._read(self._ratings, p, out),
                             self._read(self._buildings, p, out))
        return out

    async def _read(self, fn: Callable[[AsyncSession, Period, Summary], Awaitable[None]], p: Period,
                    out: Summary) -> None:
        async with self.db.read() as s:
            await fn(s, p, out)

    async def _calls(self, s: AsyncSession, p: Period, out: Summary) -> None:
        answer = self._secs(Call.started_at, Call.answered_at)
        bucket = case((Call.answered_at.is_(None), -1),
                      *[(answer < high, i) for i, high in enumerate(ANSWER_BUCKETS)], else_=len(ANSWER_BUCKETS))
        # One pass over the period's calls (covered by ix_calls_started_stats).
        buckets = [0] * (len(ANSWER_BUCKETS) + 1)
        answer_sum = 0.0
        for outcome, b, n, total in (await s.execute(select(Call.outcome, bucket, func.count(), func.sum(answer))
                                                     .where(p.service_calls()).group_by(Call.outcome, bucket))).all():
            out.calls_received += n
            out.calls_answered += n if outcome in SERVED else 0
            out.calls_missed += n if outcome == CallOutcome.MISSED else 0
            if b >= 0:
                buckets[b] += n
                answer_sum += float(total or 0)
        out.calls_by_dispatcher = sum(buckets)
        out.answer_avg_seconds = round(answer_sum / out.calls_by_dispatcher, 1) if out.calls_by_dispatcher else None
        out.answer_buckets = list(zip(bucket_labels(), buckets, strict=True))

    async def _missed(self, s: AsyncSession, p: Period, out: Summary) -> None:
        called_back = and_(MissedCall.callback_at.is_not(None),
                           self._secs(MissedCall.occurred_at, MissedCall.callback_at) <= CALLBACK_LIMIT.total_seconds())
        row = (await s.execute(select(func.count(), func.sum(case((called_back, 1), else_=0))).where(
            MissedCall.occurred_at >= p.start, MissedCall.occurred_at < p.end))).one()
        out.missed_total, out.missed_called_back_10min = int(row[0]), int(row[1] or 0)

    async def _tickets(self, s: AsyncSession, p: Period, out: Summary) -> None:
        day = self._local_day(Ticket.received_at, p.start)
        loc = self._secs(Ticket.received_at, Ticket.localized_at)
        fix = self._secs(Ticket.received_at, Ticket.done_at)
        cats: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0.0, 0, 0, 0])
        day_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        # One pass over the period's tickets (covered by ix_tickets_received_stats).
        for c, d, n, l_sum, l_n, f_sum, f_n, rep_t, rep_n in (await s.execute(select(
                Ticket.category, day, func.count(), func.sum(loc), func.count(Ticket.localized_at), func.sum(fix),
                func.count(Ticket.done_at), func.sum(case((Ticket.repeat_count > 0, 1), else_=0)),
                func.sum(Ticket.repeat_count))
                .where(p.service_tickets()).group_by(Ticket.category, day))).all():
            day_counts[str(d)][c] += int(n)
            acc = cats[c]
            for i, v in enumerate((n, l_sum, l_n, f_sum, f_n, rep_t, rep_n)):
                acc[i] += v or 0
        out.by_day = {d: dict(v) for d, v in sorted(day_counts.items())}
        out.by_category = sorted(((c, int(a[0])) for c, a in cats.items()), key=lambda kv: (-kv[1], kv[0]))
        out.tickets_total = sum(n for _, n in out.by_category)
        for c, a in sorted(cats.items()):
            if a[2]:
                out.localize_hours[c] = round(a[1] / a[2] / 3600, 2)
            if a[4]:
                out.fix_hours[c] = round(a[3] / a[4] / 3600, 2)
        out.repeat_tickets = int(sum(a[5] for a in cats.values()))
        out.repeat_requests = int(sum(a[6] for a in cats.values()))

    async def _ratings(self, s: AsyncSession, p: Period, out: Summary) -> None:
        rows = (await s.execute(select(Ticket.executor_id, func.sum(Ticket.rating), func.count(Ticket.rating))
                                .where(p.service_tickets(), Ticket.rating.is_not(None))
                                .group_by(Ticket.executor_id))).all()
        out.ratings = sorted(((e, round(int(total or 0) / int(n), 2), int(n)) for e, total, n in rows),
                             key=lambda r: (-r[1], r[0] if r[0] is not None else -1))

    async def _buildings(self, s: AsyncSession, p: Period, out: Summary) -> None:
        # Grouped by an expression, not the bare column: SQLite would otherwise skip-scan
        # ix_tickets_building_received to group without sorting, six times slower than reading
        # the period's range of the covering ix_tickets_received_stats.
        building = (Ticket.building_id + 0).label("building")
        out.by_building = [(b, int(n)) for b, n in (await s.execute(
            select(building, func.count()).where(p.service_tickets()).group_by(building)
            .order_by(func.count().desc(), building).limit(15))).all()]
