"""Working time by schedule: weekly shifts, a rota from a start date («сутки через трое»),
one-off changes and leave; a shift belongs to the day it starts and runs past midnight."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from journal import InvalidValue
from journal.schedule import DayChange, LeaveSpan, Rota, Schedule, WeeklyShift, check_pattern, span_minutes

MSK = ZoneInfo("Europe/Moscow")


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


def sutki(start: date) -> Schedule:
    return Schedule(rotas=[Rota(start, 8 * 60, 24 * 60, "1000")])


def test_24_hour_shift_every_fourth_day_runs_past_midnight() -> None:
    s = sutki(date(2026, 12, 1))
    assert s.on_duty(at(1, 8), MSK) and s.on_duty(at(1, 23, 59), MSK)
    assert s.on_duty(at(2, 0, 30), MSK) and s.on_duty(at(2, 7, 59), MSK)
    assert not s.on_duty(at(2, 8), MSK) and not s.on_duty(at(3, 12), MSK) and not s.on_duty(at(4, 23), MSK)
    assert s.on_duty(at(5, 9), MSK) and s.on_duty(at(6, 3), MSK)
    assert not s.on_duty(at(1, 7, 59), MSK) and not s.on_duty(datetime(2026, 11, 30, 12, tzinfo=MSK), MSK)


def test_next_shift_and_the_running_one() -> None:
    s = sutki(date(2026, 12, 1))
    now = s.shift_at(at(2, 3), MSK)
    assert now is not None and now.start == at(1, 8) and now.end == at(2, 8)
    nxt = s.next_shift(at(2, 3), MSK)
    assert nxt is not None and nxt.start == at(5, 8)


def test_a_day_change_replaces_the_day_and_a_day_off_removes_it() -> None:
    s = sutki(date(2026, 12, 1))
    s.changes[date(2026, 12, 5)] = DayChange(date(2026, 12, 5), None, None, "отгул")
    s.changes[date(2026, 12, 6)] = DayChange(date(2026, 12, 6), 20 * 60, 12 * 60, "подмена")
    assert not s.on_duty(at(5, 9), MSK)
    assert s.on_duty(at(6, 21), MSK) and s.on_duty(at(7, 7), MSK) and not s.on_duty(at(7, 8, 1), MSK)


def test_leave_removes_shifts_starting_on_its_days() -> None:
    s = Schedule(weekly=[WeeklyShift(d, 9 * 60, 9 * 60) for d in range(5)])
    s.leave.append(LeaveSpan(date(2026, 12, 7), date(2026, 12, 11)))
    assert s.on_duty(at(4, 10), MSK)  # Friday
    assert not s.on_duty(at(8, 10), MSK)
    assert s.on_duty(at(14, 10), MSK)
    assert [p.start for p in s.shifts_starting(date(2026, 12, 14), MSK)] == [at(14, 9)]


def test_spans_and_patterns_are_checked() -> None:
    assert span_minutes("08:00", "08:00") == (480, 1440)
    assert span_minutes("20:00", "08:00") == (1200, 720)
    with pytest.raises(InvalidValue):
        span_minutes("25:00", "08:00")
    assert check_pattern(" 1000 ") == "1000"
    for bad in ("", "0000", "10x0", "1" * 63):
        with pytest.raises(InvalidValue):
            check_pattern(bad)
    assert timedelta(minutes=span_minutes("08:00", "20:00")[1]) == timedelta(hours=12)
