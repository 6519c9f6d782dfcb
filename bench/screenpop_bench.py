"""Screen-pop latency: N dispatcher consoles on real websockets, P pops through ConsoleHub.

Measures the time from the ``hub.screen_pop`` call to the message arriving at each client's
websocket. The service runs on its own event loop (as in production); the clients run on a
second loop in another thread, so their JSON parsing does not queue behind the server's work.
The server loop's wake-up lag (ivr/looplag.py) is printed beside each run.

    .venv/bin/python bench/screenpop_bench.py                   # 20 consoles, 200 pops
    .venv/bin/python bench/screenpop_bench.py --clients 100 --pops 500

Two runs: *addressed* pops (round-robin over the consoles' extensions, one recipient each) and
*broadcast* pops (emergencies: every console receives each one). Pops are 10 ms apart
(``--interval``), a far busier line than a dispatch room ever has; ``--interval 0`` is a burst.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cti.console.notifier import ConsoleNotifier  # noqa: E402
from cti.logs import configure_logging  # noqa: E402
from cti.settings import Settings  # noqa: E402
from cti.web import ConsoleHub, create_app  # noqa: E402
from ivr.looplag import LoopLagMonitor  # noqa: E402
from journal import Database, Journal, JournalConfig, SlaPolicy  # noqa: E402
from journal.migrate import upgrade  # noqa: E402

PASSWORD = "bench-password"
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Clients:
    """The consoles, on their own loop in a thread."""

    def __init__(self, base: str, logins: list[str]) -> None:
        self.base = base
        self.logins = logins
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.latencies: list[float] = []
        self.received = 0
        self.sessions: list[aiohttp.ClientSession] = []
        self.tasks: list[asyncio.Task[None]] = []

    def run(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    async def connect(self) -> None:
        for login in self.logins:
            http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            self.sessions.append(http)
            async with http.get(f"{self.base}/login") as r:
                token = FORM_CSRF.search(await r.text())
            assert token
            async with http.post(f"{self.base}/login", data={"login": login, "password": PASSWORD,
                                                             "csrf_token": token.group(1)}, allow_redirects=False) as r:
                assert r.status == 302, r.status
            ws = await http.ws_connect(f"{self.base}/ws", origin=self.base)
            hello = await ws.receive_json()
            assert hello["type"] == "hello"
            self.tasks.append(asyncio.create_task(self.read(ws)))

    async def read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            arrived = time.perf_counter()
            data = msg.json()
            if data.get("type") == "screen_pop":
                self.latencies.append(arrived - data["t0"])
                self.received += 1

    async def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        for s in self.sessions:
            await s.close()


async def run(n_clients: int, n_pops: int, interval: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="screenpop-bench-"))
    url = f"sqlite+aiosqlite:///{tmp / 'journal.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    sla = SlaPolicy.load(REPO / "config" / "sla.toml", "Europe/Moscow")
    journal = Journal.build(Database.from_url(url), sla, JournalConfig(), tmp / "files")
    logins = []
    for i in range(n_clients):
        login = f"disp{i:03d}"
        await journal.people.create_user(login, f"Диспетчер {i}", "dispatcher", PASSWORD, extension=str(100 + i))
        logins.append(login)
    settings = Settings()
    settings.server.secret_key = secrets.token_urlsafe(48)
    hub = ConsoleHub()
    runner = web.AppRunner(create_app(settings, journal, hub=hub), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    clients = Clients(f"http://127.0.0.1:{port}", logins)
    clients.thread.start()
    try:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(clients.connect(), clients.loop))
        assert hub.client_count == n_clients
        print(f"{n_clients} consoles connected; {n_pops} pops per run, {interval * 1000:.0f} ms apart\n")
        print("| run | messages received | p50 ms | p99 ms | max ms | server loop lag p50 / p99 / max ms "
              "| without CPU waits p99 / max ms |")
        print("|---|---|---|---|---|---|---|")
        lag = LoopLagMonitor()
        lag.start()
        for mode in ("addressed", "broadcast"):
            lag.reset_run()
            clients.latencies.clear()
            clients.received = 0
            expected = n_pops if mode == "addressed" else n_pops * n_clients
            for i in range(n_pops):
                ext = None if mode == "broadcast" else str(100 + i % n_clients)
                ConsoleNotifier(hub).screen_pop(ext, {"call_id": f"bench-{mode}-{i}", "caller_number": "79160000000",
                                     "ticket_id": None, "t0": time.perf_counter()})
                await asyncio.sleep(interval)
            deadline = time.monotonic() + 10
            while clients.received < expected and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            ms = [x * 1000 for x in clients.latencies]
            loop = lag.run_figures()
            print(f"| {mode} | {clients.received}/{expected} | {statistics.median(ms):.2f} | {pct(ms, 99):.2f} "
                  f"| {max(ms):.2f} | {loop.p50_ms:.1f} / {loop.p99_ms:.1f} / {loop.max_ms:.1f} "
                  f"| {f'{loop.own.p99_ms:.1f} / {loop.own.max_ms:.1f}' if loop.own else '—'} |")
        await lag.stop()
    finally:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(clients.close(), clients.loop))
        clients.loop.call_soon_threadsafe(clients.loop.stop)
        await runner.cleanup()
        await journal.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--pops", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.01, help="seconds between pops (0: a burst)")
    args = parser.parse_args()
    configure_logging("warning", "console")
    asyncio.run(run(args.clients, args.pops, args.interval))


if __name__ == "__main__":
    main()
