"""Saying the category instead of pressing a key: the caller's words are recorded after the
menu prompt and recognised by the real Vosk recogniser in grammar mode.

The Russian model cannot be installed here, so the grammar of this test is Korean words that
the packaged Korean model knows; the wiring under test is the same for Russian phrases."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal import TicketFilter
from journal.clock import utcnow
from pbxsim import CallScript
from tests.hotline.conftest import Hotline

KOREAN_CHOICES = {"water_sewer": ["물"], "dispatcher": ["네"]}


@pytest.mark.speech(KOREAN_CHOICES)
async def test_spoken_category_makes_the_ticket(hotline: Hotline, speech: dict[str, Path], speech_wav: Path) -> None:
    # First the caller says the category ("물", water), then describes the problem.
    call = hotline.sim.place_call(CallScript("79160000011", say=[speech["water"], speech_wav]))
    await call.done.wait()
    await hotline.settle(30)
    [ticket] = await hotline.journal.monitor.tickets(TicketFilter(open_only=False), utcnow())
    assert ticket.category == "water"
    call_row = await hotline.journal.calls.get(ticket.call_id)  # type: ignore[arg-type]
    assert "said:water_sewer" in (call_row.ivr_path or "")
    played = hotline.sim.played(call.id)
    assert "sound:hotline/category-water_sewer" in played


@pytest.mark.speech(KOREAN_CHOICES)
async def test_keys_still_work_while_listening(hotline: Hotline, speech_wav: Path) -> None:
    call = hotline.sim.place_call(CallScript("79160000012", say=speech_wav))
    await hotline.wait_played(call.id, lambda p: "sound:hotline/category-menu" in p)
    hotline.sim.press(call.id, "2")
    await call.done.wait()
    await hotline.settle(30)
    [ticket] = await hotline.journal.monitor.tickets(TicketFilter(open_only=False), utcnow())
    assert ticket.category == "heating"
    assert len(await hotline.journal.tickets.recordings(ticket.id)) == 1
