"""What a caller hears first: the greeting, the out-of-hours note outside office hours, an
announcement when one is on (a planned outage, say), the recording notice and the gas warning.
An administrator changes it live from the voice menu page; the flow reads it per call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class GreetingPlan:
    announcement: bool = False
    # Office hours in local time; outside them the "out-of-hours" prompt plays. None: never.
    office_hours: tuple[time, time] | None = None
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Moscow"))
    clock: Callable[[], datetime] = _now

    def in_office_hours(self, at: datetime) -> bool:
        if self.office_hours is None:
            return True
        start, end = self.office_hours
        local = at.astimezone(self.tz).time()
        return start <= local < end if start < end else (local >= start or local < end)

    def prompts(self) -> tuple[str, ...]:
        names = ["welcome"]
        if not self.in_office_hours(self.clock()):
            names.append("out-of-hours")
        if self.announcement:
            names.append("announcement")
        return (*names, "call-recorded", "gas-warning")


__all__ = ["GreetingPlan"]
