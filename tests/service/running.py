"""The whole service (build_runtime) served on a free loopback port against a stand-in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from cti.app.runtime import Runtime, compose
from cti.app.service import make_runner
from cti.settings import Settings
from ivr.prompts import PROMPTS_DIR
from journal.migrate import upgrade
from pbxsim import SimConfig
from pbxsim.media import sounds_from_dir
from tests.conftest import TEST_SECRET_KEY, run_in_thread


class Served:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def make_url(self, path: str) -> URL:
        return URL(f"http://{self.host}:{self.port}{path}")


def fast_sim_config(tmp_path: Path) -> SimConfig:
    """The stand-in 20 times faster than real time, playing our prompts at their real lengths."""
    config = SimConfig(recordings_dir=tmp_path / "pbx", time_scale=0.05)
    config.sounds.update(sounds_from_dir(PROMPTS_DIR, "hotline"))
    return config


def service_settings(tmp_path: Path, configure: Callable[[Settings], None] = lambda s: None) -> Settings:
    settings = Settings()
    settings.database.url = f"sqlite+aiosqlite:///{tmp_path}/journal.sqlite3"
    settings.recordings.dir = str(tmp_path / "files")
    settings.asr.backend = "none"
    # The demo against a stand-in (its staff, the published password); a test of production
    # turns it off in ``configure``.
    settings.server.demo = True
    settings.server.secret_key = TEST_SECRET_KEY
    configure(settings)
    run_in_thread(lambda: upgrade(settings.database_url()))
    return settings


@asynccontextmanager
async def running(settings: Settings, **build: Any) -> AsyncIterator[tuple[Runtime, Served]]:
    async with compose(settings, **build) as runtime:
        await runtime.ari.state.wait_connected(5)
        runner = make_runner(runtime.app, settings)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            yield runtime, Served("127.0.0.1", port)
        finally:
            await runner.cleanup()


async def messages(ws: aiohttp.ClientWebSocketResponse, seconds: float,
                   until: Callable[[dict[str, Any]], Any] | None = None) -> list[dict[str, Any]]:
    """What a console receives within ``seconds`` (or up to the first message ``until`` accepts)."""
    got: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while (left := end - loop.time()) > 0:
        try:
            msg = await ws.receive(timeout=left)
        except TimeoutError:
            break
        if msg.type != aiohttp.WSMsgType.TEXT:
            break
        got.append(json.loads(msg.data))
        if until is not None and until(got[-1]):
            break
    return got
