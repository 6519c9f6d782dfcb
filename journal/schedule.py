"""An executor's working time, as pure values: weekly shifts, a rota from a start date, one-off
day changes and leave. A shift belongs to the day it starts on; a 24-hour or night shift runs
past midnight into the next day.

Precedence for a day: leave (no shift starts) > a one-off change (its shift, or a day off) >
weekly shifts and rota days together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import InvalidValue

MAX_SHIFT_DAYS = 2  # a shift lasts at most 2880 minutes: look back two days for one still running


@dataclass(frozen=True)
class WeeklyShift:
    weekday: int  # 0 = Monday
    start_minute: int
    length_minutes: int


@dataclass(frozen=True)
class Rota:
    starts_on: date
    start_minute: int
    length_minutes: int
    pattern: str  # "1000": work one day, then three off

    def works_on(self, day: date) -> bool:
        offset = (day - self.starts_on).days
        return offset >= 0 and self.pattern[offset % len(self.pattern)] == "1"


@dataclass(frozen=True)
class DayChange:
    on_date: date
    start_minute: int | None  # None: a day off
    length_minutes: int | None
    reason: str | None = None


@dataclass(frozen=True)
class LeaveSpan:
    starts_on: date
    ends_on: date
    reason: str | None = None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass
class Schedule:
    weekly: list[WeeklyShift] = field(default_factory=list)
    rotas: list[Rota] = field(default_factory=list)
    changes: dict[date, DayChange] = field(default_factory=dict)
    leave: list[LeaveSpan] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.weekly or self.rotas or self.changes)

    def on_leave(self, day: date) -> bool:
        return any(span.covers(day) for span in self.leave)

    def shifts_starting(self, day: date, tz: ZoneInfo) -> list[Period]:
        """The shifts that start on this local day, in order."""
        if self.on_leave(day):
            return []
        spans: set[tuple[int, int]] = set()
        change = self.changes.get(day)
        if change is not None:
            if change.start_minute is not None and change.length_minutes is not None:
                spans.add((change.start_minute, change.length_minutes))
        else:
            spans.update((s.start_minute, s.length_minutes) for s in self.weekly if s.weekday == day.weekday())
            spans.update((r.start_minute, r.length_minutes) for r in self.rotas if r.works_on(day))
        midnight = datetime.combine(day, time(0), tzinfo=tz)
        return [Period(midnight + timedelta(minutes=start), midnight + timedelta(minutes=start + length))
                for start, length in sorted(spans)]

    def shift_at(self, at: datetime, tz: ZoneInfo) -> Period | None:
        """The shift running at ``at`` (aware), if any."""
        today = at.astimezone(tz).date()
        for back in range(MAX_SHIFT_DAYS + 1):
            for period in self.shifts_starting(today - timedelta(days=back), tz):
                if period.covers(at):
                    return period
        return None

    def on_duty(self, at: datetime, tz: ZoneInfo) -> bool:
        return self.shift_at(at, tz) is not None

    def next_shift(self, at: datetime, tz: ZoneInfo, *, within_days: int = 62) -> Period | None:
        """The first shift starting after ``at``."""
        today = at.astimezone(tz).date()
        for ahead in range(within_days + 1):
            for period in self.shifts_starting(today + timedelta(days=ahead), tz):
                if period.start > at:
                    return period
        return None


def parse_hhmm(text: str) -> int:
    """Minutes after midnight of "08:00"; InvalidValue otherwise."""
    try:
        h, m = text.strip().split(":")
        hours, minutes = int(h), int(m)
    except ValueError:
        raise InvalidValue("time", f"не время суток: «{text}»") from None
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise InvalidValue("time", f"не время суток: «{text}»")
    return hours * 60 + minutes


def span_minutes(start: str, end: str) -> tuple[int, int]:
    """("08:00", "08:00") is 24 hours; an end before the start runs past midnight."""
    first, last = parse_hhmm(start), parse_hhmm(end)
    length = last - first if last > first else last + 1440 - first
    return first, length


def check_pattern(pattern: str) -> str:
    pattern = pattern.strip()
    if not pattern or len(pattern) > 62 or set(pattern) - {"0", "1"} or "1" not in pattern:
        raise InvalidValue("pattern", "по знаку на день: 1 — рабочий, 0 — выходной")
    return pattern


def hhmm(minute: int) -> str:
    minute %= 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


def month_days(year: int, month: int) -> Iterable[date]:
    day = date(year, month, 1)
    while day.month == month:
        yield day
        day += timedelta(days=1)


__all__ = [
    "DayChange", "LeaveSpan", "Period", "Rota", "Schedule", "WeeklyShift", "check_pattern", "hhmm", "month_days",
    "parse_hhmm", "span_minutes",
]
