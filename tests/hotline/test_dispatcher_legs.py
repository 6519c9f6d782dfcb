"""A dispatcher's leg on the stand-in, as the real Asterisk showed it (tests/fixtures/asterisk/traces):
a PJSIP leg rings (Dial RINGING) before it answers; a phone with no registration answers 500
and the next dispatcher is rung; the conversation is recorded onto the ticket, and a recording
that cannot be made is said on the ticket."""

from __future__ import annotations

import asyncio

import pytest

from pbxsim import CallScript, Extension
from tests.hotline.conftest import Hotline


async def _put_through(hotline: Hotline, number: str, talk: float = 3.0) -> None:
    call = hotline.sim.place_call(CallScript(number, "Resident"))
    await hotline.wait_played(call.id, lambda p: len(p) >= 1)
    hotline.sim.press(call.id, "0")
    for _ in range(500):
        if any(kind == "answered" for kind, _, _ in hotline.desk.log):
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(talk * 0.05)
    hotline.sim.hangup(call.id)
    await hotline.settle()


async def test_the_conversation_is_recorded_onto_the_ticket(hotline: Hotline) -> None:
    await _put_through(hotline, "79160000011", talk=40.0)
    [(ticket_id, _)] = [(c.ticket_id, c) for kind, _, c in hotline.desk.log if kind == "answered"]
    assert ticket_id is not None
    [conversation] = await hotline.journal.tickets.recordings(ticket_id)
    assert conversation.name.startswith("conversation-") and conversation.call_id is not None
    assert conversation.duration_seconds and conversation.duration_seconds > 1.0
    history = await hotline.journal.tickets.history(ticket_id)
    assert any(h.field == "recording" and h.after == conversation.name for h in history)


async def test_a_conversation_that_cannot_be_recorded_is_said_on_the_ticket(hotline: Hotline) -> None:
    hotline.sim.core.fail_recordings = True
    await _put_through(hotline, "79160000012")
    [ticket_id] = [c.ticket_id for kind, _, c in hotline.desk.log if kind == "answered"]
    assert ticket_id is not None
    assert await hotline.journal.tickets.recordings(ticket_id) == []
    history = await hotline.journal.tickets.history(ticket_id)
    assert any(h.text and h.text.startswith("Разговор с диспетчером не записан") for h in history)


@pytest.mark.ring_endpoint("PJSIP/{ext}")
@pytest.mark.extensions({"101": Extension("101", registered=False), "102": Extension("102", answer_after=0.5)})
async def test_an_unregistered_phone_passes_the_call_to_the_next_dispatcher(hotline: Hotline) -> None:
    await _put_through(hotline, "79160000013")
    answered = [ext for kind, ext, _ in hotline.desk.log if kind == "answered"]
    assert answered == ["102"]
    rang = [ext for kind, ext, _ in hotline.desk.log if kind == "ringing" and ext]
    assert rang == ["102"]  # 101's originate was refused (500) before it could ring


@pytest.mark.ring_endpoint("PJSIP/{ext}")
@pytest.mark.extensions({"101": Extension("101", answer_after=0.8), "102": Extension("102", answer_after=0.5)})
async def test_a_ringing_pjsip_leg_is_not_taken_for_an_ended_one(hotline: Hotline) -> None:
    await _put_through(hotline, "79160000014")
    assert [ext for kind, ext, _ in hotline.desk.log if kind == "answered"] == ["101"]
    dials = [e.get("dialstatus") for e in hotline.sim.core.hub.ari_log if e["type"] == "Dial"]
    assert "RINGING" in dials
