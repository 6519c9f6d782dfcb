"""The test suite itself, as a newcomer meets it: a clone alone runs it (its recorded fixtures
are inside the repository), a missing program skips a test and the summary says which, CI turns
that skip into a failure, and two checkouts on one machine get PostgreSQL servers of their own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.checkout import checkout
from tests.tools import needs_postgres_server

REPO = Path(__file__).resolve().parents[2]
PROBE = "tests/foundation/needs_probe.py"
# Tests that read every kind of recorded fixture: Asterisk traces, the ARI specification, the
# caller's speech, the labelled transcripts.
FIXTURE_READERS = ["tests/bridge/test_events.py", "tests/bridge/test_ari_contract.py",
                   "tests/bridge/test_example_flow.py", "tests/nlu/test_datasets.py"]


def pytest_in(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_TEST_")} | env
    # PYTHONPATH: the code of ``cwd`` before this checkout's editable install.
    environ["PYTHONPATH"] = str(cwd)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *args],
                          cwd=cwd, env=environ, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_clone_alone_runs_the_tests_that_read_recorded_fixtures(tmp_path: Path) -> None:
    clone = tmp_path / "hotline"  # nothing beside it: no ../shared
    checkout(clone)
    r = pytest_in(clone, *FIXTURE_READERS)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    summary = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in .*", summary), summary  # nothing skipped, nothing failed


def test_a_missing_program_skips_with_the_reason_in_the_summary() -> None:
    r = pytest_in(REPO, PROBE)
    assert r.returncode == 0, r.stdout
    assert re.search(r"SKIPPED \[1\] tests/foundation/needs_probe\.py:\d+: needs hotline-no-such-program, "
                     r"which is not on PATH", r.stdout), r.stdout
    assert r.stdout.strip().splitlines()[-1].startswith("1 skipped")


def test_in_ci_a_missing_program_fails_the_run() -> None:
    r = pytest_in(REPO, PROBE, HOTLINE_TEST_REQUIRE_ALL="1")
    assert r.returncode == 1, r.stdout
    reason = "HOTLINE_TEST_REQUIRE_ALL=1, where everything must be installed, but: Skipped: needs hotline-no-such-program"
    assert reason in r.stdout, r.stdout
    # A skipif mark acts in the test's setup, so the failure shows as an error.
    assert re.fullmatch(r"1 (failed|error) in .*", r.stdout.strip().splitlines()[-1]), r.stdout


@pytest.mark.slow
@needs_postgres_server
async def test_two_checkouts_get_postgresql_servers_of_their_own(tmp_path: Path) -> None:
    clones = [tmp_path / "a", tmp_path / "b"]
    urls = []
    try:
        for clone in clones:
            checkout(clone)
            env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_PG_")}
            r = subprocess.run([str(clone / "scripts" / "pg-test-server"), "start"], env=env, capture_output=True,
                               text=True, timeout=120)
            assert r.returncode == 0, r.stderr
            urls.append(r.stdout.strip())
        assert urls[0] != urls[1]
        subprocess.run([str(clones[0] / "scripts" / "pg-test-server"), "stop"], env=env, check=True, timeout=60)
        # Stopping the first leaves the second serving.
        conn = await asyncpg.connect(urls[1].replace("postgresql+asyncpg://", "postgresql://"))
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()
    finally:
        for clone in clones:
            subprocess.run([str(clone / "scripts" / "pg-test-server"), "stop"], env=env, timeout=60, check=False)
