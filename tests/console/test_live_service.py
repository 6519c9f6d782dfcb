"""The whole service against the stand-in: what the telephony side does reaches every console
live, through the notifier: a voice-menu ticket (the work queue), a status an executor sets on
the service line, and the waiting time of a caller put through to a dispatcher."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from cti.app.runtime import Runtime
from journal import Actor, NewTicket
from pbxsim import CallScript, PbxSim
from tests.service.running import Served, messages
from tests.service.test_screen_pop_calls import console, service, until_played, water_ticket_call  # noqa: F401  (fixture)

ServiceT = tuple[Runtime, PbxSim, Served]


async def of_type(ws: aiohttp.ClientWebSocketResponse, kind: str, seconds: float) -> list[dict[str, Any]]:
    got = await messages(ws, seconds, until=lambda m: m["type"] == kind)
    return [m for m in got if m["type"] == kind]


async def test_a_voice_menu_ticket_reaches_both_consoles(service: ServiceT, tmp_path: Path) -> None:  # noqa: F811
    runtime, sim, served = service
    s1, ws1 = await console(served, "dispatcher1")
    s2, ws2 = await console(served, "dispatcher2")
    try:
        call_id = await water_ticket_call(sim, "79161234567", tmp_path)
        [first] = await of_type(ws1, "ticket_registered", 10.0)
        [second] = await of_type(ws2, "ticket_registered", 2.0)
        ticket = await runtime.journal.tickets.get(first["ticket_id"])
        assert first["ticket_number"] == second["ticket_number"] == ticket.number
        assert first["call_id"] == call_id and first["channel"] == "phone_ivr"
        assert first["caller_number"] == "79161234567" and first["category_label"] == "Водоснабжение"
        # A console opened now sees the ticket on the call in its list.
        calls = {c["call_id"]: c for c in runtime.hub.hello()["calls"]}
        if call_id in calls:
            assert calls[call_id]["ticket_id"] == ticket.id
    finally:
        await s1.close()
        await s2.close()


async def test_a_status_set_on_the_executors_line_reaches_the_consoles(service: ServiceT) -> None:  # noqa: F811
    runtime, sim, served = service
    plumber = await runtime.journal.people.user_by_extension("201")
    assert plumber is not None
    reg = await runtime.journal.tickets.register(NewTicket(channel="phone_ivr", category="water",
                                                           actor=Actor.system("t"), auto_assign=False))
    await runtime.journal.tickets.assign(reg.ticket.id, plumber.id, Actor("t"))
    spoken = reg.ticket.number.split("-")[-1].lstrip("0")
    s1, ws1 = await console(served, "dispatcher1")
    try:
        call = sim.place_call(CallScript("201", exten="113", context="executors", args=("executor",)))
        await until_played(sim, call.id, "sound:hotline/exec-welcome")
        for key in spoken + "#":
            sim.press(call.id, key)
        await until_played(sim, call.id, "sound:hotline/exec-status-menu")
        sim.press(call.id, "1")  # in progress
        [update] = await of_type(ws1, "ticket_updated", 5.0)
        assert update["ticket_id"] == reg.ticket.id and update["source"] == "phone"
        assert update["fields"]["status"] == "in_progress" and update["fields"]["change"] == "status"
        assert (await runtime.journal.tickets.get(reg.ticket.id)).status == "in_progress"
    finally:
        await s1.close()


async def test_a_waiting_caller_carries_when_the_wait_began(service: ServiceT) -> None:  # noqa: F811
    _, sim, served = service
    s1, ws1 = await console(served, "dispatcher1")
    try:
        call = sim.place_call(CallScript("79160000005"))
        await until_played(sim, call.id, "sound:hotline/category-menu")
        sim.press(call.id, "9")
        got = await messages(ws1, 3.0, until=lambda m: m["type"] == "call_state" and m["state"] == "waiting")
        [waiting] = [m for m in got if m["type"] == "call_state" and m["state"] == "waiting"]
        assert waiting["call_id"] == call.id and waiting["waiting_since"]
        assert waiting["emergency"] is False
        sim.hangup(call.id)
        await asyncio.sleep(0.2)
    finally:
        await s1.close()


async def test_the_ringing_card_knows_the_resident(service: ServiceT) -> None:  # noqa: F811
    runtime, sim, served = service
    mira = await runtime.journal.people.find_building("Мира", "23")
    assert mira is not None
    reg = await runtime.journal.tickets.register(NewTicket(
        channel="phone_ivr", category="heating", actor=Actor.system("t"), auto_assign=False,
        caller_phone="79161112233", caller_name="Смирнова А. П.", building_id=mira.id, apartment="7"))
    s1, ws1 = await console(served, "dispatcher1")
    try:
        call = sim.place_call(CallScript("79161112233"))
        await until_played(sim, call.id, "sound:hotline/welcome")
        sim.press(call.id, "0")  # an emergency: put through at once
        got = await messages(ws1, 5.0, until=lambda m: m["type"] == "card_details")
        # The card pops at once with the call's own facts; what the journal knows follows.
        [ringing] = [m for m in got if m["type"] == "screen_pop"]
        assert ringing["stage"] == "ringing" and ringing.get("ticket_id") is None
        assert ringing["caller_number"] == "79161112233" and "known_name" not in ringing
        [details] = [m for m in got if m["type"] == "card_details"]
        assert details["call_id"] == ringing["call_id"] == call.id and details["id"] > ringing["id"]
        assert details["known_name"] == "Смирнова А. П."
        assert details["known_address"].endswith("д. 23, кв. 7")
        assert [t["ticket_number"] for t in details["open_tickets"]] == [reg.ticket.number]
        sim.hangup(call.id)
        await asyncio.sleep(0.2)
    finally:
        await s1.close()
