"""Key 0 and key 9 on a real Asterisk: the free dispatcher's phone rings and answers, the two
talk both ways, the conversation is recorded onto the ticket; a phone that is not registered,
does not answer or is busy passes the call on; nobody answering ends in a message and a
call-back ticket. Both ring targets are tried: the dialplan's Local/{ext}@dispatchers (the
default) and PJSIP/{ext} straight to the phone (whose Dial events say RINGING first)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from journal.models import Recording, Ticket
from tests.real_asterisk.conftest import RESIDENT_NUMBER, Console, Hotline, speech_wav, voiced_seconds, voiced_span
from tests.real_asterisk.phones import Baresip
from tests.real_asterisk.test_resident import GREETING_SECONDS, until_counts

RESIDENT_SAYS = "Алло, у нас в подъезде пахнет газом, очень сильно, приезжайте скорее."
DISPATCHER_SAYS = "Аварийно-диспетчерская служба, диспетчер слушает. Назовите адрес, пожалуйста."
TARGETS = {"local": "Local/{ext}@dispatchers", "pjsip": "PJSIP/{ext}"}


@pytest.fixture(params=sorted(TARGETS))
def ring(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"ring_endpoint": TARGETS[request.param], "ring_each_seconds": 6, "ring_seconds": 30}


def answered_pop(m: dict[str, Any]) -> bool:
    return m.get("type") == "screen_pop" and m.get("stage") == "answered"


async def reject_when_ringing(phone: Baresip) -> None:
    """A dispatcher who is on another line: the phone refuses the call as busy."""
    while True:
        calls = await asyncio.to_thread(phone.command, "listcalls")
        if "INCOMING" in calls.upper() or "sip:" in calls:
            await asyncio.to_thread(phone.hangup)
            return
        await asyncio.sleep(0.2)


async def talk(hotline: Hotline, resident: Baresip, dispatcher: Baresip, console: Console,
               tmp_path: Path, key: str) -> tuple[dict[str, Any], float]:
    """The resident dials 112 and presses ``key``; once a dispatcher answers, each says a
    sentence; the resident hangs up. Returns the answered card and seconds from answer to hang-up."""
    resident_speech = speech_wav(tmp_path / "resident.wav", RESIDENT_SAYS, trailing_silence=3)
    dispatcher_speech = speech_wav(tmp_path / "dispatcher.wav", DISPATCHER_SAYS, trailing_silence=3)
    await asyncio.to_thread(resident.dial, "112")
    if key == "9":
        await asyncio.sleep(GREETING_SECONDS + 1.5)
    else:
        await asyncio.sleep(2.0)  # the emergency key cuts the greeting short
    await asyncio.to_thread(resident.dtmf, key)
    card = await console.until(answered_pop, 40)
    loop = asyncio.get_running_loop()
    answered_at = loop.time()
    await asyncio.to_thread(dispatcher.say, dispatcher_speech)
    await asyncio.sleep(0.3)
    await asyncio.to_thread(resident.say, resident_speech)
    await asyncio.sleep(9)
    await asyncio.to_thread(resident.hangup)
    return card, loop.time() - answered_at


async def test_key_0_rings_past_an_unregistered_phone_and_the_two_talk_on_a_recorded_line(
        hotline: Hotline, phones: Callable[..., Baresip], tmp_path: Path) -> None:
    # 101 has a console but no phone registered: its ring fails at once (PJSIP: originate answers
    # 500 "Allocation failed"; Local: the dialplan's Dial says CHANUNAVAIL); 102 answers.
    console101 = await hotline.console("disp101")
    console102 = await hotline.console("disp102")
    dispatcher = phones("102", auto_answer=True)
    resident = phones("300")
    card, talked = await talk(hotline, resident, dispatcher, console102, tmp_path, "0")
    assert card["extension"] == "102" and card["caller_number"] == RESIDENT_NUMBER and card["emergency"]
    assert not any(answered_pop(m) for m in console101.seen)
    ended = await console102.state("ended", 15)
    assert ended["outcome"] == "dispatcher_answered" and ended["ticket_number"] == card["ticket_number"]

    # The ticket the dispatcher completes, with the whole conversation attached.
    journal = hotline.runtime.journal
    ticket = await journal.tickets.get(card["ticket_id"])
    assert ticket.caller_phone == RESIDENT_NUMBER and ticket.channel == "phone_dispatcher"
    assert ticket.priority == "emergency"
    [conversation] = await journal.tickets.recordings(ticket.id)
    assert conversation.name.startswith("conversation-") and conversation.call_id is not None
    stored = journal.files.root / conversation.path
    assert abs(conversation.duration_seconds - talked) < 2.5, (conversation.duration_seconds, talked)
    # Both voices are in it: more voiced time than either sentence alone.
    resident_voice = voiced_seconds(tmp_path / "resident.wav")
    dispatcher_voice = voiced_seconds(tmp_path / "dispatcher.wav")
    assert voiced_seconds(stored) >= max(resident_voice, dispatcher_voice) + 0.25 * min(resident_voice, dispatcher_voice)

    # QA plays it from the console, and it goes with the others when its time is up.
    qa = await hotline.console("qa1")
    async with qa.session.http.get(qa.session.url(f"/recordings/{conversation.id}")) as r:
        assert r.status == 200 and await r.read() == stored.read_bytes()
    from datetime import timedelta

    from journal.clock import utcnow
    from journal.retention import RecordingRetention

    retention = RecordingRetention(journal.db, journal.files, retention_days=1)
    assert (await retention.purge(now=utcnow() + timedelta(hours=1))).recordings == 0
    assert (await retention.purge(now=utcnow() + timedelta(days=1, hours=1))).recordings == 1
    assert not stored.exists() and (await journal.calls.recording(conversation.id)).deleted_at is not None

    # Two-way audio: each phone heard the other's sentence.
    await asyncio.to_thread(dispatcher.stop)
    await asyncio.to_thread(resident.stop)
    [dispatcher_heard] = dispatcher.heard()
    assert voiced_seconds(dispatcher_heard) >= 0.6 * resident_voice
    [resident_heard] = resident.heard()
    span = voiced_span(resident_heard)
    assert span is not None
    # The resident's last seconds on the line were the dispatcher speaking, not hold music.
    from tests.real_asterisk.conftest import wav_seconds

    tail = wav_seconds(resident_heard) - talked
    assert voiced_seconds(resident_heard, start=tail) >= 0.6 * dispatcher_voice


async def press_after_greeting(resident: Baresip, key: str) -> None:
    await asyncio.to_thread(resident.dial, "112")
    await asyncio.sleep(GREETING_SECONDS + 1.5)
    await asyncio.to_thread(resident.dtmf, key)


def ringing_pop(m: dict[str, Any]) -> bool:
    return m.get("type") == "screen_pop" and m.get("stage") == "ringing"


async def test_key_9_rings_past_a_phone_nobody_answers(hotline: Hotline, phones: Callable[..., Baresip]) -> None:
    console102 = await hotline.console("disp102")
    console103 = await hotline.console("disp103")
    phones("102")  # registered, rings, nobody picks up
    phones("103", auto_answer=True)
    resident = phones("300")
    await press_after_greeting(resident, "9")
    rang = await console102.until(ringing_pop, 20)
    loop = asyncio.get_running_loop()
    started = loop.time()
    card = await console103.until(answered_pop, 30)
    waited = loop.time() - started
    assert rang["extension"] == "102" and not rang["emergency"]
    assert card["extension"] == "103" and waited >= 4, waited  # 102 rang its share (6 s) first
    await asyncio.sleep(1)
    await asyncio.to_thread(resident.hangup)
    await console103.state("ended", 15)
    assert not any(answered_pop(m) for m in console102.seen)


async def test_a_busy_dispatcher_passes_the_call_on_at_once(hotline: Hotline, phones: Callable[..., Baresip]) -> None:
    console102 = await hotline.console("disp102")  # 102 and 103 at their consoles: 102 is rung first
    console103 = await hotline.console("disp103")
    busy = phones("102")
    phones("103", auto_answer=True)
    resident = phones("300")
    refusing = asyncio.create_task(reject_when_ringing(busy))
    await asyncio.to_thread(resident.dial, "112")
    await asyncio.sleep(2.0)
    await asyncio.to_thread(resident.dtmf, "0")
    await asyncio.wait_for(refusing, 30)
    loop = asyncio.get_running_loop()
    refused_at = loop.time()
    card = await console103.until(answered_pop, 20)
    assert card["extension"] == "103" and loop.time() - refused_at < 5  # no waiting out 102's share
    await asyncio.sleep(1)
    await asyncio.to_thread(resident.hangup)
    await console103.state("ended", 15)
    assert not any(answered_pop(m) for m in console102.seen)


async def test_nobody_answering_ends_in_a_message_and_a_call_back_ticket(
        hotline: Hotline, phones: Callable[..., Baresip], tmp_path: Path) -> None:
    console = await hotline.console("disp102")
    phones("102")  # rings, nobody answers; 101 and 103 are not registered
    resident = phones("300")
    message = speech_wav(tmp_path / "message.wav", "Перезвоните мне пожалуйста, в квартире нет света.",
                         trailing_silence=12)
    await press_after_greeting(resident, "9")
    await console.state("recording", 60)  # the ring time (30 s) ran out: leave a message
    await asyncio.to_thread(resident.say, message)
    ended = await console.state("ended", 60)
    assert ended["ticket_number"], ended
    await until_counts(hotline, (1, 0))
    async with hotline.runtime.journal.db.read() as s:
        ticket = (await s.execute(select(Ticket))).scalar_one()
        recordings = (await s.execute(select(Recording))).scalars().all()
    assert ticket.caller_phone == RESIDENT_NUMBER
    assert "нужен обратный звонок" in (ticket.description or "")
    assert [r.ticket_id for r in recordings] == [ticket.id]
    assert not any(answered_pop(m) for m in console.seen)
