"""Back up, wipe, restore: the journal and the recordings are back, byte for byte, with the
`hotline` command as an operator runs it (docs/operations.md)."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from pathlib import Path

from journal import Actor, Database, Journal, JournalConfig, NewTicket, SlaPolicy
from tests.conftest import run_in_thread
from tests.foundation.test_cli import REPO, hotline

RECORDING = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 40


def env(tmp_path: Path, db_url: str) -> dict[str, str]:
    return {"HOTLINE_DATABASE_URL": db_url, "HOTLINE_RECORDINGS_DIR": str(tmp_path / "recordings"),
            "HOTLINE_VOICE_PROMPTS_DIR": str(tmp_path / "prompts")}


async def fill(tmp_path: Path, db_url: str) -> tuple[str, int]:
    journal = Journal.build(Database.from_url(db_url),
                            SlaPolicy.load(REPO / "config" / "sla.toml", "Europe/Moscow"), JournalConfig(),
                            tmp_path / "recordings")
    try:
        await journal.people.create_user("petrova", "Петрова", "dispatcher", "password1", extension="101")
        b = await journal.people.add_building("Ленина", "5")
        call = await journal.calls.start(channel_id="c-1", caller_number="79161234567")
        rec = await journal.calls.add_recording(call_id=call.id, name="c-1", data=RECORDING)
        reg = await journal.tickets.register(NewTicket(channel="phone_ivr", category="water", building_id=b.id,
                                                       caller_phone="79161234567", call_id=call.id,
                                                       recording_ids=[rec.id], actor=Actor.system("ivr")))
        return reg.ticket.number, rec.id
    finally:
        await journal.close()


async def read_back(tmp_path: Path, db_url: str, recording_id: int) -> tuple[list[str], bytes, list[str]]:
    journal = Journal.build(Database.from_url(db_url),
                            SlaPolicy.load(REPO / "config" / "sla.toml", "Europe/Moscow"), JournalConfig(),
                            tmp_path / "recordings")
    try:
        from journal import TicketFilter
        from journal.clock import utcnow

        tickets = [t.number for t in await journal.monitor.tickets(TicketFilter(open_only=False), utcnow())]
        recs = await journal.tickets.recordings((await journal.monitor.tickets(TicketFilter(), utcnow()))[0].id)
        data = journal.files.path(next(r for r in recs if r.id == recording_id).path).read_bytes()
        users = [u.login for u in await journal.people.users()]
        return tickets, data, users
    finally:
        await journal.close()


async def wipe_postgres(db_url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


def test_back_up_wipe_restore(tmp_path: Path, db_url: str, backend: str) -> None:
    """On SQLite (an online copy) and PostgreSQL (pg_dump / pg_restore)."""
    e = env(tmp_path, db_url)
    assert hotline(tmp_path, "migrate", **e).returncode == 0
    number, recording_id = run_in_thread(lambda: asyncio.run(fill(tmp_path, db_url)))
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "welcome.wav").write_bytes(b"RIFF-installed-prompt")

    archive = tmp_path / "backups" / "nightly.tar.gz"
    r = hotline(tmp_path, "backup", "-o", str(archive), **e)
    assert r.returncode == 0, r.stderr
    assert f"{'sqlite' if backend == 'sqlite' else 'postgresql'} journal, 1 files" in r.stdout

    # The machine is lost: journal, recordings and prompts gone.
    if backend == "sqlite":
        for p in tmp_path.glob("journal.sqlite3*"):
            p.unlink()
    else:
        run_in_thread(lambda: asyncio.run(wipe_postgres(db_url)))
    shutil.rmtree(tmp_path / "recordings")
    shutil.rmtree(tmp_path / "prompts")

    r = hotline(tmp_path, "restore", str(archive), **e)
    assert r.returncode == 0, r.stderr
    tickets, data, users = run_in_thread(lambda: asyncio.run(read_back(tmp_path, db_url, recording_id)))
    assert tickets == [number] and users == ["petrova"]
    assert hashlib.sha256(data).digest() == hashlib.sha256(RECORDING).digest()
    assert (tmp_path / "prompts" / "welcome.wav").read_bytes() == b"RIFF-installed-prompt"

    if backend == "sqlite":
        # Restoring over a live journal needs --force.
        r = hotline(tmp_path, "restore", str(archive), **e)
        assert r.returncode == 1 and "--force" in r.stderr
    assert hotline(tmp_path, "restore", str(archive), "--force", **e).returncode == 0
