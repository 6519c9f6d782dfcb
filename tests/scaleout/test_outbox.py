"""The console outbox on a real PostgreSQL: writers ordered so that a reader never skips an id,
and the hub of one instance delivering what another wrote, with the listener connection killed."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text

from cti.console.hub import Subscriber
from cti.console.notifier import ConsoleNotifier
from cti.console.outbox_bus import OutboxHub
from journal import Database
from journal.clock import utcnow
from journal.outbox import Outbox, OutboxMessage, OutboxRow


@pytest.fixture
def backend() -> str:
    return "postgres"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(db_url)
    yield database
    await database.close()


def msg(n: int) -> OutboxMessage:
    return OutboxMessage("ticket_updated", frozenset({"role:dispatcher"}), json.dumps({"n": n}))


async def test_a_writer_waits_for_the_one_in_flight_so_ids_commit_in_order(db: Database) -> None:
    outbox = Outbox(db)
    async with db.engine.connect() as first:
        await first.begin()
        (early,) = await outbox.write(first, [msg(1)])
        second = asyncio.create_task(outbox.append([msg(2)]))
        await asyncio.sleep(0.5)
        # The second writer has no id yet: it waits on the writers' lock.
        assert not second.done()
        assert await outbox.read_after(0) == []
        await first.commit()
    (late,) = await second
    assert late > early
    assert [e.id for e in await outbox.read_after(0)] == [early, late]


async def test_without_the_lock_a_reader_skips_an_id_committed_late(db: Database) -> None:
    """Why the lock: a plain insert draws its id at once, and a smaller id may commit later."""
    outbox = Outbox(db)

    def row(n: int) -> dict[str, Any]:
        return {"type": "t", "mailboxes": "all", "payload": json.dumps({"n": n}), "created_at": utcnow()}

    async with db.engine.connect() as slow:
        await slow.begin()
        small = (await slow.execute(insert(OutboxRow).returning(OutboxRow.id), [row(1)])).scalar_one()
        async with db.engine.begin() as fast:
            big = (await fast.execute(insert(OutboxRow).returning(OutboxRow.id), [row(2)])).scalar_one()
        seen = [e.id for e in await outbox.read_after(0)]
        await slow.commit()
    assert small < big and seen == [big]
    assert [e.id for e in await outbox.read_after(max(seen))] == []  # the reader never gets `small`


async def test_concurrent_writers_a_reader_never_skips_an_id(db: Database) -> None:
    outbox = Outbox(db)
    written: list[int] = []
    rng = random.Random(19)

    async def writer(w: int) -> None:
        for i in range(25):
            async with db.engine.begin() as conn:
                ids = await outbox.write(conn, [msg(w * 1000 + i * 10 + k) for k in range(rng.randint(1, 3))])
                # Commits arrive late and in any order without the lock.
                await conn.execute(text("SELECT pg_sleep(:s)"), {"s": rng.random() * 0.01})
            written.extend(ids)

    seen: list[int] = []
    done = asyncio.Event()

    async def reader() -> None:
        while True:
            finished = done.is_set()
            rows = await outbox.read_after(seen[-1] if seen else 0)
            seen.extend(e.id for e in rows)
            if finished and not rows:
                return
            await asyncio.sleep(0.001)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(w) for w in range(6)))
    done.set()
    await reading
    assert len(written) >= 150
    assert seen == sorted(written)


class Screen:
    """A console's socket: what it was sent."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()

    async def send_str(self, data: str, compress: int | None = None) -> None:
        self.got.append(json.loads(data))
        self.arrived.set()

    async def close(self, *, code: int = 1000, message: bytes = b"", drain: bool = True) -> bool:
        return True

    async def pop(self, call_id: str, timeout: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            for m in self.got:
                if m["type"] == "screen_pop" and m.get("call_id") == call_id:
                    return m
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), end - loop.time())


async def test_listener_killed_the_poll_delivers_and_the_listener_comes_back(db: Database) -> None:
    poll = 0.5
    one, two = OutboxHub(Outbox(db), poll_seconds=poll), OutboxHub(Outbox(db), poll_seconds=poll)
    await one.start()
    await two.start()
    try:
        await two.listener.wait_listening(10)
        assert one.epoch == two.epoch
        screen = Screen()
        two.attach(screen, Subscriber(7, "dispatcher", "101"), None)
        notify = ConsoleNotifier(one)

        notify.screen_pop(None, {"call_id": "c1", "emergency": True})
        first = await screen.pop("c1", 5)
        assert two.listener.notifications >= 1

        two.listener.retry = 4.0  # it stays away a while: only the poll can deliver meanwhile
        pid = two.listener.backend_pid
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})).scalar()
        for _ in range(100):
            if two.listener.backend_pid is None:
                break
            await asyncio.sleep(0.02)
        assert two.listener.backend_pid is None
        heard = two.listener.notifications
        notify.screen_pop(None, {"call_id": "c2", "emergency": True})
        # Within the poll's bound (and slack for a loaded machine), with nobody listening.
        second = await screen.pop("c2", poll * 2 + 1.5)
        assert two.listener.backend_pid is None and two.listener.notifications == heard
        assert second["id"] > first["id"]

        await asyncio.wait_for(_until(lambda: two.listener.connections == 2), 15)
        assert two.listener.backend_pid not in (None, pid)
        notify.screen_pop(None, {"call_id": "c3", "emergency": True})
        third = await screen.pop("c3", 5)
        await asyncio.wait_for(_until(lambda: two.listener.notifications > heard), 5)
        assert [m["id"] for m in screen.got if m["type"] == "screen_pop"] == [first["id"], second["id"], third["id"]]
    finally:
        await one.stop()
        await two.stop()


async def _until(check: Any) -> None:
    while not check():
        await asyncio.sleep(0.05)


async def test_a_console_behind_what_the_outbox_keeps_is_told_to_reload(db: Database) -> None:
    hub = OutboxHub(Outbox(db), poll_seconds=0.2)
    await hub.start()
    try:
        notify = ConsoleNotifier(hub)
        for n in range(5):
            notify.screen_pop(None, {"call_id": f"t{n}", "emergency": True})
        for _ in range(200):
            ids = [e.id for e in await hub.outbox.read_after(0)]
            if len(ids) == 5 and hub.last_id == ids[-1]:
                break
            await asyncio.sleep(0.05)
        assert len(ids) == 5 and hub.last_id == ids[-1]
        assert await hub.outbox.trim(keep=timedelta(minutes=10), keep_rows=2) == 3
        # Kept: the last two. A console that had the second one misses rows that are gone.
        behind, current = Screen(), Screen()
        hub.attach(behind, Subscriber(7, "dispatcher", "101"), ids[1], hub.epoch, await hub.backlog(ids[1], hub.epoch))
        hub.attach(current, Subscriber(7, "dispatcher", "101"), ids[2], hub.epoch, await hub.backlog(ids[2], hub.epoch))
        await asyncio.sleep(0.2)
        assert [m["type"] for m in behind.got[1:2]] == ["resync"]
        assert [m.get("call_id") for m in current.got[1:]] == ["t3", "t4"]
    finally:
        await hub.stop()


async def test_a_console_ahead_of_the_instance_it_reconnects_to_gets_nothing_twice(db: Database) -> None:
    one, two = OutboxHub(Outbox(db), poll_seconds=0.2), OutboxHub(Outbox(db), poll_seconds=30)
    await one.start()
    await two.start()
    try:
        await two.listener.stop()  # instance 2 lags: it reads only when its own writer wakes it
        on_one = Screen()
        one.attach(on_one, Subscriber(7, "dispatcher", "101"), None)
        for n in (1, 2):
            ConsoleNotifier(one).screen_pop(None, {"call_id": f"a{n}", "emergency": True})
        seen = await on_one.pop("a2", 5)
        assert two.last_id < seen["id"]

        on_two = Screen()
        two.attach(on_two, Subscriber(7, "dispatcher", "101"), seen["id"], two.epoch,
                   await two.backlog(seen["id"], two.epoch))
        ConsoleNotifier(two).screen_pop(None, {"call_id": "b3", "emergency": True})
        await on_two.pop("b3", 5)
        assert [m.get("call_id") for m in on_two.got] == [None, "b3"]  # hello, then only what is new
    finally:
        await one.stop()
        await two.stop()
