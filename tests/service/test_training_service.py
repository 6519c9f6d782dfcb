"""Training and test calls through the whole service and the stand-in: a trainee's scenario
rings only the trainee's console, registers a training ticket the journal keeps out of
monitoring, and finishing it scores the ticket field by field. The header shows the PBX state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from cti.app.demo import DEMO_PASSWORD
from cti.app.runtime import Runtime
from cti.console.notifier import ConsoleNotifier
from cti.settings import Settings
from journal import TicketFilter
from journal.clock import utcnow
from pbxsim import PbxSim
from tests.service.running import Served, fast_sim_config, messages, running, service_settings
from tests.service.test_screen_pop_calls import console
from tests.tools import needs_voice

TRAINING_LIBRARY = Path(__file__).resolve().parents[2] / "config" / "training"


@pytest.fixture
async def training_service(tmp_path: Path) -> AsyncIterator[tuple[Runtime, PbxSim, Served]]:
    """The demo service with its stand-in running 20 times faster than real time."""
    sim = PbxSim(fast_sim_config(tmp_path))
    await sim.start()
    async with running(service_settings(tmp_path), standin=sim) as (runtime, served):
        yield runtime, sim, served


@pytest.mark.slow
@needs_voice  # the scenario's caller speaks Russian text
async def test_a_training_scenario_pops_on_the_trainee_only_and_is_scored(
    training_service: tuple[Runtime, PbxSim, Served],
) -> None:
    runtime, _, served = training_service
    s1, ws1 = await console(served, "dispatcher1", DEMO_PASSWORD)
    s2, ws2 = await console(served, "dispatcher2", DEMO_PASSWORD)
    try:
        status, run = await s1.api("POST", "/api/training/runs", {"scenario": "burst-pipe-night"})
        assert status == 201, run
        assert isinstance(run, dict) and run["status"] == "running" and run["channel_id"]
        got = await messages(ws1, 30.0, until=lambda m: m["type"] == "screen_pop" and m.get("ticket_id"))
        pops = [m for m in got if m["type"] == "screen_pop"]
        assert pops and all(p["training"] and p["training_run_id"] == run["id"] for p in pops)
        assert pops[0]["scenario_title"] == "Прорыв трубы ночью" and "Ленина" in pops[0]["caller_text"]
        ticket = await runtime.journal.tickets.get(pops[-1]["ticket_id"])
        assert ticket.channel == "training" and ticket.number.startswith("T") and ticket.executor_id is None
        assert ticket.call_id is not None
        assert (await runtime.journal.calls.get(ticket.call_id)).direction == "training"
        assert [m for m in await messages(ws2, 0.3) if m["type"] in {"screen_pop", "call_state"}] == []

        # Kept out of monitoring, the call list of the shift, and the real numbering.
        assert ticket.id not in [t.id for t in await runtime.journal.monitor.tickets(TicketFilter(), utcnow())]
        assert [t.id for t in await runtime.journal.monitor.tickets(TicketFilter(training=True, open_only=False), utcnow())] == [ticket.id]
        assert runtime.hub.hello()["calls"] == []

        # The trainee corrects the card as on a real call, then finishes.
        plumber = next(u for u in await runtime.journal.people.users("executor") if u.login == "plumber")
        lenina = await runtime.journal.people.find_building("Ленина", "5")
        assert lenina is not None
        status, _ = await s1.api("PATCH", f"/api/tickets/{ticket.id}", {
            "category": "water", "priority": "emergency", "building_id": lenina.id, "apartment": "12"})
        assert status == 200
        status, _ = await s1.api("POST", f"/api/tickets/{ticket.id}/assign", {"executor_id": plumber.id})
        assert status == 200
        status, _other = await s2.api("POST", f"/api/training/runs/{run['id']}/finish", {"deadline_told": "30m"})
        assert status == 404, "another dispatcher cannot finish my run"
        status, done = await s1.api("POST", f"/api/training/runs/{run['id']}/finish", {"deadline_told": "30m"})
        assert status == 200, done
        assert isinstance(done, dict) and (done["score"], done["max_score"]) == (6, 6)
        assert all(f["ok"] for f in done["fields"])
        stored = await runtime.journal.training.get(run["id"])
        assert stored.status == "finished" and stored.ticket_id == ticket.id
        assert not (await runtime.journal.tickets.get(ticket.id)).is_open
        status, _again = await s1.api("POST", f"/api/training/runs/{run['id']}/finish", {})
        assert status == 409
        async with s1.http.get(s1.url("/training")) as page:
            assert "Прорыв трубы ночью" in await page.text()
    finally:
        await s1.close()
        await s2.close()


@pytest.mark.slow
@needs_voice  # the caller's text is spoken
async def test_a_test_call_from_the_page_goes_through_the_ivr(training_service: tuple[Runtime, PbxSim, Served]) -> None:
    runtime, _, served = training_service
    s1, _ = await console(served, "dispatcher1", DEMO_PASSWORD)
    try:
        form = aiohttp.FormData()
        for k, v in {"number": "79169990011", "keys": "1", "first_key_at": "12",
                     "text": "У меня течёт кран на кухне"}.items():
            form.add_field(k, v)
        async with s1.http.post(s1.url("/api/test-calls"), data=form, headers={"X-CSRF-Token": s1.csrf}) as r:
            body = await r.json()
            assert r.status == 201, body
        for _ in range(1200):  # up to 60 s: the greeting, the menu and the understanding, on a busy machine
            found = await runtime.journal.monitor.caller_history(phone="79169990011", building_id=None)
            if found:
                break
            await asyncio.sleep(0.05)
        assert found and found[0].channel == "phone_ivr" and found[0].category == "water"
        recs = await runtime.journal.tickets.recordings(found[0].id)
        assert recs and (recs[0].duration_seconds or 0) > 1
    finally:
        await s1.close()


async def test_the_header_shows_the_pbx_state_in_both_states(training_service: tuple[Runtime, PbxSim, Served]) -> None:
    runtime, _, served = training_service
    s1, _ = await console(served, "dispatcher1", DEMO_PASSWORD)
    try:
        async with s1.http.get(s1.url("/tickets")) as page:
            html = await page.text()
        assert 'class="pbx-state pbx-up"' in html and "АТС: на связи (имитатор)" in html
        assert '<div id="pbx-banner" class="banner" hidden>' in html
        assert runtime.nodes is not None
        [node] = runtime.nodes.owned  # its link going down, as the runtime says it
        ConsoleNotifier(runtime.hub).pbx_state(False, node=node)
        async with s1.http.get(s1.url("/tickets")) as page:
            html = await page.text()
        assert 'class="pbx-state pbx-down"' in html and "АТС: нет связи" in html
        assert '<div id="pbx-banner" class="banner">' in html
    finally:
        await s1.close()


async def test_the_training_library_is_read_from_the_configured_directory(tmp_path: Path) -> None:
    """`[training] scenarios_dir` moves the library: the console offers what is there, not the
    shipped one."""
    library = tmp_path / "library"
    library.mkdir()
    (library / "gas-smell.toml").write_bytes((TRAINING_LIBRARY / "gas-smell.toml").read_bytes())

    def configure(s: Settings) -> None:
        s.training.scenarios_dir = str(library)
        s.training.test_calls_dir = str(tmp_path / "test-calls")

    sim = PbxSim(fast_sim_config(tmp_path))
    await sim.start()
    try:
        async with running(service_settings(tmp_path, configure), standin=sim) as (_, served):
            s1, ws1 = await console(served, "dispatcher1", DEMO_PASSWORD)
            try:
                status, body = await s1.api("GET", "/api/training/scenarios")
                assert status == 200, body
                assert isinstance(body, dict)
                assert [s["id"] for s in body["scenarios"]] == ["gas-smell"]
            finally:
                await ws1.close()
                await s1.close()
    finally:
        await sim.stop()
