"""The dispatchers' queue on a real Asterisk: a caller who waits while every dispatcher is on a
call hears their place in the queue from Asterisk, and is put through the moment the dispatcher
is free again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.real_asterisk.conftest import RESIDENT_NUMBER, Hotline, played
from tests.real_asterisk.phones import Baresip
from tests.real_asterisk.test_dispatchers import answered_pop, press_after_greeting


@pytest.fixture
def ring() -> dict[str, Any]:
    return {"ring_endpoint": "PJSIP/{ext}", "ring_each_seconds": 6, "ring_seconds": 60,
            "queue_position_after_seconds": 3.0, "queue_position_every_seconds": 5.0}


async def test_a_caller_waiting_behind_a_conversation_hears_their_place_and_gets_the_next_free_dispatcher(
        hotline: Hotline, phones: Callable[..., Baresip]) -> None:
    console = await hotline.console("disp102")
    phones("102", auto_answer=True)  # the one dispatcher with a phone (101 is not registered)
    first = phones("300")
    await press_after_greeting(first, "9")
    card = await console.until(answered_pop, 30)
    assert card["caller_number"] == RESIDENT_NUMBER

    # A second caller (dispatcher 103's phone dialling the hotline, as a resident would) waits.
    second = phones("103")
    await press_after_greeting(second, "9")
    waiting = await console.until(lambda m: m.get("type") == "call_state" and m.get("state") == "waiting"
                                  and m.get("caller_number") != RESIDENT_NUMBER, 20)
    assert waiting["position"] == 1 and waiting["waiting_since"]
    loop = asyncio.get_running_loop()
    end = loop.time() + 20
    while "hotline/queue-first" not in played(hotline.pbx, "PJSIP/103-"):
        assert loop.time() < end, played(hotline.pbx, "PJSIP/103-")
        await asyncio.sleep(0.3)

    await asyncio.to_thread(first.hangup)  # 102 is free: the waiting caller is put through at once
    freed = loop.time()
    second_card = await console.until(lambda m: answered_pop(m) and m.get("call_id") != card["call_id"], 20)
    assert second_card["extension"] == "102" and loop.time() - freed < 8
    await asyncio.to_thread(second.hangup)
    await console.state("ended", 15)
