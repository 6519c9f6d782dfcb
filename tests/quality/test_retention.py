"""Recordings past the retention period lose their files; the rows stay, marked, and the
ticket's history says so. A file still used by a younger recording is kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from journal import Actor, Journal, NewTicket
from journal.clock import utcnow
from journal.models import Recording
from journal.retention import RecordingRetention


async def _recording(journal: Journal, data: bytes, age_days: int, ticket_id: int | None = None) -> int:
    rec = await journal.calls.add_recording(call_id=None, name=f"r{age_days}", data=data, ticket_id=ticket_id)
    async with journal.db.write() as s:
        await s.execute(update(Recording).where(Recording.id == rec.id).values(
            created_at=utcnow() - timedelta(days=age_days)))
    return rec.id


async def test_old_recordings_are_deleted_and_noted(journal: Journal) -> None:
    ticket = (await journal.tickets.register(NewTicket(channel="phone_ivr", category="water",
                                                       actor=Actor.system("ivr")))).ticket
    old = await _recording(journal, b"old audio", 1200, ticket.id)
    young = await _recording(journal, b"young audio", 10)
    shared_old = await _recording(journal, b"shared audio", 1200)
    shared_young = await _recording(journal, b"shared audio", 5)
    old_path = journal.files.path((await journal.calls.recording(old)).path)
    assert old_path.is_file()

    result = await RecordingRetention(journal.db, journal.files, retention_days=1095).purge()
    assert (result.recordings, result.files) == (2, 1)
    gone = await journal.calls.recording(old)
    assert gone.deleted_at is not None and "1095" in (gone.deleted_reason or "")
    assert not old_path.exists()
    assert (await journal.calls.recording(young)).deleted_at is None
    assert (await journal.calls.recording(shared_old)).deleted_at is not None
    kept = await journal.calls.recording(shared_young)
    assert kept.deleted_at is None and journal.files.path(kept.path).is_file()
    note = [h for h in await journal.tickets.history(ticket.id) if h.actor == "system:retention"]
    assert len(note) == 1 and "удалена" in (note[0].text or "")
    # Idempotent: a second run finds nothing.
    assert (await RecordingRetention(journal.db, journal.files, retention_days=1095).purge()).recordings == 0
