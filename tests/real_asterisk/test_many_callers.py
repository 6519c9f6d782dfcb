"""Twenty residents at once from SIPp over the city trunk, each keying 1 and speaking: twenty
tickets, each with its recording, nothing lost and nothing left in Asterisk."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from journal.models import MissedCall, Recording, Ticket
from tests.real_asterisk.conftest import Hotline, speech_wav, voiced_span
from tests.real_asterisk.sipp import run_sipp

CALLS = 20


async def test_twenty_residents_at_once_make_twenty_tickets(hotline: Hotline, tmp_path: Path) -> None:
    speech = speech_wav(tmp_path / "problem.wav", "Здравствуйте, в квартире нет горячей воды со вчерашнего вечера.")
    result = await asyncio.to_thread(run_sipp, hotline.pbx, tmp_path / "sipp", speech, calls=CALLS)
    assert result.successful == CALLS and result.failed == 0, (result, (tmp_path / "sipp" / "sipp.out").read_text()[-3000:])
    journal = hotline.runtime.journal
    loop = asyncio.get_running_loop()
    end = loop.time() + 30
    while True:
        async with journal.db.read() as s:
            tickets = (await s.execute(select(Ticket))).scalars().all()
            missed = (await s.execute(select(MissedCall))).scalars().all()
            recordings = (await s.execute(select(Recording))).scalars().all()
        if len(tickets) + len(missed) >= CALLS or loop.time() > end:
            break
        await asyncio.sleep(0.5)
    assert missed == []
    assert sorted(t.caller_phone for t in tickets) == [f"7916{2000000 + i:07d}" for i in range(CALLS)]
    assert len({t.number for t in tickets}) == CALLS
    by_ticket = {r.ticket_id: r for r in recordings}
    assert set(by_ticket) == {t.id for t in tickets}
    for rec in by_ticket.values():
        assert voiced_span(journal.files.root / rec.path) is not None, f"{rec.name} is silent"
