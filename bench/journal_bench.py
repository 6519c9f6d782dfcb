"""Journal benchmark: fill a journal with N tickets (default 1,000,000), then measure the ticket
creation rate through the real service and p50/p99 latency of the monitoring queries and of the
caller-history lookup, on SQLite and on PostgreSQL.

    .venv/bin/python bench/journal_bench.py                       # SQLite and PostgreSQL (if available)
    .venv/bin/python bench/journal_bench.py --tickets 100000 --backends sqlite

PostgreSQL: HOTLINE_BENCH_POSTGRES_URL, else scripts/pg-test-server is started (durable settings:
fsync on, as in production). Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cti.logs import configure_logging  # noqa: E402
from journal import Actor, Database, Journal, JournalConfig, NewTicket, SlaPolicy, TicketFilter  # noqa: E402
from journal.migrate import upgrade  # noqa: E402

CATEGORIES = ["water", "sewer", "heating", "electricity", "elevator", "roof", "common_property", "cleaning", "other"]
WEIGHTS = [30, 12, 18, 12, 8, 4, 8, 6, 2]
BUILDINGS = 2000
EXECUTORS = 60
PHONES = 150_000
OPEN_SHARE = 0.05


def ticket_rows(n: int, now: datetime, rnd: random.Random) -> list[tuple[object, ...]]:
    rows = []
    for i in range(1, n + 1):
        is_open = rnd.random() < OPEN_SHARE
        age = timedelta(minutes=rnd.uniform(0, 60 * 24 * 30)) if is_open else timedelta(minutes=rnd.uniform(0, 60 * 24 * 365 * 3))
        received = now - age
        category = rnd.choices(CATEGORIES, WEIGHTS)[0]
        priority = rnd.choices(["emergency", "urgent", "planned"], [5, 45, 50])[0]
        due = received + timedelta(hours=rnd.choice([2, 24, 72, 168]))
        status = rnd.choice(["new", "accepted", "assigned", "in_progress", "postponed"]) if is_open else rnd.choice(["closed"] * 9 + ["cancelled"])
        executor = None if (is_open and rnd.random() < 0.2) else rnd.randint(1, EXECUTORS)
        rows.append((
            f"{received.year}-{i:07d}", received, "phone_ivr", f"79{rnd.randint(0, PHONES):09d}",
            rnd.randint(1, BUILDINGS), str(rnd.randint(1, 200)), category, priority, status, is_open,
            due, due, executor, "none", 0, received, received,
        ))
    return rows


COLUMNS = ("number", "received_at", "channel", "caller_phone", "building_id", "apartment", "category", "priority",
           "status", "is_open", "due_at", "next_due_at", "executor_id", "transcript_status", "repeat_count",
           "created_at", "updated_at")


def fill_sqlite(path: Path, rows: list[tuple[object, ...]]) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    def conv(v: object) -> object:
        return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") if isinstance(v, datetime) else v
    con.executemany(
        "INSERT INTO buildings (id, street, street_type, house, address_key, created_at) VALUES (?, ?, 'улица', ?, ?, '2026-01-01 00:00:00')",
        [(b, f"улица {b // 20}", str(b % 20 + 1), f"улица {b // 20}|{b % 20 + 1}|") for b in range(1, BUILDINGS + 1)],
    )
    con.executemany(
        "INSERT INTO users (id, login, full_name, role, password_hash, is_active, created_at) VALUES (?, ?, ?, 'executor', 'x', 1, '2026-01-01 00:00:00')",
        [(u, f"exec{u}", f"Исполнитель {u}") for u in range(1, EXECUTORS + 1)],
    )
    sql = f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    for start in range(0, len(rows), 50_000):
        con.executemany(sql, [tuple(conv(v) for v in r) for r in rows[start:start + 50_000]])
    con.execute("INSERT INTO ticket_counters (year, last) VALUES (?, ?)", (datetime.now(UTC).year, len(rows) + 10))
    con.commit()
    con.execute("ANALYZE")
    con.close()


async def fill_postgres(url: str, rows: list[tuple[object, ...]]) -> None:
    import asyncpg

    con = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        await con.copy_records_to_table("buildings", columns=["id", "street", "street_type", "house", "address_key", "created_at"],
            records=[(b, f"улица {b // 20}", "улица", str(b % 20 + 1), f"улица {b // 20}|{b % 20 + 1}|", t0) for b in range(1, BUILDINGS + 1)])
        await con.copy_records_to_table("users", columns=["id", "login", "full_name", "role", "password_hash", "is_active", "created_at"],
            records=[(u, f"exec{u}", f"Исполнитель {u}", "executor", "x", True, t0) for u in range(1, EXECUTORS + 1)])
        await con.copy_records_to_table("tickets", columns=list(COLUMNS), records=rows)
        for table in ("buildings", "users", "tickets"):
            await con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        await con.execute("INSERT INTO ticket_counters (year, last) VALUES ($1, $2)", datetime.now(UTC).year, len(rows) + 10)
        # What autovacuum does in production after a load: the visibility map lets the
        # monitoring counts run as index-only scans.
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()


async def timed(fn: Callable[[], Awaitable[object]], runs: int) -> tuple[float, float]:
    for _ in range(3):
        await fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


async def measure(url: str, runs: int, creations: int, rnd: random.Random) -> dict[str, object]:
    sla = SlaPolicy.load(REPO / "config" / "sla.toml", "Europe/Moscow")
    with tempfile.TemporaryDirectory() as files:
        journal = Journal.build(Database.from_url(url), sla, JournalConfig(), Path(files))
        try:
            now = datetime.now(UTC)
            m = journal.monitor
            q: dict[str, Callable[[], Awaitable[object]]] = {
                "open by period (last 24 h, first page)": lambda: m.tickets(TicketFilter(received_from=now - timedelta(days=1)), now),
                "open by category (first page)": lambda: m.tickets(TicketFilter(category=rnd.choice(CATEGORIES)), now),
                "open by building": lambda: m.tickets(TicketFilter(building_id=rnd.randint(1, BUILDINGS)), now),
                "open by executor": lambda: m.tickets(TicketFilter(executor_id=rnd.randint(1, EXECUTORS)), now),
                "overdue (first page)": lambda: m.overdue(now),
                "overdue count": lambda: m.count(TicketFilter(overdue=True), now),
                "due within 60 min": lambda: m.due_within(now, 60),
                "unassigned (first page)": lambda: m.unassigned(now),
                "open counts by category": lambda: m.open_counts("category"),
                "open counts by executor": lambda: m.open_counts("executor"),
                "caller history (phone or building)": lambda: m.caller_history(
                    phone=f"79{rnd.randint(0, PHONES):09d}", building_id=rnd.randint(1, BUILDINGS)),
            }
            results: dict[str, object] = {}
            for name, fn in q.items():
                results[name] = await timed(fn, runs)
            ivr = Actor.system("bench")

            def new() -> NewTicket:
                return NewTicket(channel="phone_ivr", category=rnd.choice(CATEGORIES), actor=ivr,
                                 caller_phone=f"78{rnd.randint(0, 10**9):09d}", building_id=rnd.randint(1, BUILDINGS),
                                 apartment=str(rnd.randint(1, 500)), description="benchmark")

            t = time.perf_counter()
            for _ in range(creations):
                await journal.tickets.register(new())
            results["create sequential (tickets/s)"] = creations / (time.perf_counter() - t)
            t = time.perf_counter()
            sem = asyncio.Semaphore(50)

            async def one() -> None:
                async with sem:
                    await journal.tickets.register(new())

            await asyncio.gather(*(one() for _ in range(creations)))
            results["create 50 concurrent (tickets/s)"] = creations / (time.perf_counter() - t)
            return results
        finally:
            await journal.close()


def pg_admin_url() -> str | None:
    url = os.environ.get("HOTLINE_BENCH_POSTGRES_URL")
    if url:
        return url
    env = dict(os.environ, HOTLINE_PG_DIR="/tmp/hotline-pg-bench", HOTLINE_PG_PORT="55433",
               HOTLINE_PG_OPTIONS="-c shared_buffers=512MB")
    r = subprocess.run([str(REPO / "scripts" / "pg-test-server"), "start"], env=env, capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


async def bench_backend(backend: str, n: int, runs: int, creations: int) -> dict[str, object]:
    rnd = random.Random(416)
    now = datetime.now(UTC)
    t = time.perf_counter()
    rows = ticket_rows(n, now, rnd)
    gen_s = time.perf_counter() - t
    if backend == "sqlite":
        tmp = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        url = f"sqlite+aiosqlite:///{tmp}"
        await asyncio.to_thread(upgrade, url)
        t = time.perf_counter()
        fill_sqlite(tmp, rows)
    else:
        admin = pg_admin_url()
        if admin is None:
            raise SystemExit("no PostgreSQL server for the benchmark")
        import asyncpg

        dsn = admin.replace("postgresql+asyncpg://", "postgresql://")
        con = await asyncpg.connect(dsn)
        await con.execute("DROP DATABASE IF EXISTS hotline_bench WITH (FORCE)")
        await con.execute("CREATE DATABASE hotline_bench")
        await con.close()
        url = admin.rsplit("/", 1)[0] + "/hotline_bench"
        await asyncio.to_thread(upgrade, url)
        t = time.perf_counter()
        await fill_postgres(url, rows)
    fill_s = time.perf_counter() - t
    del rows
    results = await measure(url, runs, creations, rnd)
    results["fill (rows/s, bulk)"] = n / fill_s
    results["_gen_s"] = gen_s
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--creations", type=int, default=2000)
    ap.add_argument("--backends", default="sqlite,postgres")
    args = ap.parse_args()
    configure_logging("warning", "json")
    out = sys.stdout
    for backend in args.backends.split(","):
        res = asyncio.run(bench_backend(backend, args.tickets, args.runs, args.creations))
        out.write(f"\n### {backend}: {args.tickets:,} tickets ({OPEN_SHARE:.0%} open), {args.runs} runs per query\n\n")
        out.write("| measure | p50 ms | p99 ms |\n|---|---|---|\n")
        for name, value in res.items():
            if isinstance(value, tuple):
                out.write(f"| {name} | {value[0]:.2f} | {value[1]:.2f} |\n")
        for name, value in res.items():
            if not isinstance(value, tuple) and not name.startswith("_"):
                out.write(f"| {name} | {value:,.0f} | |\n")
        out.flush()


if __name__ == "__main__":
    main()
