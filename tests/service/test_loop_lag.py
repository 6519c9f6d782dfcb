"""The running service watches its own event loop: a stall shows on the administrator's system
page (and its JSON) and in the log as ``loop.lag``; the watch stops with the service."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import structlog

from cti.app.demo import DEMO_PASSWORD
from cti.settings import Settings
from pbxsim import PbxSim
from tests.console.conftest import Session
from tests.service.running import fast_sim_config, running, service_settings


def _threshold(settings: Settings) -> None:
    settings.server.loop_lag_warn_ms = 80.0


async def test_a_stalled_loop_shows_on_the_system_page_and_in_the_log(tmp_path: Path) -> None:
    sim = PbxSim(fast_sim_config(tmp_path))
    await sim.start()
    async with running(service_settings(tmp_path, _threshold), standin=sim) as (runtime, served):
        admin = Session(served)  # type: ignore[arg-type]
        try:
            assert (await admin.login("admin", DEMO_PASSWORD)).status == 302
            status, body = await admin.api("GET", "/api/admin/system")
            assert status == 200 and isinstance(body, dict)
            assert body["loop"]["samples"] > 0 and body["loop"]["threshold_ms"] == 80.0
            before = body["loop"]["over_threshold"]

            with structlog.testing.capture_logs() as logs:
                asyncio.get_running_loop().call_soon(time.sleep, 0.3)  # what a synchronous query would do
                await asyncio.sleep(0.05)

            status, body = await admin.api("GET", "/api/admin/system")
            assert isinstance(body, dict)
            assert body["loop"]["max_ms"] >= 250
            assert body["loop"]["over_threshold"] == before + 1
            assert body["loop"]["since_start"]["max_ms"] >= 250  # what a benchmark reads after its run
            stalls = [e for e in logs if e["event"] == "loop.lag"]
            assert len(stalls) == 1 and stalls[0]["lag_ms"] >= 250 and stalls[0]["threshold_ms"] == 80.0

            async with admin.http.get(admin.url("/admin/system")) as page:
                html = await page.text()
            row = html.split('id="sys-loop">', 1)[1].split("</tr>", 1)[0]
            assert "задержек дольше 80.0 мс: 1" in row and "наибольшая" in row
        finally:
            await admin.close()
        monitor = runtime.loop_lag
        assert monitor.running
    assert not monitor.running
