"""What the shared counters and the S3 backend cost (issue #19).

    .venv/bin/python bench/shared_limits_bench.py [--database-url URL] [--n 300] [--concurrency 20]

1. The log-in throttle and the call-back limits in the journal (journal/limits.py): a failed
   log-in's count (three locked rows, two marks) and a call-back's check, one at a time and
   --concurrency at once over two instances (two engines on the same database). SQLite file by
   default; --database-url for an empty, migrated PostgreSQL database.
2. Reading a 1 MB recording from each storage backend: the directory, and an S3 bucket on
   moto's server on loopback (a Python server: its figure is our code's cost plus moto's, not
   what a real object store gives).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cti.web.callback_limits import CallbackLimits  # noqa: E402
from cti.web.throttle import LoginThrottle  # noqa: E402
from journal import Database  # noqa: E402
from journal.limits import SharedLimits  # noqa: E402
from journal.migrate import upgrade  # noqa: E402
from journal.storage import BlobStore, FileStore  # noqa: E402


def ms(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return f"p50 {statistics.median(values) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"


async def timed(n: int, concurrency: int, step: Callable[[int], Awaitable[object]]) -> tuple[list[float], float]:
    took: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            t = time.perf_counter()
            await step(i)
            took.append(time.perf_counter() - t)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return took, time.perf_counter() - started


async def limits(url: str, n: int, concurrency: int) -> None:
    dbs = [Database.from_url(url), Database.from_url(url)]  # two instances
    throttles = [LoginThrottle(SharedLimits(db)) for db in dbs]
    callbacks = [CallbackLimits(SharedLimits(db), per_dispatcher=10**9, total=10**9) for db in dbs]
    try:
        for label, c in (("one at a time", 1), (f"{concurrency} at once", concurrency)):
            took, wall = await timed(n, c, lambda i: throttles[i % 2].failed(f"user{i % 7}", f"10.0.{i % 5}.1"))
            print(f"  failed log-in counted, {label}: {ms(took)}; {n / wall:.0f}/s")
            took, wall = await timed(n, c, lambda i: callbacks[i % 2].take(i % 9))
            print(f"  call-back checked and counted, {label}: {ms(took)}; {n / wall:.0f}/s")
        took, _ = await timed(n, 1, lambda i: throttles[i % 2].retry_after(f"user{i % 7}", f"10.0.{i % 5}.1"))
        print(f"  log-in delay looked up: {ms(took)}")
    finally:
        for db in dbs:
            await db.close()


async def reads(name: str, store: BlobStore, n: int) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    key = (await store.put(data, ".wav")).relpath

    async def seek(i: int) -> None:
        start = (i * 37_000) % (len(data) - 65_536)
        assert len(b"".join([p async for p in store.read_range(key, start, start + 65_536)])) == 65_536

    took, _ = await timed(n, 1, seek)
    print(f"  {name}: a 64 KiB range (a seek of the player): {ms(took)}")
    took, _ = await timed(max(10, n // 10), 1, lambda i: store.read(key))
    print(f"  {name}: the whole 1 MiB: {ms(took)}")
    await store.delete(key)


async def storage(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await reads("directory", FileStore(Path(tmp)), n)
    try:
        from aiobotocore.session import get_session
        from moto.server import ThreadedMotoServer

        from journal.storage_s3 import S3Config, S3Store
    except ImportError:
        print("  S3: needs aiobotocore and moto (requirements-test.lock)")
        return
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        async with get_session().create_client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                               aws_access_key_id="b", aws_secret_access_key="b") as c:
            await c.create_bucket(Bucket="bench")
        store = S3Store(S3Config(bucket="bench", endpoint=endpoint, access_key="b", secret_key="b"))
        try:
            await reads("S3 (moto on loopback)", store, n)
        finally:
            await store.close()
    finally:
        server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        await asyncio.to_thread(upgrade, url)
        print(f"Shared counters on {url.split(':')[0]}:")
        await limits(url, args.n, args.concurrency)
    print("Reading a recording:")
    await storage(args.n)


if __name__ == "__main__":
    asyncio.run(main())
