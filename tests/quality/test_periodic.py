"""The background loops of the quality tasks stop when told, whatever else happens that moment."""

from __future__ import annotations

import asyncio

from cti.periodic import Periodic


async def test_a_stop_that_lands_with_a_wake_still_stops_the_loop() -> None:
    # On Python 3.11, asyncio.wait_for returned the wake and dropped the cancellation: the loop
    # stepped on and stop() waited forever.
    steps = 0

    async def step() -> None:
        nonlocal steps
        steps += 1

    loop = Periodic("test", step, interval=60)
    loop.start()
    while steps == 0:
        await asyncio.sleep(0)
    await asyncio.sleep(0)  # the loop now waits for a wake or the interval
    loop.wake()
    async with asyncio.timeout(2):
        await loop.stop()
    assert steps == 1
