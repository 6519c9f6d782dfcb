"""The dispatcher's console under load: 50 callers waiting and 500 open tickets, in Chromium.

    .venv/bin/python bench/console_bench.py                 # 50 waiting, 500 open tickets
    .venv/bin/python bench/console_bench.py --waiting 100 --tickets 2000

Prints, for a markdown table in BENCHMARKS.md:
- *render*: from ``page.goto('/console')`` until the 50 waiting callers and the work queue are on
  screen (the page, live.js, the hello with the calls, /api/console/queue), median of 5 loads;
- *apply*: the time live.js takes to handle one live message (a waiting caller's state: the list
  of 50 is rebuilt), measured in the page around its handler, over 200 messages;
- *queue refresh*: one /api/console/queue round trip as the page makes it after a change;
- *websocket traffic*: the bytes one console receives in a scripted minute of a cold-January
  burst (the issue's six calls, three of them emergencies, with the dispatchers' edits) and in
  a busy minute (60 calls), counted on a real websocket client; and the HTTP bytes of the queue
  refreshes those minutes cause (one per change after a 300 ms debounce, measured in the page).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cti.console.messages import TicketRegistered  # noqa: E402
from cti.console.notifier import ConsoleNotifier  # noqa: E402
from cti.logs import configure_logging  # noqa: E402
from cti.settings import Settings  # noqa: E402
from cti.web import ConsoleHub, create_app  # noqa: E402
from journal import Actor, Database, Journal, JournalConfig, NewTicket, SlaPolicy  # noqa: E402
from journal.clock import utcnow  # noqa: E402
from journal.migrate import upgrade  # noqa: E402
from journal.models import Ticket  # noqa: E402

PASSWORD = "bench-password"
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CATEGORIES = ("water", "heating", "electricity", "sewer", "elevator", "roof")


async def seed(journal: Journal, n_tickets: int) -> None:
    await journal.people.create_user("disp", "Диспетчер", "dispatcher", PASSWORD, extension="101")
    await journal.people.create_user("probe", "Второй пульт", "dispatcher", PASSWORD, extension="102")
    buildings = [await journal.people.add_building("Ленина", str(n), street_type="улица") for n in range(1, 21)]
    ivr = Actor.system("ivr")
    now = utcnow()
    for i in range(n_tickets):
        reg = await journal.tickets.register(NewTicket(
            channel="phone_ivr", category=CATEGORIES[i % len(CATEGORIES)], actor=ivr, auto_assign=False,
            priority="emergency" if i % 10 == 0 else None, caller_phone=f"7916{i:07d}",
            building_id=buildings[i % len(buildings)].id, apartment=str(i % 90 + 1),
            description="Заявка для замера"))
        if i % 7 == 0:  # some late, some due within the hour
            async with journal.db.write() as s:
                row = await s.get(Ticket, reg.ticket.id)
                assert row is not None
                row.next_due_at = now + timedelta(minutes=(i % 120) - 60)


def waiting_calls(notify: ConsoleNotifier, n: int) -> None:
    start = utcnow()
    for i in range(n):
        notify.call_state(f"wait-{i}", "waiting", caller_number=f"7903{i:07d}", caller_name=f"Абонент {i}",
                          waiting_since=(start - timedelta(seconds=5 * (n - i))).isoformat(),
                          emergency=i % 8 == 0)


def scripted_minute(notify: ConsoleNotifier, calls: int, emergencies: int, edits: int) -> list[Any]:
    """The messages of one minute, as callables: each call goes menu -> recording or waiting ->
    talking -> ended with two card pops; half register a voice-menu ticket; dispatchers edit."""
    steps: list[Any] = []
    for i in range(calls):
        cid, number = f"min-{i}-{secrets.token_hex(3)}", f"7916555{i:04d}"
        emergency = i < emergencies
        steps.append(lambda c=cid, n=number: notify.call_state(c, "menu", caller_number=n, caller_name="Иванова"))
        if i % 2:
            steps.append(lambda c=cid, n=number: notify.call_state(c, "recording", caller_number=n))
            steps.append(lambda c=cid, n=number, e=emergency: notify.ticket_registered(TicketRegistered(
                ticket_id=1, ticket_number="2026-000001", channel="phone_ivr", emergency=e, call_id=c,
                caller_number=n, caller_name="Иванова", category_label="Водоснабжение",
                address="улица Ленина, д. 5, кв. 12", due_at=utcnow().isoformat())))
        else:
            steps.append(lambda c=cid, n=number, e=emergency: notify.call_state(
                c, "waiting", caller_number=n, waiting_since=utcnow().isoformat(), emergency=e))
            card = {"call_id": cid, "caller_number": number, "caller_name": "Иванова", "emergency": emergency,
                    "reason": "key", "stage": "ringing", "kind": "resident", "ticket_id": None}
            steps.append(lambda card=card: notify.screen_pop("101", card))
            steps.append(lambda card=card: notify.screen_pop("101", {**card, "stage": "answered", "ticket_id": 1,
                                                                      "ticket_number": "2026-000001"}))
            steps.append(lambda c=cid, n=number: notify.call_state(c, "talking", caller_number=n, extension="101"))
        steps.append(lambda c=cid: notify.call_state(c, "ended", outcome="ticket_registered"))
    for _ in range(edits):
        steps.append(lambda: notify.ticket_updated(1, status="assigned", executor_id=3))
    return steps


class Probe:
    """A console on a plain websocket that counts what it receives."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.bytes = 0
        self.messages = 0
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async with self.http.get(f"{self.base}/login") as r:
            token = FORM_CSRF.search(await r.text())
        assert token
        async with self.http.post(f"{self.base}/login", data={"login": "probe", "password": PASSWORD,
                                                              "csrf_token": token.group(1)}, allow_redirects=False) as r:
            assert r.status == 302
        ws = await self.http.ws_connect(f"{self.base}/ws", origin=self.base)
        await ws.receive()  # hello: counted with the render, not the minute
        self.task = asyncio.create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            self.bytes += len(msg.data.encode() if isinstance(msg.data, str) else msg.data)
            self.messages += 1

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        await self.http.close()


APPLY_HOOK = """() => {
  window.__apply = [];
  const original = Live.onMessage.bind(Live);
  Live.onMessage = (m) => { const t = performance.now(); original(m); window.__apply.push(performance.now() - t); };
}"""
QUEUE_FETCHES = """() => performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/console/queue"))
  .map((e) => [e.duration, e.transferSize || e.encodedBodySize])"""


async def run(n_waiting: int, n_tickets: int) -> None:
    from playwright.async_api import async_playwright

    tmp = Path(tempfile.mkdtemp(prefix="console-bench-"))
    url = f"sqlite+aiosqlite:///{tmp / 'journal.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    sla = SlaPolicy.load(REPO / "config" / "sla.toml", "Europe/Moscow")
    journal = Journal.build(Database.from_url(url), sla, JournalConfig(), tmp / "files")
    t0 = time.perf_counter()
    await seed(journal, n_tickets)
    print(f"seeded {n_tickets} open tickets in {time.perf_counter() - t0:.1f} s; {n_waiting} callers waiting\n")
    settings = Settings()
    settings.server.secret_key = secrets.token_urlsafe(48)
    hub = ConsoleHub()
    notify = ConsoleNotifier(hub)
    runner = web.AppRunner(create_app(settings, journal, hub=hub), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    waiting_calls(notify, n_waiting)
    probe = Probe(base)
    rows: list[tuple[str, str]] = []
    try:
        await probe.start()
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
            # The page's CSP forbids eval, which Playwright's wait_for_function uses.
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="ru-RU", bypass_csp=True)
            await page.goto(f"{base}/login")
            await page.fill('input[name="login"]', "disp")
            await page.fill('input[name="password"]', PASSWORD)
            await page.click('button[type="submit"]')
            await page.wait_for_url(f"{base}/console")
            renders = []
            for _ in range(5):
                started = time.perf_counter()
                await page.goto(f"{base}/console")
                await page.wait_for_function(
                    f"document.querySelectorAll('#calls-list li').length === {n_waiting} "
                    "&& document.querySelector('#queue .q-new') !== null", timeout=30000)
                renders.append((time.perf_counter() - started) * 1000)
            rows.append(("render /console (50 waiting, queue of 500 open)",
                         f"median {statistics.median(renders):.0f} ms, max {max(renders):.0f} ms"))

            await page.evaluate(APPLY_HOOK)
            for i in range(200):
                notify.call_state(f"wait-{i % n_waiting}", "waiting", caller_number=f"7903{i % n_waiting:07d}",
                                  position=i % n_waiting + 1)
                await asyncio.sleep(0.01)
            await page.wait_for_function("window.__apply.length >= 200", timeout=30000)
            apply = await page.evaluate("window.__apply")
            ordered = sorted(apply)
            rows.append(("apply one live message (list of 50 rebuilt)",
                         f"median {statistics.median(apply):.2f} ms, p99 {ordered[int(len(ordered) * .99) - 1]:.2f} ms"))

            for label, calls, emergencies, edits in (("burst minute: 6 calls, 3 emergencies, 12 edits", 6, 3, 12),
                                                     ("busy minute: 60 calls, 10 emergencies, 60 edits", 60, 10, 60)):
                await page.evaluate("performance.clearResourceTimings()")
                probe.bytes = probe.messages = 0
                steps = scripted_minute(notify, calls, emergencies, edits)
                gap = 15.0 / len(steps)  # the minute played four times faster
                for step in steps:
                    step()
                    await asyncio.sleep(gap)
                await asyncio.sleep(1.0)
                fetches = await page.evaluate(QUEUE_FETCHES)
                http_bytes = sum(size for _, size in fetches)
                durations = [d for d, _ in fetches] or [0.0]
                rows.append((f"websocket, {label}",
                             f"{probe.messages} messages, {probe.bytes / 1024:.1f} KiB per console"))
                rows.append((f"queue refreshes, {label}",
                             f"{len(fetches)} × /api/console/queue, {http_bytes / 1024:.0f} KiB, "
                             f"median {statistics.median(durations):.0f} ms each"))
            await browser.close()
    finally:
        await probe.close()
        await runner.cleanup()
        await journal.close()
    print("| measure | result |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--waiting", type=int, default=50)
    parser.add_argument("--tickets", type=int, default=500)
    args = parser.parse_args()
    configure_logging("warning", "console")
    asyncio.run(run(args.waiting, args.tickets))


if __name__ == "__main__":
    main()
