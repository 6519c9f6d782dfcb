"""Normative deadlines from config/sla.toml, checked against the regulations' wording."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from journal import ConfigError, SlaPolicy

MSK = timedelta(hours=3)


def at_msk(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC) - MSK


def test_emergency_damage_has_two_deadlines(sla: SlaPolicy) -> None:
    t = at_msk(2026, 11, 23, 10)
    for category in ("water", "sewer", "heating", "electricity"):
        d = sla.deadlines(t, category, None, "emergency", "phone_ivr")
        assert d.localize_due_at == t + timedelta(minutes=30), category
        assert d.due_at == t + timedelta(days=3), category


def test_sewer_blockage_two_hours(sla: SlaPolicy) -> None:
    t = at_msk(2026, 11, 23, 10)
    d = sla.deadlines(t, "sewer", "sewer_blockage", "urgent", "phone_ivr")
    assert (d.localize_due_at, d.due_at) == (None, t + timedelta(hours=2))


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at_msk(2026, 11, 23, 10), at_msk(2026, 11, 23, 12)),  # inside the window
        (at_msk(2026, 11, 23, 22, 30), at_msk(2026, 11, 24, 9, 30)),  # 30 min tonight, 90 min tomorrow
        (at_msk(2026, 11, 24, 2), at_msk(2026, 11, 24, 10)),  # at night the clock waits for 08:00
        (at_msk(2026, 11, 23, 23, 30), at_msk(2026, 11, 24, 10)),
    ],
)
def test_garbage_chute_counts_only_between_8_and_23(sla: SlaPolicy, received: datetime, due: datetime) -> None:
    d = sla.deadlines(received, "cleaning", "garbage_chute_blockage", "planned", "phone_ivr")
    assert d.due_at == due


def test_lift(sla: SlaPolicy) -> None:
    t = at_msk(2026, 11, 23, 10)
    stuck = sla.deadlines(t, "elevator", "lift_person_stuck", "emergency", "phone_ivr")
    assert stuck.due_at == t + timedelta(minutes=30)
    assert sla.default_priority("elevator", "lift_person_stuck") == "emergency"
    fault = sla.deadlines(t, "elevator", None, "urgent", "phone_ivr")
    assert fault.due_at == t + timedelta(days=1)


def test_roof_leak_one_day(sla: SlaPolicy) -> None:
    t = at_msk(2026, 6, 1, 10)
    assert sla.deadlines(t, "roof", "roof_leak", "urgent", "phone_ivr").due_at == t + timedelta(days=1)


def test_entrance_glass_winter_and_summer(sla: SlaPolicy) -> None:
    winter, summer = at_msk(2026, 1, 20, 10), at_msk(2026, 7, 20, 10)
    assert sla.deadlines(winter, "common_property", "entrance_glass", "planned", "web").due_at == winter + timedelta(days=1)
    assert sla.deadlines(summer, "common_property", "entrance_glass", "planned", "web").due_at == summer + timedelta(days=3)


def test_written_inquiry_ten_working_days_skips_weekends_and_holidays(sla: SlaPolicy) -> None:
    # Thursday 2026-10-29; 4 November is a public holiday.
    t = at_msk(2026, 10, 29, 15)
    d = sla.deadlines(t, "other", None, "planned", "written")
    # Working days: 30.10, 2.11, 3.11, 5.11, 6.11, 9.11, 10.11, 11.11, 12.11, 13.11.
    assert d.due_at == at_msk(2026, 11, 13, 23, 59) + timedelta(seconds=59)


def test_gas_is_handed_over_at_once(sla: SlaPolicy) -> None:
    t = at_msk(2026, 11, 23, 10)
    d = sla.deadlines(t, "gas", "gas_smell", "emergency", "phone_ivr")
    assert d.handover_to == "104"
    assert d.due_at == t
    assert sla.default_priority("gas", None) == "emergency"


def test_every_category_has_a_deadline(sla: SlaPolicy) -> None:
    t = at_msk(2026, 11, 23, 10)
    for category in sla.categories:
        for priority in ("emergency", "urgent", "planned"):
            assert sla.deadlines(t, category, None, priority, "phone_ivr").due_at is not None


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"rules": [{"id": "x", "title": "x", "repair": "2 days"}]}, "bad duration '2 days'"),
        ({"rules": [{"id": "x", "title": "x", "categories": ["plumbing"], "repair": "1d"}]}, "unknown category 'plumbing'"),
        ({"rules": [{"id": "x", "title": "x", "categories": ["water"], "repair": "1d"}]}, "last rule must match every ticket"),
        ({"rules": [{"id": "x", "title": "x", "repair": "1d", "colour": "red"}]}, "unknown keys colour"),
    ],
)
def test_bad_configuration_is_named(patch: dict[str, object], message: str) -> None:
    import tomllib

    data = tomllib.loads((Path(__file__).parents[2] / "config" / "sla.toml").read_text(encoding="utf-8"))
    data.update(patch)
    with pytest.raises(ConfigError, match=message):
        SlaPolicy.from_dict(data, "Europe/Moscow")
