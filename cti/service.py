"""``hotline run``: the long-running service (web console; telephony parts plug in here)."""

from __future__ import annotations

import asyncio
import signal

import structlog
from aiohttp import web

from .compose import build_journal
from .settings import Settings
from .web import create_app

log = structlog.get_logger(__name__)


async def run_service(settings: Settings) -> None:
    journal = build_journal(settings)
    app = create_app(settings, journal)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.server.host, settings.server.port)
    await site.start()
    url = f"http://{settings.server.host}:{settings.server.port}/"
    log.info("service.started", url=url, demo=settings.server.demo)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("service.stopping")
        await runner.cleanup()
        await journal.close()
