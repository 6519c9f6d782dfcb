"""`hotline` processes a test starts on its own journal (services, workers), each logging JSON
to ``<root>/<name>.log``; all stopped at the end (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, TEST_SECRET_KEY


class Processes:
    def __init__(self, root: Path, db_url: str, env: dict[str, str]) -> None:
        self.root = root
        # Nothing of the developer's own HOTLINE_* settings leaks in.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")} | {
            "HOTLINE_DATABASE_URL": db_url, "HOTLINE_SERVER_SECRET_KEY": TEST_SECRET_KEY,
            "HOTLINE_LOGGING_FORMAT": "json"} | env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def launch(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """`hotline <args>` as ``name``."""
        with self.log_path(name).open("wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "cti.app.cli", *args], cwd=REPO, env=self.env,
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs[name] = proc
        return proc

    def log_path(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def said(self, name: str) -> str:
        return self.log_path(name).read_text(errors="replace")

    def events(self, name: str, event: str) -> list[dict[str, object]]:
        """The JSON log entries of ``event`` the process wrote."""
        return [entry for line in self.said(name).splitlines()
                if line.startswith("{") and (entry := json.loads(line)).get("event") == event]

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
