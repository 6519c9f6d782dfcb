"""Normative deadlines: categories, problems and ordered rules read from ``config/sla.toml``.

Pure code: given when and how a ticket was received it says which rule applies, the
localisation deadline (emergencies only), the repair deadline and any hand-over (gas → 104).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .enums import CATEGORIES, Priority
from .errors import ConfigError

_DURATION = re.compile(r"^(\d+)(m|h|d|wd)$")


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: str  # m | h | d | wd

    @classmethod
    def parse(cls, text: str, where: str) -> Duration:
        m = _DURATION.match(text.strip())
        if not m:
            raise ConfigError(f"{where}: bad duration {text!r} (use 30m, 2h, 1d or 10wd)")
        return cls(int(m.group(1)), m.group(2))

    def as_timedelta(self) -> timedelta:
        if self.unit == "m":
            return timedelta(minutes=self.amount)
        if self.unit == "h":
            return timedelta(hours=self.amount)
        return timedelta(days=self.amount)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    categories: frozenset[str]
    problems: frozenset[str]
    priorities: frozenset[str]
    channels: frozenset[str]
    localize: Duration | None
    repair: Duration | None
    repair_winter: Duration | None
    repair_summer: Duration | None
    active_hours: tuple[time, time] | None
    handover: str | None

    def matches(self, category: str, problem: str | None, priority: str, channel: str) -> bool:
        return (
            (not self.categories or category in self.categories)
            and (not self.problems or problem in self.problems)
            and (not self.priorities or priority in self.priorities)
            and (not self.channels or channel in self.channels)
        )


@dataclass(frozen=True)
class Deadlines:
    rule_id: str
    title: str
    localize_due_at: datetime | None
    due_at: datetime | None
    handover_to: str | None


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    title: str
    priority: str


class SlaPolicy:
    def __init__(
        self,
        categories: dict[str, CategoryInfo],
        problems: dict[str, tuple[str, str | None]],
        rules: list[Rule],
        *,
        tz: ZoneInfo,
        winter_months: frozenset[int],
        holidays: frozenset[date],
    ) -> None:
        self.categories = categories
        self.problems = problems
        self.rules = rules
        self.tz = tz
        self.winter_months = winter_months
        self.holidays = holidays
        # Which saved version of the rules this is (journal/sla_versions.py); 0: the file.
        self.version = 0
        self.source_text = ""

    def adopt(self, other: SlaPolicy) -> None:
        """Take over another policy's rules in place: every service holding this object (the
        journal, the voice menu, the console) uses a new version from the next ticket on."""
        self.__dict__.update(other.__dict__)

    # -- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path, timezone: str) -> SlaPolicy:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(f"SLA file {path} does not exist") from exc
        return cls.from_text(text, timezone, where=str(path))

    @classmethod
    def from_text(cls, text: str, timezone: str, where: str = "sla") -> SlaPolicy:
        """Rules from TOML text; anything wrong is a ConfigError naming the place."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        try:
            policy = cls.from_dict(data, timezone, where=where)
        except ConfigError:
            raise
        except KeyError as exc:
            raise ConfigError(f"{where}: missing key {exc}") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        policy.source_text = text
        return policy

    @classmethod
    def from_dict(cls, data: dict[str, Any], timezone: str, where: str = "sla") -> SlaPolicy:
        categories: dict[str, CategoryInfo] = {}
        for code, info in data.get("categories", {}).items():
            if code not in CATEGORIES:
                raise ConfigError(f"{where}: unknown category {code!r} (known: {', '.join(CATEGORIES)})")
            categories[code] = CategoryInfo(code, info["title"], _priority(info.get("priority", "planned"), f"{where}: categories.{code}"))
        missing = set(CATEGORIES) - set(categories)
        if missing:
            raise ConfigError(f"{where}: categories without settings: {', '.join(sorted(missing))}")
        problems = {
            code: (info["title"], _priority(info["priority"], f"{where}: problems.{code}") if "priority" in info else None)
            for code, info in data.get("problems", {}).items()
        }
        rules = [_rule(r, f"{where}: rules[{i}]", set(problems)) for i, r in enumerate(data.get("rules", []))]
        if not rules or any([rules[-1].categories, rules[-1].problems, rules[-1].priorities, rules[-1].channels]):
            raise ConfigError(f"{where}: the last rule must match every ticket (no conditions)")
        try:
            holidays = frozenset(date.fromisoformat(d) for d in data.get("holidays", []))
        except ValueError as exc:
            raise ConfigError(f"{where}: holidays: {exc}") from exc
        return cls(
            categories,
            problems,
            rules,
            tz=ZoneInfo(timezone),
            winter_months=frozenset(data.get("winter_months", [10, 11, 12, 1, 2, 3, 4])),
            holidays=holidays,
        )

    # -- use -----------------------------------------------------------------------------
    def default_priority(self, category: str, problem: str | None) -> str:
        if problem and problem in self.problems and self.problems[problem][1]:
            return self.problems[problem][1]  # type: ignore[return-value]
        return self.categories[category].priority

    def rule_for(self, category: str, problem: str | None, priority: str, channel: str) -> Rule:
        for rule in self.rules:
            if rule.matches(category, problem, priority, channel):
                return rule
        raise AssertionError("the last rule matches every ticket")  # checked at load

    def deadlines(
        self, received_at: datetime, category: str, problem: str | None, priority: str, channel: str
    ) -> Deadlines:
        rule = self.rule_for(category, problem, priority, channel)
        local = received_at.astimezone(self.tz)
        repair = rule.repair
        if rule.repair_winter or rule.repair_summer:
            repair = rule.repair_winter if local.month in self.winter_months else rule.repair_summer
        return Deadlines(
            rule_id=rule.id,
            title=rule.title,
            localize_due_at=self._add(received_at, rule.localize, rule.active_hours) if rule.localize else None,
            due_at=self._add(received_at, repair, rule.active_hours) if repair else None,
            handover_to=rule.handover,
        )

    def _add(self, start: datetime, duration: Duration, active: tuple[time, time] | None) -> datetime:
        if duration.unit == "wd":
            return self._add_working_days(start, duration.amount)
        if active is None:
            return start + duration.as_timedelta()
        return self._add_within_hours(start, duration.as_timedelta(), active)

    def _add_working_days(self, start: datetime, days: int) -> datetime:
        day = start.astimezone(self.tz).date()
        while days > 0:
            day += timedelta(days=1)
            if day.weekday() < 5 and day not in self.holidays:
                days -= 1
        end_of_day = datetime.combine(day, time(23, 59, 59), tzinfo=self.tz)
        return end_of_day.astimezone(start.tzinfo)

    def _add_within_hours(self, start: datetime, left: timedelta, active: tuple[time, time]) -> datetime:
        """The clock runs only inside the daily window (e.g. 08:00-23:00 local)."""
        opens, closes = active
        cursor = start.astimezone(self.tz)
        while True:
            day = cursor.date()
            window_open = datetime.combine(day, opens, tzinfo=self.tz)
            window_close = datetime.combine(day, closes, tzinfo=self.tz)
            if cursor < window_open:
                cursor = window_open
            if cursor >= window_close:
                cursor = datetime.combine(day + timedelta(days=1), opens, tzinfo=self.tz)
                continue
            available = window_close - cursor
            if left <= available:
                return (cursor + left).astimezone(start.tzinfo)
            left -= available
            cursor = datetime.combine(day + timedelta(days=1), opens, tzinfo=self.tz)


def _priority(value: str, where: str) -> str:
    if value not in {p.value for p in Priority}:
        raise ConfigError(f"{where}: unknown priority {value!r}")
    return value


def _rule(data: dict[str, Any], where: str, problems: set[str]) -> Rule:
    known = {
        "id", "title", "categories", "problems", "priorities", "channels", "localize", "repair",
        "repair_winter", "repair_summer", "active_hours", "handover",
    }
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    if "id" not in data or "title" not in data:
        raise ConfigError(f"{where}: 'id' and 'title' are required")
    for category in data.get("categories", []):
        if category not in CATEGORIES:
            raise ConfigError(f"{where}: unknown category {category!r}")
    for problem in data.get("problems", []):
        if problem not in problems:
            raise ConfigError(f"{where}: unknown problem {problem!r} (declare it under [problems])")
    for priority in data.get("priorities", []):
        _priority(priority, where)

    def dur(key: str) -> Duration | None:
        return Duration.parse(data[key], f"{where}.{key}") if key in data else None

    active = None
    if "active_hours" in data:
        m = re.match(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$", data["active_hours"])
        if not m:
            raise ConfigError(f"{where}.active_hours: expected HH:MM-HH:MM, got {data['active_hours']!r}")
        active = (time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4])))
    rule = Rule(
        id=data["id"],
        title=data["title"],
        categories=frozenset(data.get("categories", [])),
        problems=frozenset(data.get("problems", [])),
        priorities=frozenset(data.get("priorities", [])),
        channels=frozenset(data.get("channels", [])),
        localize=dur("localize"),
        repair=dur("repair"),
        repair_winter=dur("repair_winter"),
        repair_summer=dur("repair_summer"),
        active_hours=active,
        handover=data.get("handover"),
    )
    if rule.repair is None and not (rule.repair_winter and rule.repair_summer):
        raise ConfigError(f"{where}: a rule needs 'repair' (or both 'repair_winter' and 'repair_summer')")
    return rule
