from __future__ import annotations

import pytest

from ivr.flow import Category, FlowConfig, Special, parse_choice


@pytest.mark.parametrize(
    "kwargs",
    [
        {"menu_keys": {"x": Category.LIFT}},
        {"menu_keys": {"#": Category.LIFT}},
        {"open_ticket_dispatcher_key": "2"},
        {"max_repeats": -1},
        {"input_timeout_seconds": 0},
        {"max_recording_seconds": 0},
    ],
)
def test_bad_config_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="flow config"):
        FlowConfig(**kwargs)  # type: ignore[arg-type]


def test_default_key_map_matches_the_menu_prompt() -> None:
    config = FlowConfig()
    assert [config.menu_keys[k] for k in "12345609"] == [*Category, Special.EMERGENCY, Special.DISPATCHER]
    assert config.emergency_keys == {"0"}


def test_parse_choice() -> None:
    assert parse_choice("heating") is Category.HEATING
    assert parse_choice("emergency") is Special.EMERGENCY
    with pytest.raises(ValueError, match="unknown menu choice"):
        parse_choice("plumbing")
