"""ConsoleHub without sockets: addressing, replay from the rings, overflow."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from cti.console.messages import PbxState
from cti.console.notifier import ConsoleNotifier
from cti.web import ConsoleHub, Subscriber


@dataclass
class FakeSocket:
    sent: list[dict[str, object]] = field(default_factory=list)
    closed_with: int | None = None
    stall: asyncio.Event | None = None

    async def send_str(self, data: str, compress: int | None = None) -> None:
        if self.stall is not None:
            await self.stall.wait()
        self.sent.append(json.loads(data))

    async def close(self, *, code: int = 1000, message: bytes = b"", drain: bool = True) -> bool:
        self.closed_with = code
        return True


DISPATCHER_101 = Subscriber(1, "dispatcher", "101")


async def test_replay_after_the_ring_forgot_asks_for_a_resync() -> None:
    hub = ConsoleHub(buffer_size=3)
    for i in range(6):
        ConsoleNotifier(hub).screen_pop("101", {"n": i})
    sock = FakeSocket()
    client = hub.attach(sock, DISPATCHER_101, last_id=1)
    await asyncio.sleep(0.01)
    assert [m["type"] for m in sock.sent] == ["hello", "resync", "screen_pop", "screen_pop", "screen_pop"]
    assert [m["n"] for m in sock.sent[2:]] == [3, 4, 5]
    hub.detach(client)


async def test_a_message_in_two_mailboxes_arrives_once() -> None:
    hub = ConsoleHub()
    sock = FakeSocket()
    client = hub.attach(sock, DISPATCHER_101, last_id=None)
    mid = hub.publish(PbxState(True), to=["ext:101", "role:dispatcher", "all"])
    await asyncio.sleep(0.01)
    assert [m["id"] for m in sock.sent] == [0, mid]
    hub.detach(client)
    replay = FakeSocket()
    client = hub.attach(replay, DISPATCHER_101, last_id=0)
    await asyncio.sleep(0.01)
    assert [m["id"] for m in replay.sent] == [0, mid]
    hub.detach(client)


async def test_an_overflowing_client_is_dropped_and_closed() -> None:
    hub = ConsoleHub(queue_size=4)
    stuck = FakeSocket(stall=asyncio.Event())
    ok = FakeSocket()
    hub.attach(stuck, DISPATCHER_101, last_id=None)
    hub.attach(ok, Subscriber(2, "dispatcher", "102"), last_id=None)
    for i in range(10):
        ConsoleNotifier(hub).screen_pop(None, {"n": i})
        await asyncio.sleep(0)  # events come one by one from the PBX link, each on its own turn
    await asyncio.sleep(0.01)
    assert hub.client_count == 1 and stuck.closed_with == 1008
    assert [m.get("n") for m in ok.sent[1:]] == list(range(10))
    await hub.close_all()
    assert ok.closed_with == 1001


async def test_a_console_from_before_a_restart_gets_what_the_new_process_sent() -> None:
    old = ConsoleHub()
    for i in range(5):
        ConsoleNotifier(old).screen_pop("101", {"n": i})
    epoch, seen = old.hello()["epoch"], old.last_id  # what the console had from the old process
    for sent_by_new in (1, 7):  # fewer ids than the console saw, and more
        new = ConsoleHub()
        for i in range(sent_by_new):
            ConsoleNotifier(new).screen_pop("101", {"n": f"new-{i}"})
        sock = FakeSocket()
        client = new.attach(sock, DISPATCHER_101, last_id=seen, epoch=epoch)
        await asyncio.sleep(0.01)
        assert [m["type"] for m in sock.sent] == ["hello", "resync", *["screen_pop"] * sent_by_new]
        assert [m["n"] for m in sock.sent[2:]] == [f"new-{i}" for i in range(sent_by_new)]
        assert sock.sent[0]["epoch"] == new.epoch != epoch
        new.detach(client)
        # Reconnecting to the same process: its own epoch, nothing replayed again.
        again = FakeSocket()
        client = new.attach(again, DISPATCHER_101, last_id=new.last_id, epoch=new.epoch)
        await asyncio.sleep(0.01)
        assert [m["type"] for m in again.sent] == ["hello"]
        new.detach(client)
