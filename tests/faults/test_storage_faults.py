"""The journal's storage misbehaving mid-burst: another process holds the SQLite write lock for
seconds; the recordings disk is full. Every call still ends as a ticket or a missed-call record."""

from __future__ import annotations

import asyncio
import errno
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from bench.load_day import Day
from cti.runtime import Runtime
from journal.models import Ticket
from journal.storage import FileStore, StoredFile
from tests.faults.conftest import run

HOLD_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""


async def test_database_write_lock_held_by_another_process_delays_but_loses_nothing(
        small_day: Day, tmp_path: Path) -> None:
    async def lock() -> None:
        await asyncio.sleep(0.5)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLD_LOCK, str(tmp_path / "journal.sqlite3"), "4",
            stdout=subprocess.PIPE)
        assert proc.stdout is not None
        assert (await proc.stdout.readline()).strip() == b"locked"
        await proc.wait()

    report = await run(small_day, lock)
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert report.handled == report.placed == 30


class FullDisk(FileStore):
    """A recordings volume with no space left: every write fails as the kernel says it."""

    def _put(self, data: bytes, suffix: str) -> StoredFile:
        raise OSError(errno.ENOSPC, "No space left on device")


def fill_disk(runtime: Runtime) -> None:
    full = FullDisk(runtime.journal.files.root)
    runtime.journal.files = full
    runtime.journal.calls.files = full


async def test_full_recordings_disk_still_registers_tickets_with_a_note(small_day: Day) -> None:
    small_day.on_service = fill_disk
    report = await run(small_day)
    assert report.ok, (report.lost, report.duplicates, report.hanging)
    assert small_day.runtime is not None
    async with small_day.runtime.journal.db.read() as s:
        ivr = (await s.execute(select(Ticket).where(Ticket.channel == "phone_ivr"))).scalars().all()
    assert ivr, "callers who described a problem still got a ticket"
    assert all("запись обращения не сохранена" in (t.description or "") for t in ivr)
    assert all(t.transcript_status == "none" for t in ivr)
