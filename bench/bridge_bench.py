"""Benchmark of the ARI bridge: N concurrent resident calls through the example call flow.

The stand-in runs in its own process (python -m pbxsim pbx-sim), and so does the client that
asks it to place the calls (this script again, ``--place``); this process runs only the bridge
(ARI client, websocket reader, dispatcher, one task per call), so the CPU time, peak RSS and loop
lag printed are the bridge's.

    .venv/bin/python bench/bridge_bench.py [N ...]               # 50 200 500
    .venv/bin/python bench/bridge_bench.py 500 --callers-in-process --start-batch 0 --no-gc-freeze
                                                                  # as measured before issue #21
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
SIM_TOKEN = os.environ.get("PBXSIM_CONTROL_TOKEN") or secrets.token_urlsafe(24)  # the stand-in's control API wants it
sys.path.insert(0, str(ROOT))

from cti.logs import configure_logging  # noqa: E402
from ivr.ari import AriService, example_handler  # noqa: E402
from ivr.ari import dispatcher as ari_dispatcher  # noqa: E402
from ivr.config import AriSettings  # noqa: E402
from ivr.looplag import LoopLagMonitor, freeze_startup_heap  # noqa: E402

TIME_SCALE = 0.25


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(n: int, opts: argparse.Namespace) -> None:
    ari_port, ami_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as recordings:
        sim = subprocess.Popen(
            [sys.executable, "-m", "pbxsim", "pbx-sim", "--ari-port", str(ari_port), "--ami-port", str(ami_port),
             "--password", "bench", "--recordings-dir", recordings, "--time-scale", str(TIME_SCALE)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, "PBXSIM_CONTROL_TOKEN": SIM_TOKEN})
        assert sim.stdout is not None
        sim.stdout.readline()  # "pbx-sim: ARI ... AMI ..." once listening
        try:
            await bench(n, f"http://127.0.0.1:{ari_port}", opts)
        finally:
            sim.terminate()
            sim.wait(5)


async def place_calls(n: int, url: str) -> None:
    """Ask the stand-in for ``n`` calls at once and wait until every one has ended."""
    body = {"from": "79160000000", "keys": "1", "first_key_at": 2.2}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async def one(i: int) -> None:
            data = json.dumps({**body, "from": f"7916{i:07d}"})
            async with http.post(url + "/_sim/calls?wait=1", data=data,
                                 headers={"Content-Type": "application/json", "X-Sim-Token": SIM_TOKEN}) as resp:
                assert resp.status == 201, await resp.text()

        await asyncio.gather(*(one(i) for i in range(n)))


async def bench(n: int, url: str, opts: argparse.Namespace) -> None:
    settings = AriSettings(url=url, password="bench", request_timeout_seconds=30)
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    lag = LoopLagMonitor(threshold_ms=100)
    async with AriService(settings, example_handler) as ari, aiohttp.ClientSession() as http:
        await ari.state.wait_connected(5)
        if not opts.no_gc_freeze:
            freeze_startup_heap()
        lag.start()
        started = time.perf_counter()
        if opts.callers_in_process:
            await place_calls(n, url)
        else:
            placer = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--place", str(n), url, env={**os.environ, "PBXSIM_CONTROL_TOKEN": SIM_TOKEN})
            assert await placer.wait() == 0, "the callers' process failed"
        await ari.dispatcher.drain(30)
        wall = time.perf_counter() - started
        async with http.get(url + "/_sim/report", headers={"X-Sim-Token": SIM_TOKEN}) as resp:
            report = await resp.json()
        events = ari.dispatcher.events_handled
        failures = ari.dispatcher.failures
        await lag.stop()
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    delays = [(t["answered"] - t["stasis_start"]) * 1000 for t in report["timings"].values() if "answered" in t]
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    sys.stdout.write(
        f"N={n:4d}  calls answered={len(delays):4d}  failures={failures}  wall={wall:6.2f}s  "
        f"ARI events={events:6d} ({events / wall:7.1f}/s)  StasisStart->answer p50={pct(delays, 0.5):6.2f} ms "
        f"p99={pct(delays, 0.99):6.2f} ms  bridge CPU={cpu:5.2f}s  peak RSS={usage1.ru_maxrss / 1024:6.1f} MB\n"
        f"        {lag.run_figures().line()}\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sizes", nargs="*", type=int, default=[50, 200, 500])
    p.add_argument("--callers-in-process", action="store_true",
                   help="ask for the calls from the bridge's own event loop (as before issue #21)")
    p.add_argument("--start-batch", type=int, default=ari_dispatcher.START_BATCH,
                   help="flows started per turn of the loop (0: all at once, as before issue #21)")
    p.add_argument("--no-gc-freeze", action="store_true", help="leave the start-up heap to the collector")
    p.add_argument("--place", nargs=2, metavar=("N", "URL"), help=argparse.SUPPRESS)  # the callers' process
    opts = p.parse_args()
    if opts.place:
        asyncio.run(place_calls(int(opts.place[0]), opts.place[1]))
        return
    configure_logging(level="warning", fmt="json")
    ari_dispatcher.START_BATCH = opts.start_batch or 1_000_000
    sys.stdout.write(f"bridge benchmark: example flow, stand-in time_scale={TIME_SCALE}, callers "
                     f"{'in the bridge process' if opts.callers_in_process else 'in a process of their own'}, "
                     f"start batch {opts.start_batch or 'unbounded'}, gc freeze {not opts.no_gc_freeze}; "
                     f"load average {os.getloadavg()[0]:.2f}\n")
    for n in opts.sizes:
        asyncio.run(run(n, opts))


if __name__ == "__main__":
    main()
