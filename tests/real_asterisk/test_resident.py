"""A resident on a SIP phone calls 112 on a real Asterisk: the voice menu, the recording, the
ticket number and deadline spoken back; hang-ups at every step end as one missed call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from journal.models import MissedCall, Ticket
from tests.real_asterisk.conftest import (
    RESIDENT_NUMBER,
    Hotline,
    played,
    speech_wav,
    voiced_seconds,
    voiced_span,
    wav_seconds,
)
from tests.real_asterisk.phones import Baresip

PROMPTS = Path(__file__).resolve().parents[2] / "ivr" / "prompts"
# The greeting as ivr.flow.transitions plays it: only the emergency key cuts it short.
GREETING_SECONDS = sum(wav_seconds(PROMPTS / f"{name}.wav") for name in ("welcome", "call-recorded", "gas-warning"))
PROBLEM = "Здравствуйте, у меня на кухне течёт труба под раковиной, вода капает на пол, приходите пожалуйста."


async def counts(hotline: Hotline) -> tuple[int, int]:
    async with hotline.runtime.journal.db.read() as s:
        tickets = (await s.execute(select(func.count()).select_from(Ticket))).scalar_one()
        missed = (await s.execute(select(func.count()).select_from(MissedCall))).scalar_one()
    return tickets, missed


async def until_counts(hotline: Hotline, expected: tuple[int, int], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while (got := await counts(hotline)) != expected:
        if loop.time() > end:
            raise AssertionError(f"(tickets, missed calls) = {got}, expected {expected}")
        await asyncio.sleep(0.2)


async def choose_category(resident: Baresip, key: str = "1") -> None:
    """Wait out the greeting (only 0 cuts it), then answer the category menu."""
    await asyncio.sleep(GREETING_SECONDS + 1.5)
    await asyncio.to_thread(resident.dtmf, key)


async def test_key_1_and_speech_make_one_ticket_with_the_recording_and_the_number_spoken_back(
        hotline: Hotline, phones: Callable[..., Baresip], tmp_path: Path) -> None:
    speech = speech_wav(tmp_path / "problem.wav", PROBLEM, trailing_silence=12)
    console = await hotline.console("disp101")
    resident = phones("300")
    await asyncio.to_thread(resident.dial, "112")
    started = await console.state("menu", 10)
    assert started["caller_number"] == RESIDENT_NUMBER
    await choose_category(resident)
    await console.state("recording", 20)
    await asyncio.to_thread(resident.say, speech)
    ended = await console.state("ended", 60)
    assert ended["outcome"] == "ticket_registered" and ended["ticket_number"], ended

    # The journal: one ticket for the resident's phone, with the recording attached.
    await until_counts(hotline, (1, 0))
    journal = hotline.runtime.journal
    async with journal.db.read() as s:
        ticket = (await s.execute(select(Ticket))).scalar_one()
    assert ticket.number == ended["ticket_number"]
    assert ticket.caller_phone == RESIDENT_NUMBER and ticket.category == "water" and ticket.channel == "phone_ivr"
    [recording] = await journal.tickets.recordings(ticket.id)
    stored = journal.files.root / recording.path
    # The recording holds what the phone said: the speech span matches the file the phone sent.
    span = voiced_span(stored)
    sent = voiced_span(speech)
    assert span is not None and sent is not None, "the recording is silent"
    assert abs((span[1] - span[0]) - (sent[1] - sent[0])) <= 0.5, (span, sent)
    # Its stored length is the file's own, not Asterisk's whole seconds.
    assert abs(recording.duration_seconds - wav_seconds(stored)) < 0.05
    assert recording.duration_seconds != int(recording.duration_seconds)

    # What the phone heard after the recording: the number and the deadline, spoken.
    sounds = played(hotline.pbx, "PJSIP/300-")
    assert sounds[0].endswith("hotline/welcome"), sounds
    after = sounds[sounds.index(next(s for s in sounds if s.endswith("hotline/ticket-accepted"))):]
    assert any("digits/" in s for s in after), after  # the ticket number, digit by digit
    assert any(s.endswith(("hotline/deadline-by", "hotline/deadline-within")) for s in after), after
    await asyncio.to_thread(resident.stop)
    [heard] = resident.heard()
    expected = sum(wav_seconds(_sound_file(hotline, s)) for s in after)
    tail_start = wav_seconds(heard) - expected - 1.0
    assert voiced_seconds(heard, start=max(0.0, tail_start)) >= 0.5 * expected, (expected, wav_seconds(heard))


def _sound_file(hotline: Hotline, name: str) -> Path:
    """The WAV Asterisk played for ``name`` (e.g. 'hotline/welcome' or 'digits/5')."""
    base = hotline.pbx.root / "lib" / "sounds" / "ru"
    for candidate in (base / f"{name}.wav", base / f"{name}.WAV"):
        if candidate.exists():
            return candidate
    raise AssertionError(f"no sound file for {name}")


async def test_hang_up_in_the_greeting_is_one_missed_call(hotline: Hotline, phones: Callable[..., Baresip]) -> None:
    console = await hotline.console("disp101")
    resident = phones("300")
    await asyncio.to_thread(resident.dial, "112")
    await console.state("menu", 10)
    await asyncio.sleep(2)
    await asyncio.to_thread(resident.hangup)
    ended = await console.state("ended", 15)
    assert ended["outcome"] == "missed"
    await until_counts(hotline, (0, 1))
    missed = await hotline.runtime.journal.calls.missed()
    assert [m.caller_number for m in missed] == [RESIDENT_NUMBER]


async def test_hang_up_in_the_menu_is_one_missed_call(hotline: Hotline, phones: Callable[..., Baresip]) -> None:
    console = await hotline.console("disp101")
    resident = phones("300")
    await asyncio.to_thread(resident.dial, "112")
    await console.state("menu", 10)
    await asyncio.sleep(GREETING_SECONDS + 1.5)  # the category menu is playing now
    await asyncio.to_thread(resident.hangup)
    ended = await console.state("ended", 15)
    assert ended["outcome"] == "missed"
    await until_counts(hotline, (0, 1))


async def test_hang_up_while_recording_without_a_word_is_one_missed_call(
        hotline: Hotline, phones: Callable[..., Baresip]) -> None:
    console = await hotline.console("disp101")
    resident = phones("300")
    await asyncio.to_thread(resident.dial, "112")
    await console.state("menu", 10)
    await choose_category(resident)
    await console.state("recording", 20)
    await asyncio.sleep(1.0)
    await asyncio.to_thread(resident.hangup)
    ended = await console.state("ended", 15)
    assert ended["outcome"] == "missed", ended
    await until_counts(hotline, (0, 1))
