"""Takeover of an Asterisk node: two `hotline run` processes share a PostgreSQL journal and two
Asterisk stand-ins (node1, node2); a burst of residents calls both nodes; the owner of node2 is
SIGKILLed in the middle of it. Prints how long node2 went without an owner (the kill to the
other instance's ``node.taken``) and the books: every call one ticket or one missed call.
The consoles span the instances (``console.bus = "postgres"``): a dispatcher's console on each
instance; the one on the killed instance reconnects to the survivor with its ``last_id``, and
what it got before and after must be exactly what the console that stayed got.

    HOTLINE_TEST_POSTGRES_URL=postgresql+asyncpg://... .venv/bin/python -m bench.takeover_bench
    (or: scripts/test tests/scaleout/test_nodes.py -s, which prints the same lines)

Each run makes a fresh database of its own on that server (the URL's user may create
databases), migrates it and drops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from bench.load_day import speech_clip
from ivr.prompts import PROMPTS_DIR
from journal.db import Database
from journal.migrate import upgrade
from journal.models import Call, MissedCall, Ticket
from pbxsim import PbxSim, SimConfig
from pbxsim.calls import CallHandle, CallScript, KeyPress
from pbxsim.media import Speech, sounds_from_dir
from tests.tools import free_port

REPO = Path(__file__).resolve().parent.parent
NODES = ("node1", "node2")
# Simulated seconds: the greeting (11 s) is over, the menu plays.
GREETING_DONE = 12.0
# A session key the service accepts (random enough); the bench's own, never a real one.
BENCH_SECRET_KEY = "bench-takeover-key-9fQ2xL7mVr4TzW8kNp3Hs6Jd"


@dataclass
class Books:
    """Every call placed, by node: what the journal made of it."""

    placed: int = 0
    tickets: int = 0
    missed: int = 0
    not_reached: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    hanging: list[str] = field(default_factory=list)
    by_node: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not (self.not_reached or self.duplicates or self.lost or self.hanging)


class Cluster:
    """Two stand-ins in this process, two service processes, one PostgreSQL journal."""

    def __init__(self, db_url: str, root: Path, *, time_scale: float = 0.1, claim_interval: float = 0.5) -> None:
        self.db_url = db_url
        self.root = root
        self.time_scale = time_scale
        self.claim_interval = claim_interval
        self.sims: dict[str, PbxSim] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        self.handles: dict[tuple[str, str], CallHandle] = {}  # (node, channel id)

    async def start_sims(self) -> None:
        for node in NODES:
            config = SimConfig(recordings_dir=self.root / node, time_scale=self.time_scale, keep_logs=False,
                               ari_password="node-secret", ami_password="node-secret")
            config.sounds.update(sounds_from_dir(PROMPTS_DIR, "hotline"))
            sim = PbxSim(config)
            await sim.start()
            self.sims[node] = sim

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")} | {
            "HOTLINE_DATABASE_URL": self.db_url, "HOTLINE_RECORDINGS_DIR": str(self.root / "files"),
            "HOTLINE_ASR_BACKEND": "none", "HOTLINE_SERVER_SECRET_KEY": BENCH_SECRET_KEY,
            "HOTLINE_VOICE_PROMPTS_DIR": str(self.root / "prompts"), "HOTLINE_LOGGING_FORMAT": "json",
            "HOTLINE_FEEDBACK_ENABLED": "false",
            # Every node's password and reconnect pace, from [ari]/[ami].
            "HOTLINE_ARI_PASSWORD": "node-secret", "HOTLINE_AMI_PASSWORD": "node-secret",
            "HOTLINE_ARI_RECONNECT_MAX_SECONDS": "0.5",
            "HOTLINE_CLUSTER_CLAIM_INTERVAL_SECONDS": str(self.claim_interval),
            # The consoles span the instances: a console on either sees every node's calls.
            "HOTLINE_CONSOLE_BUS": "postgres", "HOTLINE_CONSOLE_POLL_SECONDS": "0.5"}
        for i, node in enumerate(NODES, 1):
            sim = self.sims[node]
            ami = sim.ami_settings()
            env |= {f"HOTLINE_NODES_{i}_NAME": node, f"HOTLINE_NODES_{i}_ARI_URL": sim.ari_url,
                    f"HOTLINE_NODES_{i}_AMI_HOST": ami.host, f"HOTLINE_NODES_{i}_AMI_PORT": str(ami.port)}
        return env

    def start_service(self, name: str, *, prefer: str = "", grace: float = 10.0) -> None:
        port = self.ports[name] = free_port()
        env = self.env() | {"HOTLINE_CLUSTER_PREFERRED_NODES": prefer,
                            "HOTLINE_CLUSTER_STARTUP_GRACE_SECONDS": str(grace)}
        with (self.root / f"{name}.log").open("wb") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "cti.app.cli", "run", "--port", str(port)], cwd=REPO, env=env,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    async def wait_up(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise AssertionError(self.log_tail(name))
            if await asyncio.to_thread(_health, self.ports[name]):
                return
            await asyncio.sleep(0.2)
        raise AssertionError(self.log_tail(name))

    def log_tail(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")[-4000:]

    def events(self, name: str, event: str) -> list[dict[str, Any]]:
        found = []
        for line in (self.root / f"{name}.log").read_text(errors="replace").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("event") == event:
                    found.append(entry)
        return found

    def owners(self) -> dict[str, list[str]]:
        """node -> the running services that logged taking it and not giving it up since."""
        held: dict[str, list[str]] = defaultdict(list)
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                continue
            taken = Counter(e["node"] for e in self.events(name, "node.taken"))
            released = Counter(e["node"] for e in self.events(name, "node.released"))
            for node in NODES:
                if taken[node] > released[node]:
                    held[node].append(name)
        return dict(held)

    async def wait_owned(self, node: str, by: str, timeout: float) -> datetime:
        """When ``by`` logged taking ``node`` (its log's time stamp)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            for e in self.events(by, "node.taken"):
                if e["node"] == node:
                    return datetime.fromisoformat(e["timestamp"])
            await asyncio.sleep(0.05)
        raise AssertionError(f"{by} did not take {node} within {timeout} s\n{self.log_tail(by)}")

    def place(self, node: str, script: CallScript) -> None:
        handle = self.sims[node].place_call(script)
        self.handles[(node, handle.id)] = handle

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)

    async def settle(self, timeout: float) -> None:
        """Until every call placed has ended on its stand-in."""
        pending = [asyncio.ensure_future(h.done.wait()) for h in self.handles.values()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
        for task in pending:
            task.cancel()

    async def books(self) -> Books:
        db = Database.from_url(self.db_url)
        try:
            async with db.read() as s:
                calls = (await s.execute(select(Call))).scalars().all()
                tickets = (await s.execute(select(Ticket))).scalars().all()
                missed = (await s.execute(select(MissedCall))).scalars().all()
        finally:
            await db.close()
        rows: dict[tuple[str, str], list[Call]] = defaultdict(list)
        for c in calls:
            rows[(c.node, c.channel_id or "")].append(c)
        tickets_by_call = Counter(t.call_id for t in tickets if t.call_id is not None)
        missed_by_call = Counter(m.call_id for m in missed if m.call_id is not None)
        b = Books(placed=len(self.handles))
        for (node, channel_id), handle in self.handles.items():
            found = rows.get((node, channel_id), [])
            key = f"{node}/{channel_id}"
            if not found:
                b.not_reached.append(key)
                continue
            if len(found) > 1:
                b.duplicates.append(f"{key}: {len(found)} call rows")
                continue
            row = found[0]
            t, m = tickets_by_call[row.id], missed_by_call[row.id]
            if not handle.done.is_set() or row.outcome == "in_progress":
                b.hanging.append(f"{key}: {row.outcome}")
            elif t > 1 or m > 1 or (t and m):
                b.duplicates.append(f"{key}: {t} tickets, {m} missed")
            elif row.outcome == "ticket" and t == 1:
                b.tickets += 1
                b.by_node[node] += 1
            elif row.outcome == "missed" and m == 1:
                b.missed += 1
                b.by_node[node] += 1
            else:
                b.lost.append(f"{key}: outcome {row.outcome}, {t} tickets, {m} missed")
        return b

    async def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.to_thread(proc.wait, 30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        for sim in self.sims.values():
            await sim.stop()


CONSOLE_LOGIN, CONSOLE_PASSWORD = "console", "bench-Console-pass-2718"


async def seed_dispatcher(db_url: str) -> None:
    """The dispatcher whose consoles watch the burst (production mode: no demo staff)."""
    from journal import Journal, JournalConfig, SlaPolicy

    journal = Journal.build(Database.from_url(db_url), SlaPolicy.load(REPO / "config" / "sla.toml", "Europe/Moscow"),
                            JournalConfig(),
                            Path(tempfile.gettempdir()))
    try:
        await journal.people.create_user(CONSOLE_LOGIN, "Диспетчер пульта", "dispatcher", CONSOLE_PASSWORD,
                                         extension="101")
    finally:
        await journal.close()


class Console:
    """A dispatcher's console on one instance's websocket: every message it was sent, in order."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self.epoch = ""
        self.closed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def last_id(self) -> int:
        return max((m["id"] for m in self.got if m.get("id")), default=0)

    async def connect(self, port: int, *, resume: bool = False) -> None:
        base = f"http://127.0.0.1:{port}"
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with http.get(f"{base}/login") as r:
            token = (await r.text()).split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        async with http.post(f"{base}/login", data={"login": CONSOLE_LOGIN, "password": CONSOLE_PASSWORD,
                                                    "csrf_token": token}, allow_redirects=False) as r:
            assert r.status == 302, await r.text()
        query = f"?last_id={self.last_id}&epoch={self.epoch}" if resume else ""
        ws = await http.ws_connect(f"{base}/ws{query}", origin=base)
        hello = json.loads((await ws.receive()).data)
        assert hello["type"] == "hello", hello
        self.epoch = hello["epoch"]
        self.closed.clear()
        self._task = asyncio.create_task(self._read(http, ws))

    async def _read(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self.got.append(json.loads(msg.data))
        finally:
            await http.close()
            self.closed.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def ids(self) -> list[int]:
        return [m["id"] for m in self.got if m.get("id")]

    def call_ids(self) -> set[str]:
        return {str(m["call_id"]) for m in self.got if m.get("type") == "call_state"}


def _health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
            return r.status in (200, 503)
    except OSError:
        return False


def resident(i: int, rng: random.Random, speech: Speech) -> CallScript:
    """A resident who chooses a category, describes the problem and hangs up a while after (a
    ticket, unless the call is cut short), or one who gives up during the greeting (missed)."""
    number = f"7916{i:07d}"
    if rng.random() < 0.2:
        return CallScript(number, hangup_after=rng.uniform(2.0, 9.0))
    return CallScript(number, keys=[KeyPress(GREETING_DONE, rng.choice("123456"))], say=speech,
                      hangup_after=GREETING_DONE + rng.uniform(40.0, 70.0))


@dataclass
class TakeoverReport:
    takeover_s: float
    books: Books
    owners_before: dict[str, list[str]]
    owners_after: dict[str, list[str]]
    in_progress_at_kill: int  # calls on node2 when its owner was killed
    adopted: int  # of them, still up when the survivor connected: their flows started again there
    node2_calls_on_a: int = 0  # node2's calls whose states reached the console on instance a before the kill
    console_messages: int = 0  # what the console that stayed on a got
    replay_missing: list[int] = field(default_factory=list)  # ids the moved console never got
    replay_extra: list[int] = field(default_factory=list)  # ids it got that the other did not, or twice

    def lines(self) -> list[str]:
        b = self.books
        return [f"owners before the kill: {self.owners_before}; after: {self.owners_after}",
                f"node2 taken over {self.takeover_s:.2f} s after its owner was SIGKILLed "
                f"({self.in_progress_at_kill} calls in progress on node2 then, {self.adopted} of them carried on "
                f"by the survivor)",
                f"calls placed {b.placed}: tickets {b.tickets}, missed {b.missed} (by node {dict(b.by_node)}); "
                f"not reached {len(b.not_reached)}, duplicated {len(b.duplicates)}, lost {len(b.lost)}, "
                f"hanging {len(b.hanging)}",
                f"consoles: node2's calls seen on instance a's console before the kill {self.node2_calls_on_a}; "
                f"the console moved from b to a: {self.console_messages} messages, missing {len(self.replay_missing)}, "
                f"extra or twice {len(self.replay_extra)}"]


async def run_takeover(db_url: str, root: Path, *, calls_per_node: int = 10, claim_interval: float = 0.5,
                       grace: float = 10.0, seed: int = 19) -> TakeoverReport:
    rng = random.Random(seed)
    speech = speech_clip(3.0)
    cluster = Cluster(db_url, root, claim_interval=claim_interval)
    stays, moves = Console(), Console()
    try:
        await seed_dispatcher(db_url)
        await cluster.start_sims()
        # Started together, each takes the node it prefers; the other it only asks for.
        cluster.start_service("a", prefer="node1", grace=grace)
        cluster.start_service("b", prefer="node2", grace=grace)
        await cluster.wait_up("a")
        await cluster.wait_up("b")
        await cluster.wait_owned("node1", "a", 30)
        await cluster.wait_owned("node2", "b", 30)
        await asyncio.sleep(grace + 2 * claim_interval)  # past the grace: both ask for every node
        owners_before = cluster.owners()
        await stays.connect(cluster.ports["a"])
        await moves.connect(cluster.ports["b"])
        i = 0
        for _ in range(calls_per_node):
            for node in NODES:
                cluster.place(node, resident(i, rng, speech))
                i += 1
            await asyncio.sleep(0.15)
        await asyncio.sleep(1.5)  # mid-burst: greetings, menus, recordings on both nodes
        in_progress = sum(1 for (node, _), h in cluster.handles.items() if node == "node2" and not h.done.is_set())
        node2_calls = {cid for (node, cid) in cluster.handles if node == "node2"}
        node2_on_a = len(node2_calls & stays.call_ids())
        killed_at = datetime.now(UTC)
        cluster.kill("b")
        await asyncio.wait_for(moves.closed.wait(), 30)
        await moves.connect(cluster.ports["a"], resume=True)  # a reload of the page, on the other instance
        takeover = (await cluster.wait_owned("node2", "a", 60) - killed_at).total_seconds()
        await cluster.settle(120)
        await asyncio.sleep(3.0)  # the last journal writes after the hang-ups, and their messages
        adopted = len(cluster.events("a", "call.adopted_after_reconnect"))
        stayed, moved = stays.ids(), moves.ids()
        return TakeoverReport(takeover, await cluster.books(), owners_before, cluster.owners(), in_progress, adopted,
                              node2_calls_on_a=node2_on_a, console_messages=len(stayed),
                              replay_missing=sorted(set(stayed) - set(moved)),
                              replay_extra=sorted((set(moved) - set(stayed)) | {i for i in moved if moved.count(i) > 1}))
    finally:
        await stays.close()
        await moves.close()
        await cluster.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls-per-node", type=int, default=20)
    p.add_argument("--claim-interval", type=float, default=1.5)
    a = p.parse_args(argv)
    url = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
    if not url:
        sys.stderr.write("set HOTLINE_TEST_POSTGRES_URL to a migrated PostgreSQL database\n")
        return 2
    name = f"hotline_takeover_{os.getpid()}"
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    db_url = url.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(db_url)
        with tempfile.TemporaryDirectory() as tmp:
            report = asyncio.run(run_takeover(db_url, Path(tmp), calls_per_node=a.calls_per_node,
                                              claim_interval=a.claim_interval))
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    sys.stdout.write(f"claim interval {a.claim_interval} s\n" + "\n".join(report.lines()) + "\n")
    return 0 if report.books.ok and not (report.replay_missing or report.replay_extra) else 1


async def _admin(url: str, sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
