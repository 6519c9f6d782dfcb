"""Executors in the field and the dispatcher's call-back, on a real Asterisk with SIP phones:
201 sets a ticket's status on the service line 113 (a key pressed well after the menu ends still
counts), 201 calling 100 pops the executor's card on the answering dispatcher's console, and a
call-back from the console rings the dispatcher's phone, then the resident over the city trunk."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from journal import Actor, NewTicket
from tests.real_asterisk.conftest import RESIDENT_NUMBER, Hotline, played, wav_seconds
from tests.real_asterisk.phones import Baresip

PROMPTS = Path(__file__).resolve().parents[2] / "ivr" / "prompts"
ADMIN = Actor.system("test")


async def until_played(hotline: Hotline, channel_prefix: str, sound: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while sound not in played(hotline.pbx, channel_prefix):
        if loop.time() > end:
            raise AssertionError(f"{sound} not played on {channel_prefix}: {played(hotline.pbx, channel_prefix)}")
        await asyncio.sleep(0.1)


async def test_executor_sets_a_status_with_a_key_pressed_seconds_after_the_menu(
        hotline: Hotline, phones: Callable[..., Baresip]) -> None:
    journal = hotline.runtime.journal
    crew = await journal.people.user_by_extension("201")
    assert crew is not None
    reg = await journal.tickets.register(NewTicket(
        channel="phone_dispatcher", category="water", actor=ADMIN, caller_phone=RESIDENT_NUMBER,
        description="Течь под раковиной", auto_assign=False))
    await journal.tickets.assign(reg.ticket.id, crew.id, ADMIN)
    spoken = reg.ticket.number.split("-", 1)[1].lstrip("0")

    executor = phones("201")
    await asyncio.to_thread(executor.dial, "113")
    await until_played(hotline, "PJSIP/201-", "hotline/exec-welcome")
    await asyncio.sleep(1.0)
    await asyncio.to_thread(executor.dtmf, spoken + "#")
    await until_played(hotline, "PJSIP/201-", "hotline/exec-status-menu")
    # The status menu (~ its file's length) is heard out, then the executor thinks it over:
    # 6 s after the end, 4 s inside the key timeout, however long the prompt was.
    await asyncio.sleep(wav_seconds(PROMPTS / "exec-status-menu.wav") + 6.0)
    await asyncio.to_thread(executor.dtmf, "1")
    await until_played(hotline, "PJSIP/201-", "hotline/exec-status-set", timeout=10)
    ticket = await journal.tickets.get(reg.ticket.id)
    assert ticket.status == "in_progress"
    history = await journal.tickets.history(ticket.id)
    assert any(h.text and "служебная линия" in h.text for h in history)
    await asyncio.to_thread(executor.hangup)


async def test_executor_calling_the_dispatchers_pops_the_card_on_the_answering_console(
        hotline: Hotline, phones: Callable[..., Baresip]) -> None:
    journal = hotline.runtime.journal
    crew = await journal.people.user_by_extension("201")
    assert crew is not None
    reg = await journal.tickets.register(NewTicket(
        channel="phone_dispatcher", category="electricity", actor=ADMIN, caller_phone=RESIDENT_NUMBER,
        description="Нет света в подъезде", auto_assign=False))
    await journal.tickets.assign(reg.ticket.id, crew.id, ADMIN)
    console = await hotline.console("disp102")
    phones("102", auto_answer=True)
    executor = phones("201")
    await asyncio.to_thread(executor.dial, "100")
    card = await console.until(lambda m: m.get("type") == "screen_pop" and m.get("kind") == "executor", 20)
    assert card["caller_number"] == "201" and card["executor_name"] == crew.full_name
    details = await console.until(lambda m: m.get("type") == "card_details" and m.get("call_id") == card["call_id"], 5)
    assert [t["ticket_number"] for t in details["open_tickets"]] == [reg.ticket.number]
    await asyncio.sleep(1)
    await asyncio.to_thread(executor.hangup)


async def test_call_back_rings_the_dispatcher_then_the_resident_over_the_city_trunk(
        hotline: Hotline, phones: Callable[..., Baresip]) -> None:
    await call_back_reaches_the_resident(hotline, phones)


async def test_call_back_from_an_instance_that_runs_no_node_goes_through_the_nodes_ari(
        hotline: Hotline, phones: Callable[..., Baresip], capsys: pytest.CaptureFixture[str]) -> None:
    """A dispatcher whose console is served by an instance that runs no node now (a standby, or
    one whose node went to another instance): the call back is placed through the node's ARI
    REST interface instead of the AMI session this instance no longer has."""
    await hotline.runtime.nodes.stop()
    assert hotline.runtime.nodes.owned == []
    await call_back_reaches_the_resident(hotline, phones)
    out = capsys.readouterr().out
    assert "console.callback_originated" in out and "via=ari" in out, out[-3000:]


async def call_back_reaches_the_resident(hotline: Hotline, phones: Callable[..., Baresip]) -> None:
    """«Перезвонить» on a console: the dispatcher's phone (102) rings and answers, then Asterisk
    dials the resident over the city trunk, whose end answers: both legs up."""
    journal = hotline.runtime.journal
    await journal.calls.record_missed(call_id=None, caller_number=RESIDENT_NUMBER, reason="hangup", step="greeting")
    console = await hotline.console("disp102")
    dispatcher = phones("102", auto_answer=True)
    # The city trunk: a SIP endpoint on the trunk's own address that answers what it is sent.
    trunk = phones("trunk", host=hotline.pbx.ports.trunk_host, register=False, auto_answer=True,
                   user=RESIDENT_NUMBER, listen_port=5060)
    status, body = await console.session.api("POST", "/api/callback", {"number": RESIDENT_NUMBER})
    assert status == 202, body
    loop = asyncio.get_running_loop()
    end = loop.time() + 20
    dialled = re.compile(r"Dial\(\"[^\"]+\", \"PJSIP/7(\d{10})@city-trunk")
    while not (m := dialled.search(hotline.pbx.messages())):
        assert loop.time() < end, hotline.pbx.messages()[-3000:]
        await asyncio.sleep(0.2)
    assert "7" + m.group(1) == RESIDENT_NUMBER
    # The resident's phone (the trunk's end) answered: both legs are up and bridged.
    while not ("Up" in (chans := await asyncio.to_thread(hotline.pbx.cli, "core show channels concise"))
               and chans.count("!Up!") >= 2):
        assert loop.time() < end, chans
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)
    await asyncio.to_thread(dispatcher.hangup)
    del trunk
