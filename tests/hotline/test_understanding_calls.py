"""The voice menu understands the description during the call (asr.confirm_understanding):
what a caller hears and what the journal gets, through the stand-in Asterisk."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest

from journal import TicketFilter
from journal.clock import utcnow
from pbxsim import CallScript
from tests.hotline.conftest import Hotline


@pytest.fixture
def speech_wav(tmp_path: Path) -> Path:
    """Four seconds of voice-band sound: the recogniser here is a stand-in that hears a fixed
    text, so only the talking matters (the stand-in measures it)."""
    path = tmp_path / "said.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(32000)))
    return path


@pytest.mark.understanding("стена мокрая в углу")
async def test_unsure_words_are_confirmed_with_a_key(hotline: Hotline, speech_wav: Path) -> None:
    call = hotline.sim.place_call(CallScript("79160000021", say=speech_wav))
    await hotline.wait_played(call.id, lambda p: "sound:hotline/category-menu" in p)
    hotline.sim.press(call.id, "2")
    await hotline.wait_played(call.id, lambda p: "sound:hotline/confirm-keys" in p, timeout=20)
    played = hotline.sim.played(call.id)
    assert "sound:hotline/confirm-roof" in played  # «Вы сообщаете о крыше?»
    hotline.sim.press(call.id, "1")
    await call.done.wait()
    await hotline.settle(30)
    [ticket] = await hotline.journal.monitor.tickets(TicketFilter(open_only=False), utcnow())
    assert ticket.category == "common_property"  # the roof, not the heating key pressed
    assert len(await hotline.journal.tickets.recordings(ticket.id)) == 1
    row = await hotline.journal.calls.get(ticket.call_id)  # type: ignore[arg-type]
    assert "confirmed:yes" in (row.ivr_path or "")


@pytest.mark.understanding("батареи холодные во всей квартире")
async def test_clear_words_ask_nothing(hotline: Hotline, speech_wav: Path) -> None:
    call = hotline.sim.place_call(CallScript("79160000022", say=speech_wav))
    await hotline.wait_played(call.id, lambda p: "sound:hotline/category-menu" in p)
    hotline.sim.press(call.id, "2")
    await call.done.wait()
    await hotline.settle(30)
    played = hotline.sim.played(call.id)
    assert "sound:hotline/one-moment" in played
    assert not any(p.startswith("sound:hotline/confirm-") for p in played)
    [ticket] = await hotline.journal.monitor.tickets(TicketFilter(open_only=False), utcnow())
    assert ticket.category == "heating"


@pytest.mark.understanding("в подвале нечистоты по колено всё затопило")
async def test_an_emergency_in_the_words_puts_the_caller_through(hotline: Hotline, speech_wav: Path) -> None:
    call = hotline.sim.place_call(CallScript("79160000023", say=speech_wav))
    await hotline.wait_played(call.id, lambda p: "sound:hotline/category-menu" in p)
    hotline.sim.press(call.id, "5")
    await hotline.wait_played(call.id, lambda p: "sound:hotline/connecting-emergency" in p, timeout=20)
    hotline.sim.hangup(call.id)
    await call.done.wait()
    await hotline.settle(30)
    [ticket] = await hotline.journal.monitor.tickets(TicketFilter(open_only=False), utcnow())
    assert len(await hotline.journal.tickets.recordings(ticket.id)) == 1  # the words are kept
