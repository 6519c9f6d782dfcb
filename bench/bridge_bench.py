"""Benchmark of the ARI bridge: N concurrent resident calls through the example call flow.

The stand-in runs in its own process (python -m pbxsim pbx-sim); this process runs only the
bridge (ARI client, websocket reader, dispatcher, one task per call), so the CPU time and peak
RSS printed are the bridge's. Usage: python bench/bridge_bench.py [N ...]
"""

from __future__ import annotations

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
SIM_TOKEN = secrets.token_urlsafe(24)  # the stand-in's control API wants it
sys.path.insert(0, str(ROOT))

from cti.logs import configure_logging  # noqa: E402
from ivr.ari import AriService, example_handler  # noqa: E402
from ivr.config import AriSettings  # noqa: E402

TIME_SCALE = 0.25


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(n: int) -> None:
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
            await bench(n, f"http://127.0.0.1:{ari_port}")
        finally:
            sim.terminate()
            sim.wait(5)


async def bench(n: int, url: str) -> None:
    settings = AriSettings(url=url, password="bench", request_timeout_seconds=30)
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    async with AriService(settings, example_handler) as ari, aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0)) as http:
        await ari.state.wait_connected(5)
        body = {"from": "79160000000", "keys": "1", "first_key_at": 2.2}
        started = time.perf_counter()

        async def one(i: int) -> None:
            data = json.dumps({**body, "from": f"7916{i:07d}"})
            async with http.post(url + "/_sim/calls?wait=1", data=data,
                                 headers={"Content-Type": "application/json", "X-Sim-Token": SIM_TOKEN}) as resp:
                assert resp.status == 201, await resp.text()

        await asyncio.gather(*(one(i) for i in range(n)))
        await ari.dispatcher.drain(30)
        wall = time.perf_counter() - started
        async with http.get(url + "/_sim/report", headers={"X-Sim-Token": SIM_TOKEN}) as resp:
            report = await resp.json()
        events = ari.dispatcher.events_handled
        failures = ari.dispatcher.failures
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    delays = [(t["answered"] - t["stasis_start"]) * 1000 for t in report["timings"].values() if "answered" in t]
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    sys.stdout.write(
        f"N={n:4d}  calls answered={len(delays):4d}  failures={failures}  wall={wall:6.2f}s  "
        f"ARI events={events:6d} ({events / wall:7.1f}/s)  StasisStart->answer p50={pct(delays, 0.5):6.2f} ms "
        f"p99={pct(delays, 0.99):6.2f} ms  bridge CPU={cpu:5.2f}s  peak RSS={usage1.ru_maxrss / 1024:6.1f} MB\n")


def main() -> None:
    configure_logging(level="warning", fmt="json")
    sizes = [int(a) for a in sys.argv[1:]] or [50, 200, 500]
    sys.stdout.write(f"bridge benchmark: example flow, stand-in time_scale={TIME_SCALE}\n")
    for n in sizes:
        asyncio.run(run(n))


if __name__ == "__main__":
    main()
