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
    return subprocess.run([sys.executable, "-m", "cti.app.cli", *args], cwd=REPO, env=environ,
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


def test_buildings_residents_and_staff_for_scripts(tmp_path: Path) -> None:
    """An operator's script: check a file, import it, export it back, reset and stop an account."""
    bad = tmp_path / "дома.csv"
    bad.write_text("Улица;Дом;Корпус;Этажи\nЛенина;5;;9\nСадовая;;;5\nпр-т Мира;23;;девять\n", encoding="utf-8")
    r = hotline(tmp_path, "import", "buildings", str(bad), "--dry-run")
    assert r.returncode == 1
    assert "строка 3: house: не указан дом" in r.stdout and "строка 4: floors: не число: «девять»" in r.stdout
    r = hotline(tmp_path, "import", "buildings", str(bad))
    assert r.returncode == 1 and "не импортировано" in r.stdout
    good = tmp_path / "good.csv"
    good.write_text("Улица;Дом;Корпус;Этажи\nЛенина;5;;9\nСадовая;7;2;5\n", encoding="utf-8")
    r = hotline(tmp_path, "import", "buildings", str(good))
    assert r.returncode == 0 and "импортировано: строк 2, новых 2" in r.stdout, r.stdout + r.stderr
    residents = tmp_path / "r.csv"
    residents.write_text("Телефон,ФИО,Улица,Дом,Корпус,Квартира\n+7 916 111-22-33,Иванова,Садовая,7,2,12\n",
                         encoding="utf-8")
    assert hotline(tmp_path, "import", "residents", str(residents)).returncode == 0
    r = hotline(tmp_path, "export", "residents")
    assert r.returncode == 0 and "79161112233;Иванова;садовая;7;2;12" in r.stdout
    out = tmp_path / "b.xlsx"
    assert hotline(tmp_path, "export", "buildings", "--format", "xlsx", "-o", str(out)).returncode == 0
    assert out.read_bytes()[:2] == b"PK"

    assert hotline(tmp_path, "create-user", "plumber", "--role", "executor",
                   HOTLINE_NEW_PASSWORD="long-enough").returncode == 0
    r = hotline(tmp_path, "reset-password", "plumber")
    assert r.returncode == 0 and "временный пароль для plumber: " in r.stdout
    r = hotline(tmp_path, "deactivate-user", "plumber")
    assert r.returncode == 0 and "plumber: отключён" in r.stdout
    r = hotline(tmp_path, "duty")
    assert r.returncode == 0 and "plumber" not in r.stdout
    r = hotline(tmp_path, "reset-password", "nobody")
    assert r.returncode == 1 and "nobody" in r.stderr


def test_deadline_rules_for_scripts(tmp_path: Path) -> None:
    text = (REPO / "config" / "sla.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('repair = "2h"', 'repair = "2 часа"', 1), encoding="utf-8")
    r = hotline(tmp_path, "sla-check", str(bad))
    assert r.returncode == 1 and "bad duration '2 часа'" in r.stderr
    good = tmp_path / "good.toml"
    good.write_text(text.replace('"2026-12-31",', '"2026-12-31", "2026-12-30",'), encoding="utf-8")
    r = hotline(tmp_path, "sla-check", str(good))
    assert r.returncode == 0 and "ошибок нет" in r.stdout
    r = hotline(tmp_path, "sla-apply", str(good), "--comment", "30 декабря — выходной")
    assert r.returncode == 0 and "версия 1 в силе" in r.stdout
    assert hotline(tmp_path, "sla-apply", str(bad)).returncode == 1
