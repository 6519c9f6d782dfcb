"""Every figure of the summary and of the ПП 416 report against figures computed here, on their
own, from the generated rows (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from journal import Journal
from journal.analytics import ANSWER_BUCKETS, Analytics, bucket_labels
from journal.compliance import compliance
from tests.quality.generated import TZ, Generated, generate


def _in(g: Generated, when: object) -> bool:
    return g.period.start <= when < g.period.end  # type: ignore[operator]


def _avg(values: list[float]) -> float:
    return sum(values) / len(values)


async def test_summary_figures_match_the_generated_journal(journal: Journal) -> None:
    g = await generate(journal)
    s = await Analytics(journal.db, TZ).summary(g.period)

    calls = [c for c in g.calls if _in(g, c.started_at) and c.direction != "training"]
    assert len(calls) < sum(_in(g, c.started_at) for c in g.calls)
    assert s.calls_received == len(calls)
    assert s.calls_answered == sum(c.outcome in ("ticket", "transferred", "answered") for c in calls)
    assert s.calls_missed == sum(c.outcome == "missed" for c in calls)
    answered = [(c.answered_at - c.started_at).total_seconds() for c in calls if c.answered_at]
    assert s.calls_by_dispatcher == len(answered)
    assert s.answer_avg_seconds == pytest.approx(round(_avg(answered), 1), abs=0.051)
    expected_buckets = [0] * (len(ANSWER_BUCKETS) + 1)
    for a in answered:
        expected_buckets[next((i for i, high in enumerate(ANSWER_BUCKETS) if a < high), len(ANSWER_BUCKETS))] += 1
    assert s.answer_buckets == list(zip(bucket_labels(), expected_buckets, strict=True))

    missed = [m for m in g.missed if _in(g, m.occurred_at)]
    in_time = [m for m in missed if m.callback_at and m.callback_at - m.occurred_at <= timedelta(minutes=10)]
    assert (s.missed_total, s.missed_called_back_10min) == (len(missed), len(in_time))
    assert s.callback_percent == round(100 * len(in_time) / len(missed), 1)

    tickets = [t for t in g.tickets if _in(g, t.received_at) and t.channel != "training"]
    assert len(tickets) < sum(_in(g, t.received_at) for t in g.tickets)
    assert s.tickets_total == len(tickets)
    assert dict(s.by_category) == Counter(t.category for t in tickets)
    by_building = Counter(t.building_id for t in tickets)
    assert dict(s.by_building) == dict(by_building)  # five buildings and "none": all fit in the top 15
    by_day: dict[str, Counter[str]] = defaultdict(Counter)
    for t in tickets:
        by_day[t.received_at.astimezone(TZ).date().isoformat()][t.category] += 1
    assert s.by_day == {d: dict(c) for d, c in sorted(by_day.items())}
    for category in {t.category for t in tickets}:
        mine = [t for t in tickets if t.category == category]
        loc = [(t.localized_at - t.received_at).total_seconds() for t in mine if t.localized_at]
        fix = [(t.done_at - t.received_at).total_seconds() for t in mine if t.done_at]
        if loc:
            assert s.localize_hours[category] == pytest.approx(round(_avg(loc) / 3600, 2), abs=0.011)
        if fix:
            assert s.fix_hours[category] == pytest.approx(round(_avg(fix) / 3600, 2), abs=0.011)
    assert s.repeat_tickets == sum(t.repeat_count > 0 for t in tickets)
    assert s.repeat_requests == sum(t.repeat_count for t in tickets)
    ratings: dict[int | None, list[int]] = defaultdict(list)
    for t in tickets:
        if t.rating is not None:
            ratings[t.executor_id].append(t.rating)
    assert {e: (a, n) for e, a, n in s.ratings} == {
        e: (pytest.approx(round(_avg(r), 2), abs=0.006), len(r)) for e, r in ratings.items()}


async def test_compliance_report_matches_the_generated_journal(journal: Journal) -> None:
    g = await generate(journal, seed=7)
    r = await compliance(journal.db, g.period, g.now)

    calls = sorted((c for c in g.calls if _in(g, c.started_at) and c.direction != "training"),
                   key=lambda c: (c.started_at, c.id))
    ticket_of = {t.call_id: t.number for t in g.tickets if t.call_id}
    recorded = {x.call_id for x in g.recordings if x.deleted_at is None}
    assert [c.call_id for c in r.calls] == [c.id for c in calls]
    for line, call in zip(r.calls, calls, strict=True):
        assert line.answered_at == call.answered_at
        assert line.ticket_number == ticket_of.get(call.id)
        assert line.recording == (call.id in recorded)
        if call.answered_at:
            assert line.answer_seconds == pytest.approx((call.answered_at - call.started_at).total_seconds(), abs=1e-3)
    assert r.calls_total == len(calls) and not r.truncated
    assert r.calls_with_ticket == sum(c.id in ticket_of for c in calls)
    assert r.calls_with_recording == sum(c.id in recorded for c in calls)

    missed = sorted((m for m in g.missed if _in(g, m.occurred_at)), key=lambda m: (m.occurred_at, m.id))
    assert [m.missed_id for m in r.missed] == [m.id for m in missed]
    assert r.missed_in_time == sum(
        1 for m in missed if m.callback_at and m.callback_at - m.occurred_at <= timedelta(minutes=10))

    def late(due: object, done: object) -> bool:
        if due is None:
            return False
        return done > due if done is not None else g.now > due  # type: ignore[operator]

    expected = sorted((t for t in g.tickets if _in(g, t.received_at) and t.status != "cancelled"
                       and t.channel != "training"
                       and (late(t.localize_due_at, t.localized_at) or late(t.due_at, t.done_at))),
                      key=lambda t: (t.received_at, t.id))
    assert [x.number for x in r.late] == [t.number for t in expected]
    for x, t in zip(r.late, expected, strict=True):
        assert (x.late_localize, x.late_fix) == (late(t.localize_due_at, t.localized_at), late(t.due_at, t.done_at))
    assert r.late and r.missed and r.calls  # the generated data exercises every section
    first = await compliance(journal.db, g.period, g.now, max_calls=10)
    assert [c.call_id for c in first.calls] == [c.id for c in calls[:10]] and first.truncated
    assert (first.calls_total, first.calls_with_ticket, first.calls_with_recording) == (
        r.calls_total, r.calls_with_ticket, r.calls_with_recording)
    tables = await compliance(journal.db, g.period, g.now, calls_only=True)  # what the CSV and XLSX list
    assert tables.calls == r.calls and tables.calls_total == r.calls_total
    assert (tables.missed, tables.late) == ([], [])
