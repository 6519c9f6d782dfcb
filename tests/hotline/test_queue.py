"""The dispatch queue on its own: who is offered which dispatcher, in what order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ivr.hotline.queue import DispatchQueue


class Desk:
    """Dispatchers on shift; ``busy`` ones are on a call."""

    def __init__(self, *extensions: str) -> None:
        self.extensions = list(extensions)
        self.busy: set[str] = set()

    async def free(self, emergency: bool) -> Sequence[str]:
        return [e for e in self.extensions if e not in self.busy]


async def test_an_emergency_is_offered_the_free_dispatcher_before_an_earlier_plain_call() -> None:
    desk = Desk("101")
    desk.busy.add("101")
    queue = DispatchQueue(desk.free, poll_seconds=0.05)
    plain = queue.join("plain", emergency=False)
    emergency = queue.join("emergency", emergency=True)
    assert [queue.position(plain), queue.position(emergency)] == [2, 1]
    offers = [asyncio.create_task(queue.next_dispatcher(w, 2.0)) for w in (plain, emergency)]
    await asyncio.sleep(0.1)
    desk.busy.clear()  # 101 hangs up
    done, pending = await asyncio.wait(offers, return_when=asyncio.FIRST_COMPLETED)
    assert offers[1] in done and offers[1].result() == "101"
    assert offers[0] in pending  # 101 is being rung for the emergency: not for the other call
    await asyncio.sleep(0.2)
    assert not offers[0].done()
    queue.release("101")  # the emergency caller got through elsewhere and left the queue
    queue.leave(emergency)
    assert await offers[0] == "101"
    queue.leave(plain)


async def test_a_dispatcher_being_rung_is_never_offered_to_a_second_call() -> None:
    queue = DispatchQueue(Desk("101").free, poll_seconds=0.05)
    first, second = queue.join("a", False), queue.join("b", False)
    assert await queue.next_dispatcher(first, 1.0) == "101"
    assert await queue.next_dispatcher(second, 0.3) is None  # 101 rings for the first caller
    queue.release("101")  # nobody answered: 101 is free again
    assert await queue.next_dispatcher(second, 1.0) == "101"
    queue.leave(first)
    queue.leave(second)


async def test_a_call_tries_every_free_dispatcher_before_ringing_one_again_after_a_pause() -> None:
    queue = DispatchQueue(Desk("101", "102").free, poll_seconds=0.05, round_pause_seconds=0.3)
    waiter = queue.join("a", False)
    got, at = [], []
    loop = asyncio.get_running_loop()
    for _ in range(4):
        ext = await queue.next_dispatcher(waiter, 2.0)
        assert ext is not None
        got.append(ext)
        at.append(loop.time())
        queue.release(ext)
    assert got == ["101", "102", "101", "102"]
    assert at[1] - at[0] < 0.2 and at[2] - at[1] >= 0.3  # the second round after the pause
    queue.leave(waiter)


async def test_the_next_free_dispatcher_goes_to_the_head_of_the_queue_at_once() -> None:
    desk = Desk("101", "102")
    desk.busy = {"101", "102"}
    queue = DispatchQueue(desk.free, poll_seconds=10.0)  # only a release can wake it this fast
    old, new = queue.join("old", False), queue.join("new", False)
    waits = {w.call_id: asyncio.create_task(queue.next_dispatcher(w, 5.0)) for w in (new, old)}
    await asyncio.sleep(0.05)
    desk.busy.discard("102")
    queue.wake()  # the conversation on 102 ended
    done, _ = await asyncio.wait(waits.values(), timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
    assert done == {waits["old"]} and waits["old"].result() == "102"
    queue.leave(old)
    queue.leave(new)
    waits["new"].cancel()


async def test_a_caller_who_hangs_up_gives_the_dispatcher_back() -> None:
    queue = DispatchQueue(Desk("101").free, poll_seconds=0.05)
    gone, other = queue.join("gone", False), queue.join("other", False)
    task = asyncio.create_task(queue.next_dispatcher(gone, 5.0))
    await asyncio.sleep(0)  # the offer is made ...
    task.cancel()  # ... as the caller hangs up
    await asyncio.gather(task, return_exceptions=True)
    queue.leave(gone)
    assert await queue.next_dispatcher(other, 1.0) == "101"
    assert queue.position(other) == 1
    queue.leave(other)


async def test_the_allocator_stops_when_nobody_waits() -> None:
    queue = DispatchQueue(Desk("101").free, poll_seconds=0.05)
    waiter = queue.join("a", False)
    assert await queue.next_dispatcher(waiter, 1.0) == "101"
    queue.leave(waiter)
    assert queue._allocator is not None
    await asyncio.wait_for(queue._allocator, 1.0)
    assert queue.waiters == []


async def test_a_call_resting_after_a_refused_phone_still_gets_a_newly_free_one_first() -> None:
    desk = Desk("101", "102")
    desk.busy.add("101")
    queue = DispatchQueue(desk.free, poll_seconds=0.05, round_pause_seconds=5.0)
    urgent, plain = queue.join("urgent", True), queue.join("plain", False)
    assert await queue.next_dispatcher(urgent, 1.0) == "102"
    queue.release("102")  # refused at once: the urgent call has tried every free phone
    waits = {w.call_id: asyncio.create_task(queue.next_dispatcher(w, 3.0)) for w in (urgent, plain)}
    assert await waits["plain"] == "102"  # the urgent call rests before ringing 102 again
    desk.busy.clear()  # 101 is free: the urgent call has not tried it
    assert await waits["urgent"] == "101"
    for w in (urgent, plain):
        queue.leave(w)
