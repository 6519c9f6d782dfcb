"""The [outages] settings: shift changes give the default end of an announcement; a wrong value
stops the service with an error naming the key."""

from datetime import time
from pathlib import Path

import pytest

from cti.app.compose import outage_rules
from cti.settings import SettingsError, load_settings
from tests.conftest import TEST_SECRET_KEY


def _settings(tmp_path: Path, toml: str):  # type: ignore[no-untyped-def]
    f = tmp_path / "h.toml"
    f.write_text(toml, encoding="utf-8")
    return load_settings(f, environ={"HOTLINE_SERVER_SECRET_KEY": TEST_SECRET_KEY})


def test_the_shipped_file_and_an_override(tmp_path: Path) -> None:
    shipped = load_settings(environ={"HOTLINE_CONFIG": str(Path("config/hotline.toml").resolve()),
                                     "HOTLINE_SERVER_SECRET_KEY": TEST_SECRET_KEY})
    assert outage_rules(shipped).shift_changes == (time(8, 0), time(20, 0))
    rules = outage_rules(_settings(tmp_path, '[outages]\nshift_changes = "21:00, 09:00"\n'))
    assert rules.shift_changes == (time(9, 0), time(21, 0)) and rules.timezone == "Europe/Moscow"


@pytest.mark.parametrize(("toml", "message"), [
    ('[outages]\nshift_changes = "8 утра"\n', "setting 'outages.shift_changes': time: не время суток"),
    ('[outages]\nshift_changes = ""\n', "setting 'outages.shift_changes': at least one time"),
    ("[outages]\nsuggest_calls = 1\n", "'outages.suggest_calls' \\(>= 2\\)"),
    ("[outages]\nsuggest_minutes = 'half an hour'\n", "setting 'outages.suggest_minutes': expected int"),
])
def test_bad_outage_settings_are_named(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        outage_rules(_settings(tmp_path, toml))
