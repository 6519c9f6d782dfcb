"""A burst on the stand-in with one dispatcher: callers wait in one queue, emergencies first;
each waiting caller hears their place; the free dispatcher gets the head of the queue."""

from __future__ import annotations

import asyncio

import pytest

from pbxsim import CallScript, Extension
from tests.hotline.conftest import Hotline

ONE_DISPATCHER = {"101": Extension("101", answer_after=0.2), "102": Extension("102", registered=False)}


async def _until(check: object, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():  # type: ignore[operator]
        if loop.time() > end:
            raise AssertionError("not in time")
        await asyncio.sleep(0.02)


def _answered(hotline: Hotline) -> list[str]:
    return [card.call_id for kind, _, card in hotline.desk.log if kind == "answered"]


@pytest.mark.ring_endpoint("PJSIP/{ext}")
@pytest.mark.extensions(ONE_DISPATCHER)
@pytest.mark.line_options(flow={"dispatcher_ring_seconds": 40, "dispatcher_grace_seconds": 5.0},
                          position_after_seconds=1.0, position_every_seconds=1.0)
async def test_an_emergency_waiting_behind_a_talk_is_put_through_before_an_earlier_caller(hotline: Hotline) -> None:
    sim = hotline.sim
    talking = sim.place_call(CallScript("79160000021", "Talking"))
    await hotline.wait_played(talking.id, lambda p: len(p) >= 1)
    sim.press(talking.id, "9")
    await _until(lambda: _answered(hotline) == [talking.id])

    plain = sim.place_call(CallScript("79160000022", "Plain"))
    await hotline.wait_played(plain.id, lambda p: len(p) >= 1)
    sim.press(plain.id, "9")
    await asyncio.sleep(0.3)
    urgent = sim.place_call(CallScript("79160000023", "Urgent"))
    await hotline.wait_played(urgent.id, lambda p: len(p) >= 1)
    sim.press(urgent.id, "0")

    # Both wait: each hears their place, the emergency first in the queue.
    await hotline.wait_played(urgent.id, lambda p: "sound:hotline/queue-first" in p, timeout=15)
    await hotline.wait_played(plain.id, lambda p: "sound:hotline/queue-position" in p[:-1], timeout=15)
    heard = sim.played(plain.id)
    assert heard[heard.index("sound:hotline/queue-position") + 1] == "number:2"
    assert "sound:hotline/queue-first" not in heard

    sim.hangup(talking.id)  # 101 is free: the emergency gets it, not the caller who came first
    await _until(lambda: len(_answered(hotline)) == 2)
    assert _answered(hotline)[1] == urgent.id
    sim.hangup(urgent.id)
    await _until(lambda: len(_answered(hotline)) == 3)
    assert _answered(hotline)[2] == plain.id
    sim.hangup(plain.id)
    await hotline.settle()
    # 101 was never rung for two callers at once: each ring was answered before the next began.
    rings = [(kind, card.call_id) for kind, ext, card in hotline.desk.log if ext == "101"]
    assert rings == [("ringing", talking.id), ("answered", talking.id), ("ringing", urgent.id),
                     ("answered", urgent.id), ("ringing", plain.id), ("answered", plain.id)]
