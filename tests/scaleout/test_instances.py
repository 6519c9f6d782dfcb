"""`hotline run` twice on one journal: refused on a SQLite file (with a message that names the
running one and the way out), allowed on PostgreSQL. Real `hotline run` processes, production
mode, an Asterisk address where nothing listens (the service starts and waits for it)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cti.app.instance import single_instance
from cti.settings import Settings, SettingsError
from journal.migrate import upgrade
from tests.scaleout.processes import Processes
from tests.tools import free_port


class Services(Processes):
    def __init__(self, db_url: str, root: Path) -> None:
        super().__init__(root, db_url, {
            "HOTLINE_RECORDINGS_DIR": str(root / "files"), "HOTLINE_ASR_BACKEND": "none",
            "HOTLINE_ARI_URL": f"http://127.0.0.1:{free_port()}/ari", "HOTLINE_ARI_PASSWORD": "ari-secret",
            "HOTLINE_VOICE_PROMPTS_DIR": str(root / "prompts")})

    def start(self, name: str) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        return self.launch(name, "run", "--port", str(port)), port

    def wait_up(self, proc: subprocess.Popen[bytes], port: int, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, self.said(name)[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    if r.status in (200, 503):
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(self.said(name)[-3000:])

    def taken(self, names: tuple[str, ...]) -> list[str]:
        """The periodic jobs the named services took, all together (a job taken twice shows twice)."""
        return [str(entry["job"]) for name in names for entry in self.events(name, "periodic.job_taken")]


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


def test_the_lock_goes_with_the_holder(tmp_path: Path) -> None:
    settings = Settings()
    settings.database.url = f"sqlite+aiosqlite:///{tmp_path}/j.sqlite3"
    upgrade(settings.database_url())
    with single_instance(settings), pytest.raises(SettingsError, match=f"pid {os.getpid()}"), \
            single_instance(settings):
        pass
    with single_instance(settings):  # released on leaving the block
        pass
