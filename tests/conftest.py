"""Shared fixtures: a migrated journal on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from journal import Database, Journal, JournalConfig, SlaPolicy
from journal.migrate import upgrade
from tests.tools import REQUIRE_ALL

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
REQUIRE_PG = os.environ.get("HOTLINE_TEST_REQUIRE_POSTGRES") == "1"
T = TypeVar("T")
# A session key as production wants it (at least 32 random characters); every test app uses it.
TEST_SECRET_KEY = "tk3Zq9rXv0-Lm2Pw8sYb6Nc1Hd5Jf7Gg4Te_Ua0Ri9Oo2Ek"


def run_in_thread(fn: Callable[[], T]) -> T:
    """Run blocking setup (which may call asyncio.run) away from any running event loop."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def _pg_admin(sql: str) -> None:
    import asyncpg

    async def go() -> None:
        dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")  # type: ignore[union-attr]
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_in_thread(lambda: asyncio.run(go()))


def _pg_url(dbname: str) -> str:
    assert PG_URL is not None
    return PG_URL.rsplit("/", 1)[0] + "/" + dbname


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "journal.sqlite3"
    run_in_thread(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if PG_URL is None:
        if REQUIRE_PG:
            pytest.fail("HOTLINE_TEST_REQUIRE_POSTGRES=1 but no PostgreSQL server (HOTLINE_TEST_POSTGRES_URL)")
        pytest.skip("needs a PostgreSQL server: scripts/test starts one when Debian's postgresql is installed "
                    "(apt-get install postgresql), or set HOTLINE_TEST_POSTGRES_URL")
    name = f"hotline_tpl_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    run_in_thread(lambda: upgrade(_pg_url(name)))
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "journal.sqlite3"
        shutil.copy(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"hotline_t_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    yield _pg_url(name)
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sla() -> SlaPolicy:
    return SlaPolicy.load(REPO / "config" / "sla.toml", "Europe/Moscow")


@pytest.fixture
async def journal(db_url: str, sla: SlaPolicy, tmp_path: Path) -> AsyncIterator[Journal]:
    j = Journal.build(Database.from_url(db_url), sla, JournalConfig(), tmp_path / "files")
    yield j
    await j.close()


@pytest.fixture(autouse=True)
def _logging_left_as_found(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test that runs a `hotline` command configures structlog for the process (to a captured
    stderr that closes with the test): no logger may cache that, and the defaults come back after."""
    import structlog

    from cti import logs

    monkeypatch.setattr(logs, "_configured", True)
    yield
    structlog.reset_defaults()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI (HOTLINE_TEST_REQUIRE_ALL=1) a test skipped for want of a tool, a model or a server
    is a failure: CI installs them all, so a skip there means a broken install step."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"HOTLINE_TEST_REQUIRE_ALL=1, where everything must be installed, but: {reason}"
