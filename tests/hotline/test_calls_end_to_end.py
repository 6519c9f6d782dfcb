"""A resident's call from ring to registered ticket, through the Asterisk stand-in over real
sockets: the real ARI client, the voice menu, the journal."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from journal import TicketFilter
from journal.clock import utcnow
from pbxsim import CallScript
from pbxsim.config import Extension
from tests.hotline.conftest import Hotline

MENU = "sound:hotline/category-menu"


def menu_started(played: list[str]) -> bool:
    return MENU in played


async def all_tickets(h: Hotline) -> list:  # type: ignore[type-arg]
    return list(await h.journal.monitor.tickets(TicketFilter(open_only=False), utcnow(), limit=100))


async def test_key_and_speech_make_one_ticket_with_the_recording(hotline: Hotline, speech_wav: Path) -> None:
    call = hotline.sim.place_call(CallScript("79161234567", "Ivanova", say=speech_wav))
    await hotline.wait_played(call.id, menu_started)
    hotline.sim.press(call.id, "1")
    await call.done.wait()
    await hotline.settle()

    [ticket] = await all_tickets(hotline)
    assert (ticket.category, ticket.priority, ticket.channel) == ("water", "urgent", "phone_ivr")
    assert (ticket.caller_phone, ticket.caller_name) == ("79161234567", "Ivanova")
    assert ticket.due_at is not None and ticket.transcript_status == "pending"
    # The recording on the ticket is, byte for byte, the file Asterisk recorded of the caller.
    [rec] = await hotline.journal.tickets.recordings(ticket.id)
    stored = hotline.journal.files.path(rec.path).read_bytes()
    made = (hotline.sim.recordings_dir / f"{rec.name}.wav").read_bytes()
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(made).hexdigest() == rec.sha256
    assert _pcm(made) == _pcm(speech_wav.read_bytes())[: len(_pcm(made))] and len(_pcm(made)) > 8000
    # The caller heard the ticket number and the deadline.
    played = hotline.sim.played(call.id)
    seq = ticket.number.split("-")[1].lstrip("0")
    assert f"digits:{seq}" in played
    assert played.index("sound:hotline/ticket-accepted") < played.index(f"digits:{seq}")
    assert any(m.startswith("sound:hotline/deadline-") for m in played)
    assert await hotline.journal.calls.missed() == []
    call_row = await hotline.journal.calls.get(ticket.call_id)  # type: ignore[arg-type]
    assert call_row.outcome == "ticket" and call_row.ended_at is not None


def _pcm(wav: bytes) -> bytes:
    import io
    import wave

    with wave.open(io.BytesIO(wav)) as w:
        return w.readframes(w.getnframes())


@pytest.mark.parametrize(("key", "category"), [("2", "heating"), ("3", "electricity"), ("4", "elevator"),
                                          ("5", "cleaning"), ("6", "common_property")])
async def test_each_category_key(hotline: Hotline, speech_wav: Path, key: str, category: str) -> None:
    call = hotline.sim.place_call(CallScript("79160000001", say=speech_wav))
    await hotline.wait_played(call.id, menu_started)
    hotline.sim.press(call.id, key)
    await call.done.wait()
    await hotline.settle()
    [ticket] = await all_tickets(hotline)
    assert ticket.category == category


async def test_hangup_in_greeting_leaves_a_missed_call(hotline: Hotline) -> None:
    call = hotline.sim.place_call(CallScript("79160000002", "Petrov"))
    await hotline.wait_played(call.id, lambda p: len(p) >= 1)
    hotline.sim.hangup(call.id)
    await hotline.settle()
    assert await all_tickets(hotline) == []
    [missed] = await hotline.journal.calls.missed()
    assert (missed.caller_number, missed.reason) == ("79160000002", "hangup")
    assert (missed.callback_due_at - missed.occurred_at).total_seconds() == 600


async def test_hangup_in_menu_leaves_a_missed_call(hotline: Hotline) -> None:
    call = hotline.sim.place_call(CallScript("79160000003"))
    await hotline.wait_played(call.id, menu_started)
    hotline.sim.hangup(call.id)
    await hotline.settle()
    assert await all_tickets(hotline) == []
    [missed] = await hotline.journal.calls.missed()
    assert missed.step is not None and missed.caller_number == "79160000003"


async def test_hangup_while_recording_after_speaking_still_makes_the_ticket(hotline: Hotline, speech_wav: Path) -> None:
    # Like the recorded trace: the caller speaks, then hangs up before the silence ends the recording.
    call = hotline.sim.place_call(CallScript("79160000004", say=speech_wav))
    await hotline.wait_played(call.id, menu_started)
    hotline.sim.press(call.id, "1")
    await hotline.wait_played(call.id, lambda p: "sound:hotline/beep" in p or any("beep" in m for m in p))
    import asyncio

    await asyncio.sleep(12 * 0.05)  # 12 simulated seconds: the speech (8.9 s) is over
    hotline.sim.hangup(call.id)
    await hotline.settle()
    [ticket] = await all_tickets(hotline)
    assert ticket.category == "water"
    assert len(await hotline.journal.tickets.recordings(ticket.id)) == 1
    assert await hotline.journal.calls.missed() == []


async def test_hangup_before_speaking_is_a_missed_call_not_a_ticket(hotline: Hotline) -> None:
    call = hotline.sim.place_call(CallScript("79160000005"))
    await hotline.wait_played(call.id, menu_started)
    hotline.sim.press(call.id, "2")
    await hotline.wait_played(call.id, lambda p: any("beep" in m for m in p))
    hotline.sim.hangup(call.id)
    await hotline.settle()
    assert await all_tickets(hotline) == []
    assert len(await hotline.journal.calls.missed()) == 1


async def test_emergency_key_bridges_to_a_dispatcher_with_a_ticket_on_the_card(hotline: Hotline) -> None:
    call = hotline.sim.place_call(CallScript("79160000006", "Sidorova"))
    await hotline.wait_played(call.id, lambda p: len(p) >= 1)
    hotline.sim.press(call.id, "0")
    import asyncio

    for _ in range(200):
        if any(kind == "answered" for kind, _, _ in hotline.desk.log):
            break
        await asyncio.sleep(0.02)
    kinds = [(kind, ext) for kind, ext, _ in hotline.desk.log]
    assert ("ringing", None) in kinds  # an emergency pops on every dispatcher's screen
    assert ("ringing", "101") in kinds and ("answered", "101") in kinds
    card = next(c for kind, _, c in hotline.desk.log if kind == "answered")
    assert card.emergency and card.ticket_number and card.caller_number == "79160000006"
    hotline.sim.hangup(call.id)
    await hotline.settle()
    [ticket] = await all_tickets(hotline)
    assert ticket.number == card.ticket_number
    assert (ticket.priority, ticket.channel) == ("emergency", "phone_dispatcher")
    assert await hotline.journal.calls.missed() == []


@pytest.mark.extensions({"101": Extension("101", answer_after=None), "102": Extension("102", answer_after=None)})
async def test_nobody_answers_caller_leaves_a_message_for_callback(hotline: Hotline, speech_wav: Path) -> None:
    call = hotline.sim.place_call(CallScript("79160000007", say=speech_wav))
    await hotline.wait_played(call.id, lambda p: len(p) >= 1)
    hotline.sim.press(call.id, "0")
    await call.done.wait()
    await hotline.settle(30)
    [ticket] = await all_tickets(hotline)
    assert ticket.priority == "emergency"
    assert "обратный звонок" in (ticket.description or "")
    assert len(await hotline.journal.tickets.recordings(ticket.id)) == 1


async def test_repeat_caller_hears_the_open_ticket(hotline: Hotline, speech_wav: Path) -> None:
    first = hotline.sim.place_call(CallScript("79160000008", say=speech_wav))
    await hotline.wait_played(first.id, menu_started)
    hotline.sim.press(first.id, "1")
    await first.done.wait()
    await hotline.settle()
    [ticket] = await all_tickets(hotline)
    seq = ticket.number.split("-")[1].lstrip("0")
    second = hotline.sim.place_call(CallScript("79160000008"))
    await hotline.wait_played(second.id, lambda p: f"digits:{seq}" in p)
    hotline.sim.hangup(second.id)
    await hotline.settle()
    assert len(await all_tickets(hotline)) == 1
