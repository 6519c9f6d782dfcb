from pathlib import Path

import pytest

from cti.settings import SettingsError, load_settings
from tests.conftest import TEST_SECRET_KEY


def test_defaults_need_no_file(tmp_path: Path) -> None:
    s = load_settings(environ={"HOTLINE_CONFIG": str(Path("config/hotline.toml").resolve()),
                               "HOTLINE_SERVER_SECRET_KEY": TEST_SECRET_KEY})
    assert s.database.url.startswith("sqlite+aiosqlite:///")
    assert s.database_url().endswith("var/hotline.sqlite3") and Path(s.database_url().split("///", 1)[1]).is_absolute()


def test_file_then_environment(tmp_path: Path) -> None:
    f = tmp_path / "h.toml"
    f.write_text('[server]\nport = 9000\n[journal]\nrepeat_window_minutes = 60\n', encoding="utf-8")
    s = load_settings(f, environ={"HOTLINE_SERVER_PORT": "9100", "HOTLINE_DATABASE_ECHO": "yes",
                                  "HOTLINE_SERVER_SECRET_KEY": TEST_SECRET_KEY})
    assert s.server.port == 9100 and s.journal.repeat_window_minutes == 60 and s.database.echo is True


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("[server]\nprot = 1\n", {}, "unknown setting 'server.prot'"),
        ("[sever]\nport = 1\n", {}, r"unknown section \[sever\]"),
        ("[server]\nport = 'eighty'\n", {}, "setting 'server.port': expected int"),
        ("", {"HOTLINE_SERVER_PORT": "eighty"}, "setting 'server.port': expected int"),
        ("", {"HOTLINE_DATABSE_URL": "x"}, "unknown setting HOTLINE_DATABSE_URL"),
        ("[ari]\nurl = 'http://pbx:8088'\n", {}, "'ari.password' is missing"),
        ("[server]\ndemo = false\n", {}, "'server.secret_key' is missing"),
        ("", {}, "'server.secret_key' is missing"),  # production is the default
        ("", {"HOTLINE_SERVER_SECRET_KEY": "short"}, "'server.secret_key' is too short"),
        ("[server\n", {}, "h.toml"),
        ("[asr]\nmax_active = -5\n", {}, r"setting 'asr.max_active': expected 0 \(the model's own\) or more"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, toml: str, env: dict[str, str], message: str) -> None:
    f = tmp_path / "h.toml"
    f.write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(f, environ=env)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(environ={"HOTLINE_CONFIG": str(tmp_path / "nope.toml")})
