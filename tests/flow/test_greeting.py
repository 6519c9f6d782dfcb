"""The greeting as an administrator sets it: the out-of-hours note outside office hours (also
across midnight), the announcement when it is on; the flow plays what the plan says per call."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from ivr.flow import CallStarted, FlowConfig, Play, State, step
from ivr.flow.greeting import GreetingPlan

MSK = ZoneInfo("Europe/Moscow")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 1, hour, minute, tzinfo=MSK).astimezone(UTC)


def test_office_hours_and_announcement() -> None:
    now = at(21)
    plan = GreetingPlan(tz=MSK, clock=lambda: now)
    assert plan.prompts() == ("welcome", "call-recorded", "gas-warning")
    plan.office_hours = (time(8), time(20))
    assert plan.prompts() == ("welcome", "out-of-hours", "call-recorded", "gas-warning")
    now = at(19, 59)
    assert plan.prompts() == ("welcome", "call-recorded", "gas-warning")
    plan.announcement = True
    assert plan.prompts() == ("welcome", "announcement", "call-recorded", "gas-warning")
    # A night desk: office hours across midnight.
    plan.office_hours = (time(20), time(8))
    now = at(3)
    assert plan.in_office_hours(now) and not plan.in_office_hours(at(12))


def test_the_flow_plays_the_plan_of_the_moment() -> None:
    plan = GreetingPlan(tz=MSK, clock=lambda: at(23), office_hours=(time(8), time(20)), announcement=True)
    _, cmds = step(State(), CallStarted("c1", "79161234567", None), FlowConfig(greeting=plan))
    played = next(c for c in cmds if isinstance(c, Play))
    assert played.media == ("sound:hotline/welcome", "sound:hotline/out-of-hours", "sound:hotline/announcement",
                            "sound:hotline/call-recorded", "sound:hotline/gas-warning")
    plan.announcement, plan.office_hours = False, None
    _, cmds = step(State(), CallStarted("c2", "79161234567", None), FlowConfig(greeting=plan))
    played = next(c for c in cmds if isinstance(c, Play))
    assert played.media == ("sound:hotline/welcome", "sound:hotline/call-recorded", "sound:hotline/gas-warning")
