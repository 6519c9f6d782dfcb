"""The `hotline` console script, run as a user would run it."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_SECRET_KEY

REPO = Path(__file__).resolve().parents[2]


def hotline(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    environ |= {"HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/j.sqlite3",
                "HOTLINE_SERVER_SECRET_KEY": TEST_SECRET_KEY, **env}
    return subprocess.run([sys.executable, "-m", "cti.cli", *args], cwd=REPO, env=environ,
                          capture_output=True, text=True, timeout=120)


def test_migrate_create_user_and_errors(tmp_path: Path) -> None:
    r = hotline(tmp_path, "migrate")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "j.sqlite3").exists()
    r = hotline(tmp_path, "create-user", "petrova", "--role", "dispatcher", "--name", "Петрова О.",
                "--extension", "101", HOTLINE_NEW_PASSWORD="Ключ-от-подвала-7")
    assert r.returncode == 0, r.stderr
    assert "petrova (dispatcher) created" in r.stdout
    r = hotline(tmp_path, "create-user", "petrova", "--role", "dispatcher", HOTLINE_NEW_PASSWORD="Ключ-от-подвала-7")
    assert r.returncode == 1 and "already exists" in r.stderr
    r = hotline(tmp_path, "create-user", "weak", "--role", "qa", HOTLINE_NEW_PASSWORD="short")
    assert r.returncode == 1 and "пароль отклонён: пароль короче 10 символов" in r.stderr
    r = hotline(tmp_path, "migrate", HOTLINE_SERVER_PORT="eighty")
    assert r.returncode == 2 and "server.port" in r.stderr
