"""A mass outage on the phone, through the Asterisk stand-in over real sockets: a caller of an
affected building hears the announcement before the menu and, staying on the line, is counted
as a child of the outage without a dispatcher rung; key 1 reaches the normal menu; an unknown
caller confirms by key; an expired outage is no longer announced."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from journal import Actor, OutageDraft
from journal.clock import utcnow
from journal.models import Outage
from pbxsim import CallScript
from tests.hotline.conftest import Hotline
from tests.tools import restoration_ahead

MENU = "sound:hotline/category-menu"
OUTAGE_MENU = "sound:hotline/outage-menu"
DISPATCHER = Actor("Петрова О.")
RESIDENT = "79161234567"


async def _declare(h: Hotline, **kw: object) -> Outage:
    building = await h.journal.people.add_building("Ленина", "5")
    await h.journal.people.save_resident(RESIDENT, name="Иванова", building_id=building.id, apartment="3")
    values: dict[str, object] = {"utility": "heating", "building_ids": [building.id],
                                 "announcement": "Нет отопления: порыв на теплотрассе.",
                                 "expected_restoration": restoration_ahead(utcnow())[0]}
    values.update(kw)
    return await h.journal.outages.declare(OutageDraft(**values), DISPATCHER)  # type: ignore[arg-type]


def _rang(h: Hotline) -> list[str]:
    return [ext for kind, ext, _ in h.desk.log if kind == "ringing" and ext]


async def test_staying_on_the_line_counts_the_caller_without_a_dispatcher(hotline: Hotline) -> None:
    restoration, until = restoration_ahead(utcnow())
    outage = await _declare(hotline, expected_restoration=restoration)
    call = hotline.sim.place_call(CallScript(RESIDENT, "Иванова"))
    await call.done.wait()
    await hotline.settle()
    played = hotline.sim.played(call.id)
    text = f"sound:hotline/outage-{outage.id}-text"
    assert played.index("sound:hotline/gas-warning") < played.index(text) < played.index(OUTAGE_MENU)
    assert played.index(f"sound:hotline/{until}") == played.index(text) + 1
    assert played[-2:] == ["sound:hotline/outage-counted", "sound:hotline/goodbye"]
    assert MENU not in played
    [child] = await hotline.journal.outages.children(outage.id)
    assert (child.caller_phone, child.category, child.parent_id) == (RESIDENT, "heating", outage.parent_ticket_id)
    assert child.executor_id is None
    assert (await hotline.journal.calls.get(child.call_id or 0)).outcome == "ticket"
    assert _rang(hotline) == [] and await hotline.journal.calls.missed() == []


async def test_key_one_reaches_the_normal_menu(hotline: Hotline) -> None:
    outage = await _declare(hotline)
    call = hotline.sim.place_call(CallScript(RESIDENT))
    await hotline.wait_played(call.id, lambda p: OUTAGE_MENU in p)
    hotline.sim.press(call.id, "1")
    await hotline.wait_played(call.id, lambda p: MENU in p)
    hotline.sim.hangup(call.id)
    await hotline.settle()
    played = hotline.sim.played(call.id)
    assert played.index(OUTAGE_MENU) < played.index(MENU)
    assert await hotline.journal.outages.children(outage.id) == []
    [missed] = await hotline.journal.calls.missed()
    assert missed.step == "category_menu"


async def test_an_unknown_caller_confirms_the_outage_by_key(hotline: Hotline) -> None:
    outage = await _declare(hotline)
    call = hotline.sim.place_call(CallScript("79990000000"))
    offer = f"sound:hotline/outage-{outage.id}-offer"
    await hotline.wait_played(call.id, lambda p: "sound:hotline/press-2" in p)
    hotline.sim.press(call.id, "2")
    await call.done.wait()
    await hotline.settle()
    played = hotline.sim.played(call.id)
    assert played.index(offer) < played.index(f"sound:hotline/outage-{outage.id}-text")
    assert "sound:hotline/outage-counted" in played and MENU not in played
    [child] = await hotline.journal.outages.children(outage.id)
    assert child.caller_phone == "79990000000"
    assert _rang(hotline) == []


async def test_an_expired_outage_is_no_longer_announced(hotline: Hotline) -> None:
    outage = await _declare(hotline, expires_at=utcnow() + timedelta(seconds=1))
    await asyncio.sleep(1.1)
    call = hotline.sim.place_call(CallScript(RESIDENT))
    await hotline.wait_played(call.id, lambda p: MENU in p)
    hotline.sim.hangup(call.id)
    await hotline.settle()
    assert not any("outage" in m for m in hotline.sim.played(call.id))
    assert await hotline.journal.outages.children(outage.id) == []
