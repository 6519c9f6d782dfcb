"""Screen-pop latency through the console outbox (PostgreSQL) across instances, against one
instance in memory, and the message rate the outbox carries before its latency degrades.

    .venv/bin/python bench/outbox_bench.py                              # a throwaway PostgreSQL
    .venv/bin/python bench/outbox_bench.py --database-url postgresql+asyncpg://... --pops 300
    .venv/bin/python bench/outbox_bench.py --rates 100,500,1000,2000,4000 --seconds 3
    .venv/bin/python bench/outbox_bench.py --changes 300 --rates ''   # only pops and ticket changes

What is timed: from ``ConsoleNotifier.screen_pop`` (what the call flow calls) to the message
handed to a console's socket (its sender task's ``send_str``), the websocket itself left out
(bench/screenpop_bench.py measures that part). *memory*: one ``ConsoleHub``. *outbox, same
instance*: an ``OutboxHub`` publishing and delivering to its own console. *outbox, across
instances*: hub A publishes, hub B (its own database pools and listening connection, on the same
PostgreSQL) delivers to its console. *Ticket changes*: a dispatcher's edit of a ticket and its
``ticket_updated`` message, the message queued after the change's commit against staged in the
change's transaction (``notifier.together``, what the service does): the change's own time
(what the API handler waits) and the time to instance B's console. Both outbox hubs run in this one process on one event loop:
a pessimistic stand-in for two processes on two machines (no network between them here).
Without ``--database-url`` a throwaway server is started with ``scripts/pg-test-server``, which
runs PostgreSQL with ``fsync=off`` and ``synchronous_commit=off``: give a real server's URL for
figures with durable commits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from cti.console.hub import ConsoleHub, Subscriber  # noqa: E402
from cti.console.notifier import ConsoleNotifier  # noqa: E402
from cti.console.outbox_bus import OutboxHub  # noqa: E402
from cti.logs import configure_logging  # noqa: E402
from journal import Actor, Database, Journal, JournalConfig, NewTicket, SlaPolicy  # noqa: E402
from journal.migrate import upgrade  # noqa: E402
from journal.outbox import Outbox  # noqa: E402

DISPATCHER = Actor("Петрова О. И.")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Screen:
    """A console's socket that notes when each pop reached it (ms after it was published)."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.count = 0
        self.done = asyncio.Event()
        self.expect = 0

    async def send_str(self, data: str, compress: int | None = None) -> None:
        msg = json.loads(data)
        sent = msg.get("sent") or (msg.get("fields") or {}).get("sent")
        if msg.get("type") in ("screen_pop", "ticket_updated") and sent:
            self.latencies.append((time.time() - sent) * 1000)
            self.count += 1
            if self.count >= self.expect:
                self.done.set()

    async def close(self, *, code: int = 1000, message: bytes = b"", drain: bool = True) -> bool:
        return True

    def reset(self, expect: int) -> None:
        self.latencies, self.count, self.expect = [], 0, expect
        self.done.clear()


def console(hub: ConsoleHub) -> Screen:
    screen = Screen()
    hub.attach(screen, Subscriber(1, "dispatcher", "101"), None)
    return screen


async def pops(notify: ConsoleNotifier, screen: Screen, count: int, interval: float) -> list[float]:
    screen.reset(count)
    for i in range(count):
        notify.screen_pop("101", {"call_id": f"c{i}", "caller_number": "79160000000", "sent": time.time()})
        await asyncio.sleep(interval)
    await asyncio.wait_for(screen.done.wait(), 60)
    return screen.latencies


async def at_rate(notify: ConsoleNotifier, screen: Screen, rate: int, seconds: float) -> tuple[list[float], float]:
    """Publish ``rate`` pops a second for ``seconds`` (in 10 ms ticks); the latencies and the rate
    the console received them at."""
    total = int(rate * seconds)
    screen.reset(total)
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent = 0
    while sent < total:
        due = min(total, int((loop.time() - start) * rate) + 1)
        for i in range(sent, due):
            notify.screen_pop("101", {"call_id": f"r{i}", "sent": time.time()})
        sent = due
        await asyncio.sleep(0.01)
    try:
        await asyncio.wait_for(screen.done.wait(), 120)
    except TimeoutError:
        pass
    return screen.latencies, screen.count / (loop.time() - start)


async def changes(journal: Journal, notify: ConsoleNotifier, screen: Screen, count: int, interval: float, *,
                  together: bool) -> list[float]:
    """``count`` edits of one ticket, each with its message; the edits' own times (ms)."""
    ticket = (await journal.tickets.register(NewTicket(
        channel="phone_dispatcher", category="water", actor=DISPATCHER, caller_phone=f"7916{count:03d}{int(together)}",
        description="bench"))).ticket
    screen.reset(count)
    took: list[float] = []
    for i in range(count):
        start = time.time()
        if together:
            async with notify.together(journal.db):
                await journal.tickets.edit(ticket.id, DISPATCHER, address_text=f"Ленина, {i}")
                notify.ticket_updated(ticket.id, sent=start)
        else:
            await journal.tickets.edit(ticket.id, DISPATCHER, address_text=f"Ленина, {i}")
            notify.ticket_updated(ticket.id, sent=start)
        took.append((time.time() - start) * 1000)
        await asyncio.sleep(interval)
    await asyncio.wait_for(screen.done.wait(), 60)
    return took


def row(name: str, values: list[float]) -> str:
    return (f"| {name} | {len(values)} | {statistics.median(values):.1f} | {pct(values, 95):.1f} | "
            f"{pct(values, 99):.1f} | {max(values):.1f} |")


async def run(url: str, count: int, interval: float, rates: list[int], seconds: float, changes_count: int) -> None:
    memory = ConsoleHub(queue_size=100_000)
    mem_screen = console(memory)
    dbs = [Database.from_url(url), Database.from_url(url)]
    async with dbs[0].engine.begin() as conn:
        await conn.execute(text("TRUNCATE console_outbox"))
    one = OutboxHub(Outbox(dbs[0]), poll_seconds=1.0, queue_size=100_000)
    two = OutboxHub(Outbox(dbs[1]), poll_seconds=1.0, queue_size=100_000)
    await one.start()
    await two.start()
    try:
        await two.listener.wait_listening(10)
        same, across = console(one), console(two)
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        print(f"\nScreen pops, {count} pops {interval * 1000:.0f} ms apart (ms from publish to the console's socket):\n")
        print("| path | pops | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|")
        print(row("memory (one instance)", await pops(ConsoleNotifier(memory), mem_screen, count, interval)))
        # Both consoles of the outbox run at once: instance A's own and instance B's.
        across.reset(count)
        lat_same = await pops(ConsoleNotifier(one), same, count, interval)
        await asyncio.wait_for(across.done.wait(), 60)
        print(row("outbox, same instance", lat_same))
        print(row("outbox, across instances", list(across.latencies)))
        print(f"\nload average: {os.getloadavg()[0]:.1f}")

        if changes_count:
            journal = Journal.build(dbs[0], SlaPolicy.load(REPO / "config" / "sla.toml", "Europe/Moscow"),
                                    JournalConfig(), Path(tempfile.mkdtemp(prefix="outbox-bench-files.")))
            print(f"\nTicket changes, {changes_count} edits {interval * 1000:.0f} ms apart (ms):\n")
            print("| message | edits | edit p50 | edit p99 | to B's console p50 | p99 |\n|---|---|---|---|---|---|")
            for label, staged in (("queued after the commit", False), ("in the change's transaction", True)):
                took = await changes(journal, ConsoleNotifier(one), across, changes_count, interval, together=staged)
                lat = list(across.latencies)
                print(f"| {label} | {len(took)} | {statistics.median(took):.1f} | {pct(took, 99):.1f} | "
                      f"{statistics.median(lat):.1f} | {pct(lat, 99):.1f} |")
            print(f"\nload average: {os.getloadavg()[0]:.1f}")

        if rates:
            print(f"\nMessages per second through the outbox, across instances ({seconds:.0f} s at each rate):\n")
            print("| offered / s | received / s | p50 ms | p99 ms | max ms | load |\n|---|---|---|---|---|---|")
        for rate in rates:
            lat, got = await at_rate(ConsoleNotifier(one), across, rate, seconds)
            if not lat:
                print(f"| {rate} | 0 | - | - | - | {os.getloadavg()[0]:.1f} |")
                continue
            print(f"| {rate} | {got:.0f} | {statistics.median(lat):.1f} | {pct(lat, 99):.1f} | {max(lat):.1f} | "
                  f"{os.getloadavg()[0]:.1f} |")
            await asyncio.sleep(1.0)
    finally:
        await one.stop()
        await two.stop()
        for db in dbs:
            await db.close()


def throwaway_server() -> tuple[str, dict[str, str]]:
    env = {**os.environ, "HOTLINE_PG_DIR": tempfile.mkdtemp(prefix="outbox-bench-pg.")}
    url = subprocess.run([str(REPO / "scripts" / "pg-test-server"), "start"], env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    return url, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL journal (migrated here); default: a throwaway server")
    parser.add_argument("--pops", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between pops (default 0.02)")
    parser.add_argument("--rates", default="100,500,1000,2000,4000,8000")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--changes", type=int, default=300, help="ticket edits with their messages (0: none)")
    args = parser.parse_args()
    configure_logging("warning", "console")
    url, env = args.database_url, None
    if not url:
        url, env = throwaway_server()
    try:
        upgrade(url)
        rates = [int(r) for r in args.rates.split(",") if r]
        asyncio.run(run(url, args.pops, args.interval, rates, args.seconds, args.changes))
    finally:
        if env is not None:
            subprocess.run([str(REPO / "scripts" / "pg-test-server"), "stop"], env=env, check=False)


if __name__ == "__main__":
    main()

