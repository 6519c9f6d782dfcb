"""Analytics benchmark: a journal of N tickets (default 1,000,000, filled by journal_bench's
functions) plus as many calls, their missed calls and recordings; then the latency of the
summary, the ПП 416 report, the monitor page's counts and the QA call list, per period.

    .venv/bin/python bench/analytics_bench.py                          # SQLite and PostgreSQL (if available)
    .venv/bin/python bench/analytics_bench.py --tickets 100000 --backends sqlite

Prints a Markdown table; the budget is 1 s per page.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from journal_bench import fill_postgres, fill_sqlite, pg_admin_url, ticket_rows, timed  # noqa: E402

from cti.logs import configure_logging  # noqa: E402
from journal import Database, TicketFilter  # noqa: E402
from journal.analytics import Analytics, Period  # noqa: E402
from journal.checklist import Checklist  # noqa: E402
from journal.compliance import compliance  # noqa: E402
from journal.migrate import upgrade  # noqa: E402
from journal.monitoring import Monitor  # noqa: E402
from journal.quality import CallFilter, QualityService  # noqa: E402

TZ = ZoneInfo("Europe/Moscow")
DISPATCHERS = 12
CALL_COLUMNS = ("channel_id", "direction", "caller_number", "started_at", "answered_at", "ended_at", "outcome",
                "dispatcher_id")
OUTCOMES = ["ticket", "missed", "transferred", "answered"]


def call_rows(n: int, now: datetime, rnd: random.Random) -> tuple[list[tuple[object, ...]], list[int]]:
    rows, missed = [], []
    for i in range(1, n + 1):
        started = now - timedelta(minutes=rnd.uniform(0, 60 * 24 * 365 * 3))
        outcome = rnd.choices(OUTCOMES, [60, 8, 7, 25])[0]
        answered = started + timedelta(seconds=rnd.uniform(1, 120)) if outcome != "missed" and rnd.random() < 0.7 else None
        rows.append((f"b-{i}", "inbound", f"79{rnd.randint(0, 150_000):09d}", started, answered,
                     started + timedelta(seconds=rnd.uniform(30, 600)), outcome,
                     rnd.randint(EXEC_OFFSET + 1, EXEC_OFFSET + DISPATCHERS) if answered else None))
        if outcome == "missed":
            missed.append(i)
    return rows, missed


EXEC_OFFSET = 1000  # dispatchers' user ids, clear of journal_bench's executors


def extra_sqlite(path: Path, calls: list[tuple[object, ...]], missed: list[int], rnd: random.Random) -> None:
    con = sqlite3.connect(path)

    def conv(v: object) -> object:
        return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") if isinstance(v, datetime) else v

    con.executemany("INSERT INTO users (id, login, full_name, role, password_hash, is_active, created_at) "
                    "VALUES (?, ?, ?, 'dispatcher', 'x', 1, '2026-01-01 00:00:00')",
                    [(u, f"disp{u}", f"Диспетчер {u}") for u in range(EXEC_OFFSET + 1, EXEC_OFFSET + DISPATCHERS + 1)])
    sql = f"INSERT INTO calls (id, {', '.join(CALL_COLUMNS)}) VALUES (?, {', '.join('?' * len(CALL_COLUMNS))})"
    for start in range(0, len(calls), 50_000):
        con.executemany(sql, [(start + k + 1, *(conv(v) for v in r)) for k, r in enumerate(calls[start:start + 50_000])])
    con.executemany(
        "INSERT INTO missed_calls (call_id, caller_number, occurred_at, reason, callback_due_at, status, attempts, "
        "callback_at, outcome) VALUES (?, ?, ?, 'hangup', ?, 'done', 1, ?, 'reached')",
        [(cid, calls[cid - 1][2], conv(calls[cid - 1][3]), conv(calls[cid - 1][3] + timedelta(minutes=10)),  # type: ignore[operator]
          conv(calls[cid - 1][3] + timedelta(minutes=rnd.uniform(1, 30)))) for cid in missed])  # type: ignore[operator]
    con.execute("INSERT INTO recordings (call_id, name, sha256, path, format, size_bytes, created_at) "
                "SELECT id, 'rec', '0', 'x.wav', 'wav', 1, started_at FROM calls WHERE id % 3 = 0")
    # Work done on closed tickets: localisation and repair times, residents' ratings, repeats.
    con.execute("UPDATE tickets SET done_at = datetime(received_at, '+' || (abs(random()) % 4320) || ' minutes'), "
                "localized_at = datetime(received_at, '+' || (abs(random()) % 240) || ' minutes'), "
                "rating = CASE WHEN abs(random()) % 3 = 0 THEN 1 + abs(random()) % 5 END, "
                "repeat_count = CASE WHEN abs(random()) % 10 = 0 THEN 1 ELSE 0 END, "
                "call_id = CASE WHEN id <= (SELECT max(id) FROM calls) THEN id END WHERE NOT is_open")
    con.commit()
    con.execute("ANALYZE")
    con.close()


async def extra_postgres(url: str, calls: list[tuple[object, ...]], missed: list[int], rnd: random.Random) -> None:
    import asyncpg

    con = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        await con.copy_records_to_table("users", columns=["id", "login", "full_name", "role", "password_hash",
                                                          "is_active", "created_at"],
            records=[(u, f"disp{u}", f"Диспетчер {u}", "dispatcher", "x", True, t0)
                     for u in range(EXEC_OFFSET + 1, EXEC_OFFSET + DISPATCHERS + 1)])
        await con.copy_records_to_table("calls", columns=["id", *CALL_COLUMNS],
                                        records=[(k + 1, *r) for k, r in enumerate(calls)])
        await con.copy_records_to_table("missed_calls", columns=[
            "call_id", "caller_number", "occurred_at", "reason", "callback_due_at", "status", "attempts", "callback_at",
            "outcome"], records=[(cid, calls[cid - 1][2], calls[cid - 1][3], "hangup",
                                  calls[cid - 1][3] + timedelta(minutes=10), "done", 1,  # type: ignore[operator]
                                  calls[cid - 1][3] + timedelta(minutes=rnd.uniform(1, 30)), "reached")  # type: ignore[operator]
                                 for cid in missed])
        await con.execute("INSERT INTO recordings (call_id, name, sha256, path, format, size_bytes, created_at) "
                          "SELECT id, 'rec', '0', 'x.wav', 'wav', 1, started_at FROM calls WHERE id % 3 = 0")
        await con.execute("UPDATE tickets SET done_at = received_at + random() * 4320 * interval '1 minute', "
                          "localized_at = received_at + random() * 240 * interval '1 minute', "
                          "rating = CASE WHEN random() < 0.33 THEN 1 + floor(random() * 5)::int END, "
                          "repeat_count = CASE WHEN random() < 0.1 THEN 1 ELSE 0 END, "
                          "call_id = CASE WHEN id <= (SELECT max(id) FROM calls) THEN id END WHERE NOT is_open")
        for table in ("users", "calls"):
            await con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()


async def measure(url: str, runs: int) -> dict[str, tuple[float, float]]:
    db = Database.from_url(url)
    try:
        now = datetime.now(UTC)
        analytics = Analytics(db, TZ)
        monitor = Monitor(db)
        quality = QualityService(db, Checklist.load(REPO / "config" / "quality.toml"))

        def period(days: int) -> Period:
            return Period(now - timedelta(days=days), now)

        async def monitor_page() -> None:
            for by in ("category", "building", "executor"):
                await monitor.open_counts(by)  # type: ignore[arg-type]
            for f in (TicketFilter(), TicketFilter(overdue=True), TicketFilter(due_within=timedelta(hours=1)),
                      TicketFilter(unassigned=True), TicketFilter(received_from=now - timedelta(hours=1)),
                      TicketFilter(received_from=now - timedelta(days=1)),
                      TicketFilter(received_from=now - timedelta(days=7))):
                await monitor.count(f, now)

        async def qa_list(days: int) -> None:
            f = CallFilter(started_from=now - timedelta(days=days), started_to=now)
            await quality.calls(f)
            await quality.count(f)

        q: dict[str, Callable[[], Awaitable[object]]] = {
            "monitor page (3 groupings + 7 counts)": monitor_page,
            "summary, 1 day": lambda: analytics.summary(period(1)),
            "summary, 7 days": lambda: analytics.summary(period(7)),
            "summary, 30 days": lambda: analytics.summary(period(30)),
            "summary, 90 days": lambda: analytics.summary(period(90)),
            "ПП 416 report, 1 day": lambda: compliance(db, period(1), now),
            "ПП 416 report, 7 days": lambda: compliance(db, period(7), now),
            "ПП 416 report, 30 days (page: totals + first 1000 calls)": lambda: compliance(db, period(30), now,
                                                                                         max_calls=1000),
            "ПП 416 report, 30 days (every list in full: the PDF)": lambda: compliance(db, period(30), now),
            "ПП 416 report, 30 days (every call: the CSV/XLSX data)": lambda: compliance(db, period(30), now,
                                                                                       calls_only=True),
            "QA calls, 30 days (page + count)": lambda: qa_list(30),
            "QA random sample of 20, 30 days": lambda: quality.sample(
                CallFilter(started_from=now - timedelta(days=30), started_to=now, with_recording=True), 20),
        }
        return {name: await timed(fn, runs) for name, fn in q.items()}
    finally:
        await db.close()


async def bench_backend(backend: str, n: int, runs: int) -> dict[str, tuple[float, float]]:
    rnd = random.Random(416)
    now = datetime.now(UTC)
    rows = ticket_rows(n, now, rnd)
    calls, missed = call_rows(n, now, rnd)
    t = time.perf_counter()
    if backend == "sqlite":
        tmp = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        url = f"sqlite+aiosqlite:///{tmp}"
        await asyncio.to_thread(upgrade, url)
        fill_sqlite(tmp, rows)
        extra_sqlite(tmp, calls, missed, rnd)
    else:
        admin = pg_admin_url()
        if admin is None:
            raise SystemExit("no PostgreSQL server for the benchmark")
        import asyncpg

        con = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
        await con.execute("DROP DATABASE IF EXISTS hotline_analytics_bench WITH (FORCE)")
        await con.execute("CREATE DATABASE hotline_analytics_bench")
        await con.close()
        url = admin.rsplit("/", 1)[0] + "/hotline_analytics_bench"
        await asyncio.to_thread(upgrade, url)
        await fill_postgres(url, rows)
        await extra_postgres(url, calls, missed, rnd)
    print(f"{backend}: filled {n:,} tickets, {len(calls):,} calls, {len(missed):,} missed in "
          f"{time.perf_counter() - t:.0f} s; measure it again with --reuse {url}", file=sys.stderr)
    del rows, calls
    return await measure(url, runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--reuse", help="measure an already filled journal (a database URL) instead of filling one")
    args = ap.parse_args()
    configure_logging("warning", "json")
    for backend in args.backends.split(","):
        if args.reuse:
            from journal.migrate import upgrade as migrate

            migrate(args.reuse)
            res = asyncio.run(measure(args.reuse, args.runs))
        else:
            res = asyncio.run(bench_backend(backend, args.tickets, args.runs))
        print(f"\n### analytics, {backend}: {args.tickets:,} tickets and as many calls, {args.runs} runs\n")
        print("| query | p50 ms | max ms | under 1 s |\n|---|---|---|---|")
        for name, (p50, p99) in res.items():
            print(f"| {name} | {p50:.1f} | {p99:.1f} | {'yes' if p99 < 1000 else 'NO'} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
