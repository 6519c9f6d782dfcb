"""`hotline run` twice on one journal: refused on a SQLite file (with a message that names the
running one and the way out), allowed on PostgreSQL. Real `hotline run` processes, production
mode, an Asterisk address where nothing listens (the service starts and waits for it)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cti.app.instance import single_instance
from cti.settings import Settings, SettingsError
from journal.migrate import upgrade
from tests.conftest import REPO, TEST_SECRET_KEY


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Services:
    def __init__(self, db_url: str, root: Path) -> None:
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")} | {
            "HOTLINE_DATABASE_URL": db_url, "HOTLINE_RECORDINGS_DIR": str(root / "files"),
            "HOTLINE_ASR_BACKEND": "none", "HOTLINE_SERVER_SECRET_KEY": TEST_SECRET_KEY,
            "HOTLINE_ARI_URL": f"http://127.0.0.1:{_free_port()}/ari", "HOTLINE_ARI_PASSWORD": "ari-secret",
            "HOTLINE_VOICE_PROMPTS_DIR": str(root / "prompts"), "HOTLINE_LOGGING_FORMAT": "json"}
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str) -> tuple[subprocess.Popen[bytes], int]:
        port = _free_port()
        with (self.root / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "cti.app.cli", "run", "--port", str(port)], cwd=REPO,
                                    env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc, port

    def wait_up(self, proc: subprocess.Popen[bytes], port: int, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, (self.root / f"{name}.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    if r.status in (200, 503):
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError((self.root / f"{name}.log").read_text()[-3000:])

    def taken(self, names: tuple[str, ...]) -> list[str]:
        """The periodic jobs the named services took, all together (a job taken twice shows twice)."""
        return [job for name in names for job in _taken(self.root / f"{name}.log")]

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)


@pytest.fixture
def services(db_url: str, tmp_path: Path) -> Iterator[Services]:
    s = Services(db_url, tmp_path)
    yield s
    s.stop_all()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_second_service_on_one_sqlite_journal_is_refused(services: Services, tmp_path: Path) -> None:
    first, port = services.start("first")
    services.wait_up(first, port, "first")
    second, _ = services.start("second")
    assert second.wait(60) == 2
    said = (tmp_path / "second.log").read_text()
    assert f"another hotline service (pid {first.pid}) is already running on the SQLite journal" in said
    assert "PostgreSQL" in said
    # The first one goes on serving; once it stops, a new one starts.
    services.wait_up(first, port, "first", timeout=5)
    first.send_signal(signal.SIGTERM)
    assert first.wait(30) == 0
    third, port = services.start("third")
    services.wait_up(third, port, "third")


@pytest.mark.parametrize("backend", ["postgres"])
def test_two_services_share_a_postgresql_journal(services: Services) -> None:
    (first, port1), (second, port2) = services.start("first"), services.start("second")
    services.wait_up(first, port1, "first")
    services.wait_up(second, port2, "second")
    # Both serve; each periodic job (rating calls, notifications, retention) runs on one of them.
    jobs = ("feedback-calls", "status-notify", "recording-retention")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(taken := services.taken(("first", "second"))) < len(jobs):
        time.sleep(0.2)
    assert sorted(taken) == sorted(jobs)


def _taken(log: Path) -> list[str]:
    return [entry["job"] for line in log.read_text(errors="replace").splitlines()
            if line.startswith("{") and (entry := json.loads(line)).get("event") == "periodic.job_taken"]


def test_the_lock_goes_with_the_holder(tmp_path: Path) -> None:
    settings = Settings()
    settings.database.url = f"sqlite+aiosqlite:///{tmp_path}/j.sqlite3"
    upgrade(settings.database_url())
    with single_instance(settings), pytest.raises(SettingsError, match=f"pid {os.getpid()}"), \
            single_instance(settings):
        pass
    with single_instance(settings):  # released on leaving the block
        pass
