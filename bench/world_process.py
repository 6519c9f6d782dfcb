"""The world of ``bench/load_day.py`` (the Asterisk stand-in, the dispatchers' consoles) in a
process of its own, as in production: the service's process then runs the service alone, and
its event loop's lag and its latencies are its own (no shared GIL with the world).

The parent sends a method name and arguments over a pipe; the child runs the method on its own
event loop and sends back the result. The stand-in and the consoles each get a child. Times
are ``time.perf_counter()``: CLOCK_MONOTONIC on Linux, the same clock in every process, so a
ring taken in the stand-in's process and a message seen in the consoles' process compare.
"""

from __future__ import annotations

import asyncio
import inspect
import multiprocessing
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pbxsim import CallScript, PbxSim, SimConfig  # noqa: E402
from pbxsim.calls import CallHandle  # noqa: E402


class WorldHost:
    """The child's side: what a ``World`` thread holds in the in-process mode."""

    def __init__(self) -> None:
        from bench.load_day import RingClock

        self.sim: PbxSim | None = None
        self.rings = RingClock()
        self.consoles: Any = None
        self.handles: dict[str, CallHandle] = {}

    async def start_sim(self, config: SimConfig) -> dict[str, Any]:
        self.rings.install()
        sim = self.sim = PbxSim(config)
        await sim.start()
        ami = sim.ami_settings()
        return {"ari_url": sim.ari_url, "ari_password": config.ari_password,
                "ami_host": ami.host, "ami_port": ami.port, "ami_password": ami.password}

    async def place(self, scripts: list[CallScript], pairs: list[tuple[str, str]], spread: float) -> list[str]:
        assert self.sim is not None
        ids = []
        for script in scripts:
            handle = self.sim.place_call(script)
            self.handles[handle.id] = handle
            ids.append(handle.id)
            await asyncio.sleep(spread)
        for executor, dispatcher in pairs:
            self.rings.ring(dispatcher, executor)
            self.sim.internal_call(executor, dispatcher)
        return ids

    async def wait_done(self, ids: list[str], timeout: float) -> list[str]:
        """The calls among ``ids`` still up after ``timeout`` seconds."""
        done = [asyncio.ensure_future(self.handles[i].done.wait()) for i in ids]
        await asyncio.wait(done, timeout=timeout)
        for f in done:
            f.cancel()
        return [i for i in ids if not self.handles[i].done.is_set()]

    async def reached(self) -> tuple[set[str], set[str]]:
        assert self.sim is not None
        live = set(self.sim.live_channels())
        return set(self.sim.core.ended) | live, live

    async def sim_fault(self, name: str, *args: Any) -> None:
        result = getattr(self.sim, name)(*args)
        if inspect.isawaitable(result):
            await result

    async def ring_times(self) -> dict[tuple[str, str], list[float]]:
        return {k: list(v) for k, v in self.rings.rings.items()}

    async def connect_consoles(self, base: str, logins: dict[str, str]) -> None:
        from bench.load_day import Consoles

        self.consoles = Consoles(base, logins)
        await self.consoles.connect()

    async def received(self) -> dict[str, list[tuple[float, dict[str, Any]]]]:
        return {k: list(v) for k, v in self.consoles.received.items()} if self.consoles else {}

    async def cpu_seconds(self) -> float:
        return time.process_time()

    async def stop(self) -> None:
        if self.consoles is not None:
            await self.consoles.close()
        if self.sim is not None:
            await self.sim.stop()
        self.rings.uninstall()


def serve(conn: Connection) -> None:
    """The child process's main: answer calls until ``stop``."""
    from cti.logs import configure_logging

    configure_logging("warning", "console")
    asyncio.run(_serve(conn))


async def _serve(conn: Connection) -> None:
    host = WorldHost()
    while True:
        method, args = await asyncio.to_thread(conn.recv)
        try:
            result = await getattr(host, method)(*args)
        except Exception as exc:
            conn.send((False, f"{type(exc).__name__}: {exc}"))
        else:
            conn.send((True, result))
        if method == "stop":
            return


class RemoteWorld:
    """The parent's side: ``await world.call("place", scripts, pairs, spread)``."""

    def __init__(self, name: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.name = name
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=serve, args=(child,), name=f"load-day-{name}", daemon=True)
        self.proc.start()
        child.close()
        self._lock = asyncio.Lock()

    async def call(self, method: str, *args: Any) -> Any:
        async with self._lock:
            self.conn.send((method, args))
            ok, value = await asyncio.to_thread(self.conn.recv)
        if not ok:
            raise RuntimeError(f"the {self.name} process: {value}")
        return value

    async def close(self) -> None:
        if self.proc.is_alive():
            try:
                await asyncio.wait_for(self.call("stop"), 30)
            except (TimeoutError, RuntimeError, EOFError, OSError):
                pass
        await asyncio.to_thread(self.proc.join, 5)
        if self.proc.is_alive():
            self.proc.terminate()
            await asyncio.to_thread(self.proc.join, 5)
        self.conn.close()
