"""The whole service against the Asterisk stand-in over real sockets: a resident's call rings
a dispatcher's phone and that dispatcher's console receives the card; an executor's call from
the field pops the executor's card; a reconnecting console gets what it missed, once."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cti.app.compose import build_journal
from cti.app.demo import seed
from cti.app.runtime import Runtime
from cti.settings import Settings
from journal import Actor, NewTicket
from pbxsim import CallScript, PbxSim
from tests.asterisk_fixtures import SPEECH_WAV
from tests.console.conftest import Session
from tests.service.running import Served, fast_sim_config, messages, running, service_settings

STAFF_PASSWORD = "Смена-на-стенде-2026"


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[Runtime, PbxSim, Served]]:
    async with PbxSim(fast_sim_config(tmp_path)) as sim:
        def external_pbx(settings: Settings) -> None:
            settings.ari.url, settings.ari.password = sim.ari_url, sim.config.ari_password
            ami = sim.ami_settings()
            settings.ami.host, settings.ami.port, settings.ami.password = ami.host, ami.port, ami.password

        settings = service_settings(tmp_path, external_pbx)
        # A real PBX gets no demo accounts: the same staff, seeded with a password of the test's.
        journal = build_journal(settings)
        await seed(journal, STAFF_PASSWORD)
        await journal.close()
        async with running(settings) as (runtime, served):
            yield runtime, sim, served


async def console(served: Served, login: str,
                  password: str = STAFF_PASSWORD) -> tuple[Session, aiohttp.ClientWebSocketResponse]:
    s = Session(served)  # type: ignore[arg-type]
    r = await s.login(login, password)
    assert r.status == 302
    ws = await s.ws()
    hello = json.loads((await ws.receive()).data)
    assert hello["type"] == "hello"
    return s, ws


async def pops(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> list[dict[str, Any]]:
    return [m for m in await messages(ws, seconds) if m["type"] == "screen_pop"]


async def until_played(sim: PbxSim, channel: str, media: str) -> None:
    for _ in range(500):
        if media in sim.played(channel):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{media} not played: {sim.played(channel)}")


async def water_ticket_call(sim: PbxSim, number: str, tmp_path: Path) -> str:
    """A resident who chooses «водоснабжение» (key 1) and describes the problem: the voice menu
    registers a ticket. The call's id."""
    said = tmp_path / f"problem-{number}.wav"
    shutil.copy(SPEECH_WAV, said)
    call = sim.place_call(CallScript(number, "Ivanova", say=said))
    await until_played(sim, call.id, "sound:hotline/category-menu")
    sim.press(call.id, "1")
    return call.id


async def test_call_rings_one_dispatcher_and_pops_their_card_only(service: tuple[Runtime, PbxSim, Served]) -> None:
    runtime, sim, served = service
    s1, ws1 = await console(served, "dispatcher1")
    s2, ws2 = await console(served, "dispatcher2")
    try:
        call = sim.place_call(CallScript("79161234567", "Ivanova"))
        await until_played(sim, call.id, "sound:hotline/category-menu")
        sim.press(call.id, "9")  # "put me through to a dispatcher"
        first = await pops(ws1, 3.0)
        other = await pops(ws2, 0.5)
        assert [p["stage"] for p in first] == ["ringing", "answered"]
        assert first[0]["caller_number"] == "79161234567" and first[0]["extension"] == "101"
        answered = first[1]
        assert answered["ticket_number"] and answered["ticket_id"]
        ticket = await runtime.journal.tickets.get(answered["ticket_id"])
        assert ticket.number == answered["ticket_number"] and ticket.caller_phone == "79161234567"
        assert other == []
        sim.hangup(call.id)
    finally:
        await s1.close()
        await s2.close()


async def test_emergency_pops_on_every_dispatcher(service: tuple[Runtime, PbxSim, Served]) -> None:
    _, sim, served = service
    s1, ws1 = await console(served, "dispatcher1")
    s2, ws2 = await console(served, "dispatcher2")
    try:
        call = sim.place_call(CallScript("79160000002"))
        await until_played(sim, call.id, "sound:hotline/welcome")
        sim.press(call.id, "0")
        p1, p2 = await pops(ws1, 2.0), await pops(ws2, 0.5)
        assert p1 and p2 and all(p["emergency"] for p in p1 + p2)
        assert {p["caller_number"] for p in p1 + p2} == {"79160000002"}
        sim.hangup(call.id)
    finally:
        await s1.close()
        await s2.close()


async def test_executor_calling_a_dispatcher_pops_the_executors_card(service: tuple[Runtime, PbxSim, Served]) -> None:
    runtime, sim, served = service
    plumber = await runtime.journal.people.user_by_extension("201")
    assert plumber is not None
    reg = await runtime.journal.tickets.register(NewTicket(channel="phone_ivr", category="water",
                                                           actor=Actor.system("t"), auto_assign=False))
    await runtime.journal.tickets.assign(reg.ticket.id, plumber.id, Actor("t"))
    s1, ws1 = await console(served, "dispatcher1")
    s2, ws2 = await console(served, "dispatcher2")
    try:
        sim.internal_call("201", "102", answer_after=1, talk_seconds=2)
        got = await messages(ws2, 3.0, until=lambda m: m["type"] == "card_details")
        assert await pops(ws1, 0.3) == []
        [card] = [m for m in got if m["type"] == "screen_pop"]
        assert card["kind"] == "executor" and card["executor_name"] == plumber.full_name
        # The card pops at once; the executor's open tickets follow as its details.
        [details] = [m for m in got if m["type"] == "card_details"]
        assert details["call_id"] == card["call_id"]
        assert [t["ticket_number"] for t in details["open_tickets"]] == [reg.ticket.number]
    finally:
        await s1.close()
        await s2.close()


async def test_console_that_reconnects_gets_the_missed_pop_once(service: tuple[Runtime, PbxSim, Served]) -> None:
    runtime, sim, served = service
    s1, ws1 = await console(served, "dispatcher1")
    try:
        last_id = runtime.hub.last_id
        await ws1.close()
        call = sim.place_call(CallScript("79160000003"))
        await until_played(sim, call.id, "sound:hotline/category-menu")
        sim.press(call.id, "9")
        for _ in range(300):
            if any(c.get("state") == "talking" for c in runtime.hub.hello()["calls"]):
                break
            await asyncio.sleep(0.01)
        ws = await s1.ws(last_id=last_id)
        assert json.loads((await ws.receive()).data)["type"] == "hello"
        got = await pops(ws, 1.0)
        assert [p["stage"] for p in got] == ["ringing", "answered"]
        assert len({p["id"] for p in got}) == 2
        await ws.close()
        sim.hangup(call.id)
    finally:
        await s1.close()
