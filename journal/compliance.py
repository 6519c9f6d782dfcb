"""The ПП 416 compliance report for a period: every call (when answered, the ticket number the
caller was told, whether the recording exists), missed calls and their callbacks, and tickets
that went past their normative deadline."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select

from .analytics import CALLBACK_LIMIT, Period
from .db import Database
from .models import Call, MissedCall, Ticket
from .quality import live_recording_exists

# A month of a big city's calls; the files hold at most this many (the page says so).
MAX_ROWS = 100_000
# Missed calls and late tickets listed at most (a period with more is a disaster of its own).
MAX_OTHER_ROWS = 20_000


@dataclass(frozen=True)
class CallLine:
    call_id: int
    started_at: datetime
    answered_at: datetime | None
    answer_seconds: float | None
    caller_number: str | None
    dispatcher_id: int | None
    outcome: str
    ticket_number: str | None
    recording: bool


@dataclass(frozen=True)
class MissedLine:
    missed_id: int
    occurred_at: datetime
    caller_number: str | None
    callback_at: datetime | None
    callback_minutes: float | None
    in_time: bool
    outcome: str | None


@dataclass(frozen=True)
class LateLine:
    ticket_id: int
    number: str
    category: str
    received_at: datetime
    localize_due_at: datetime | None
    localized_at: datetime | None
    due_at: datetime | None
    done_at: datetime | None
    late_localize: bool
    late_fix: bool


@dataclass
class ComplianceReport:
    period: Period
    now: datetime
    calls: list[CallLine] = field(default_factory=list)
    missed: list[MissedLine] = field(default_factory=list)
    late: list[LateLine] = field(default_factory=list)
    calls_total: int = 0
    calls_with_ticket: int = 0
    calls_with_recording: int = 0

    @property
    def truncated(self) -> bool:
        return self.calls_total > len(self.calls)

    @property
    def missed_in_time(self) -> int:
        return sum(1 for m in self.missed if m.in_time)


def _late(due: datetime | None, done: datetime | None, now: datetime) -> bool:
    if due is None:
        return False
    return done > due if done is not None else now > due


async def compliance(db: Database, p: Period, now: datetime, *, max_calls: int = MAX_ROWS,
                     calls_only: bool = False) -> ComplianceReport:
    """The report; the list of calls holds the first ``max_calls`` (the totals count them all).
    Its three lists are read at once, each in a read transaction of its own; ``calls_only``
    (the CSV and XLSX files, which list calls) leaves the missed calls and late tickets empty."""
    report = ComplianceReport(p, now)
    parts = [_calls(db, p, report, max_calls)]
    if not calls_only:
        parts += [_missed(db, p, report), _late_tickets(db, p, report)]
    await asyncio.gather(*parts)
    return report


async def _calls(db: Database, p: Period, report: ComplianceReport, max_calls: int) -> None:
    has_rec = live_recording_exists()
    in_period = p.service_calls()
    async with db.read_rows() as s:
        # Plain columns, not ORM objects: a month of a big city's calls is tens of thousands of rows.
        # Read off three covering indexes: the calls', tickets' (call_id, number), recordings' (call_id, deleted_at).
        rows = (await s.execute(
            select(Call.id, Call.started_at, Call.answered_at, Call.caller_number, Call.dispatcher_id, Call.outcome,
                   Ticket.number, has_rec)
            .outerjoin(Ticket, Ticket.call_id == Call.id)
            .where(in_period).order_by(Call.started_at, Call.id).limit(max_calls))).all()
        if len(rows) < max_calls:
            # Every call of the period is in hand: the totals need no second pass.
            total, with_ticket, with_rec = len(rows), sum(r[6] is not None for r in rows), sum(bool(r[7]) for r in rows)
        else:
            total, with_ticket, with_rec = (await s.execute(
                select(func.count(), func.count(Ticket.id), func.sum(case((has_rec, 1), else_=0)))
                .select_from(Call).outerjoin(Ticket, Ticket.call_id == Call.id).where(in_period))).one()
    report.calls_total, report.calls_with_ticket, report.calls_with_recording = (
        int(total), int(with_ticket), int(with_rec or 0))
    for cid, started, answered, number_called, dispatcher, outcome, ticket_number, rec in rows:
        answer = (answered - started).total_seconds() if answered else None
        report.calls.append(CallLine(cid, started, answered, answer, number_called, dispatcher, outcome,
                                     ticket_number, bool(rec)))


async def _missed(db: Database, p: Period, report: ComplianceReport) -> None:
    async with db.read_rows() as s:
        rows = (await s.execute(
            select(MissedCall.id, MissedCall.occurred_at, MissedCall.caller_number, MissedCall.callback_at,
                   MissedCall.outcome)
            .where(MissedCall.occurred_at >= p.start, MissedCall.occurred_at < p.end)
            .order_by(MissedCall.occurred_at, MissedCall.id).limit(MAX_OTHER_ROWS))).all()
    for mid, occurred, missed_number, callback_at, m_outcome in rows:
        delay = callback_at - occurred if callback_at else None
        report.missed.append(MissedLine(
            mid, occurred, missed_number, callback_at,
            round(delay / timedelta(minutes=1), 1) if delay is not None else None,
            delay is not None and delay <= CALLBACK_LIMIT, m_outcome))


async def _late_tickets(db: Database, p: Period, report: ComplianceReport) -> None:
    now = report.now
    late = or_(
        and_(Ticket.localize_due_at.is_not(None),
             or_(Ticket.localized_at > Ticket.localize_due_at,
                 and_(Ticket.localized_at.is_(None), Ticket.localize_due_at < now))),
        and_(Ticket.due_at.is_not(None),
             or_(Ticket.done_at > Ticket.due_at, and_(Ticket.done_at.is_(None), Ticket.due_at < now))),
    )
    cols = (Ticket.id, Ticket.number, Ticket.category, Ticket.received_at, Ticket.localize_due_at,
            Ticket.localized_at, Ticket.due_at, Ticket.done_at)
    async with db.read_rows() as s:
        rows = (await s.execute(select(*cols).where(
            p.service_tickets(), Ticket.status != "cancelled", late)
            .order_by(Ticket.received_at, Ticket.id).limit(MAX_OTHER_ROWS))).all()
    for tid, number, category, received, l_due, l_at, due, done in rows:
        report.late.append(LateLine(tid, number, category, received, l_due, l_at, due, done,
                                    _late(l_due, l_at, now), _late(due, done, now)))
