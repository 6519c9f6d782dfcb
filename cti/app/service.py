"""``hotline run``: the long-running service."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import structlog
from aiohttp import web

from cti.app.demo import DEMO_PASSWORD
from cti.app.runtime import compose
from cti.settings import Settings
from journal.redacted import redact_url

log = structlog.get_logger(__name__)


def _standin_hint(sim: Any) -> str:
    sim_url = "" if sim.ari_port == 8088 else f" --sim-url {sim.ari_url}"
    return (f"Asterisk stand-in on ports {sim.ari_port} (ARI) and {sim.ami_port} (AMI): place a call with "
            f"`.venv/bin/hotline call --from 79161234567 --keys 1 --say problem.wav{sim_url}` "
            f"(or --text \"...\"), or from the console's pages Тестовый звонок and Тренировка.\n")


def make_runner(app: web.Application, settings: Settings) -> web.AppRunner:
    """The HTTP server of the console: no access log, and a connection that has not sent a
    whole request (headers included) within server.idle_timeout_seconds is closed, so slow
    or idle sockets cannot pile up."""
    return web.AppRunner(app, access_log=None, keepalive_timeout=settings.server.idle_timeout_seconds)


async def run_service(settings: Settings, stop: asyncio.Event | None = None) -> None:
    async with compose(settings) as runtime:
        runner = make_runner(runtime.app, settings)
        try:
            await runner.setup()
            site = web.TCPSite(runner, settings.server.host, settings.server.port)
            await site.start()
            url = f"http://{settings.server.host}:{settings.server.port}/"
            log.info("service.started", url=url, demo=settings.server.demo,
                     pbx="stand-in" if runtime.sim else redact_url(settings.ari.url))
            if settings.server.demo:
                # The demo accounts exist only with the stand-in (never with a real PBX).
                sys.stdout.write(
                    f"\nАДС hotline is running: {url}\n"
                    + (f"Demo logins (password {DEMO_PASSWORD!r}): dispatcher1 (ext 101), dispatcher2 (ext 102), "
                       f"plumber, electrician, qa, admin.\n" + _standin_hint(runtime.sim) if runtime.sim else "")
                )
                sys.stdout.flush()
            if stop is None:
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            log.info("service.stopping")
            await runner.cleanup()
