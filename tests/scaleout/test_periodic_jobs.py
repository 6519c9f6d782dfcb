"""Periodic jobs on several instances sharing a PostgreSQL journal: each job runs on one
instance at a time, and another takes it over when its holder's session dies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from cti.periodic import Periodic
from journal import Database, Journal
from journal.job_locks import JobLocks, job_key

pytestmark = pytest.mark.parametrize("backend", ["postgres"])


class Instance:
    """One service instance's scheduler: its own database connections, its own lock session."""

    def __init__(self, name: str, url: str, ran: list[tuple[str, str]]) -> None:
        self.name = name
        self.db = Database.from_url(url)
        self.locks = JobLocks(self.db)
        self.loops = [Periodic(job, self._step(job, ran), 0.05, self.locks.hold)
                      for job in ("feedback-calls", "recording-retention")]

    def _step(self, job: str, ran: list[tuple[str, str]]) -> Callable[[], Awaitable[None]]:
        async def step() -> None:
            ran.append((self.name, job))
        return step

    def start(self) -> None:
        for loop in self.loops:
            loop.start()

    async def stop(self) -> None:
        for loop in self.loops:
            await loop.stop()
        await self.locks.close()
        await self.db.close()


@pytest.fixture
async def instances(journal: Journal) -> AsyncIterator[tuple[Instance, Instance, list[tuple[str, str]]]]:
    url = journal.db.engine.url.render_as_string(hide_password=False)
    ran: list[tuple[str, str]] = []
    a, b = Instance("a", url, ran), Instance("b", url, ran)
    yield a, b, ran
    for i in (a, b):
        await i.stop()


async def _holder_pid(journal: Journal, job: str) -> int | None:
    async with journal.db.read() as s:
        key = job_key(job)
        return (await s.execute(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objid::bigint = (CAST(:key AS bigint) & 4294967295) "
            "AND classid::bigint = ((CAST(:key AS bigint) >> 32) & 4294967295)"),
            {"key": key})).scalar()


async def test_each_job_runs_on_one_instance_and_moves_when_it_dies(
        journal: Journal, instances: tuple[Instance, Instance, list[tuple[str, str]]], tmp_path: Path) -> None:
    a, b, ran = instances
    a.start()
    await asyncio.sleep(0.3)  # a takes both jobs first
    b.start()
    await asyncio.sleep(1.0)
    assert {who for who, _ in ran} == {"a"}
    assert {job for _, job in ran} == {"feedback-calls", "recording-retention"}
    assert len(ran) > 20  # a steps on, b only asks

    # a freezes (its loops hang, its lock session stays open): nobody runs the jobs twice...
    # (Hung, not cancelled: a loop cancelled in the middle of its lock check may end the lock
    # session itself, which is a clean hand-over, not a frozen holder.)
    async def frozen(job: str) -> bool:
        await asyncio.Event().wait()
        return False

    for loop in a.loops:
        loop.lock = frozen
    await asyncio.sleep(0.3)  # a step already past its check finishes
    ran.clear()
    await asyncio.sleep(0.5)
    assert ran == []
    # ...until PostgreSQL ends the dead instance's session (keepalive; here at once), and b
    # takes both jobs over at its next step.
    pid = await _holder_pid(journal, "feedback-calls")
    assert pid is not None and pid == await _holder_pid(journal, "recording-retention")
    async with journal.db.write() as s:
        await s.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await asyncio.sleep(1.0)
    assert {job for _, job in ran} == {"feedback-calls", "recording-retention"}
    assert {who for who, _ in ran} == {"b"}
    assert await _holder_pid(journal, "feedback-calls") not in (None, pid)


async def test_a_live_instance_keeps_its_jobs_and_gives_them_up_on_stop(
        journal: Journal, instances: tuple[Instance, Instance, list[tuple[str, str]]]) -> None:
    a, b, ran = instances
    a.start()
    await asyncio.sleep(0.3)
    b.start()
    await asyncio.sleep(0.5)
    await a.stop()  # a clean stop closes the lock session: b takes over at once
    ran.clear()
    await asyncio.sleep(0.5)
    assert {who for who, _ in ran} == {"b"} and len({job for _, job in ran}) == 2
