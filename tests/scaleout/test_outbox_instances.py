"""Two whole service instances on one PostgreSQL journal with ``[console] bus = "postgres"``, each
with its own Asterisk stand-in: a call on instance 2's PBX pops on a console attached to
instance 1, and a console that reconnects to the other instance gets exactly what it missed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from cti.app.compose import build_journal
from cti.app.demo import seed
from cti.app.runtime import Runtime
from cti.console.outbox_bus import OutboxHub
from cti.settings import Settings, SettingsError, _validate
from pbxsim import CallScript, PbxSim
from tests.console.conftest import Session
from tests.service.running import Served, fast_sim_config, messages, running, service_settings
from tests.service.test_screen_pop_calls import STAFF_PASSWORD, console, until_played, water_ticket_call

Instance = tuple[Runtime, PbxSim, Served]


@pytest.fixture
def backend() -> str:
    return "postgres"


def _settings(tmp_path: Path, db_url: str, sim: PbxSim, node: str) -> Settings:
    def configure(settings: Settings) -> None:
        settings.database.url = db_url
        # Each instance with an Asterisk of its own: two nodes, named apart (under one name they
        # would be one node, run by one instance, the other its standby).
        settings.ari.node = node
        settings.ari.url, settings.ari.password = sim.ari_url, sim.config.ari_password
        ami = sim.ami_settings()
        settings.ami.host, settings.ami.port, settings.ami.password = ami.host, ami.port, ami.password
        settings.console.bus = "postgres"
        settings.console.poll_seconds = 0.5

    return service_settings(tmp_path, configure)


@pytest.fixture
async def instances(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance]]:
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    async with contextlib.AsyncExitStack() as stack:
        sims = [await stack.enter_async_context(PbxSim(fast_sim_config(tmp_path / n))) for n in ("1", "2")]
        settings = [_settings(tmp_path / n, db_url, sim, f"node{n}") for n, sim in zip(("1", "2"), sims, strict=True)]
        journal = build_journal(settings[0])
        await seed(journal, STAFF_PASSWORD)
        await journal.close()
        one = await stack.enter_async_context(running(settings[0]))
        two = await stack.enter_async_context(running(settings[1]))
        for runtime, _ in (one, two):
            assert isinstance(runtime.hub, OutboxHub)
            await runtime.hub.listener.wait_listening(10)
        yield (one[0], sims[0], one[1]), (two[0], sims[1], two[1])


async def emergency_call(sim: PbxSim, number: str) -> str:
    call = sim.place_call(CallScript(number))
    await until_played(sim, call.id, "sound:hotline/welcome")
    sim.press(call.id, "0")
    return call.id


async def test_a_call_on_instance_2_pops_on_a_console_of_instance_1(instances: tuple[Instance, Instance]) -> None:
    (_, _, served1), (_, sim2, _) = instances
    s, ws = await console(served1, "dispatcher1")
    try:
        call_id = await emergency_call(sim2, "79160000222")
        got = await messages(ws, 8.0, until=lambda m: m["type"] == "screen_pop")
        pop = got[-1]
        assert pop["type"] == "screen_pop" and pop["caller_number"] == "79160000222" and pop["emergency"]
        assert pop["id"] > 0
        sim2.hangup(call_id)
    finally:
        await s.close()


async def ws_with(served: Served, last_id: int, epoch: str) -> tuple[Session, aiohttp.ClientWebSocketResponse]:
    s = Session(served)  # type: ignore[arg-type]
    assert (await s.login("dispatcher1", STAFF_PASSWORD)).status == 302
    ws = await s.http.ws_connect(s.url(f"/ws?last_id={last_id}&epoch={epoch}"), origin=s.origin)
    return s, ws


async def test_a_console_reconnecting_to_the_other_instance_gets_exactly_what_it_missed(
        instances: tuple[Instance, Instance]) -> None:
    (runtime1, sim1, served1), (_, sim2, served2) = instances
    watcher_session, watcher = await console(served1, "dispatcher1")  # stays connected: the reference
    leaving_session, leaving = await console(served1, "dispatcher1")
    sessions = [watcher_session, leaving_session]
    try:
        first = await emergency_call(sim2, "79160000301")
        before = await messages(leaving, 8.0, until=lambda m: m["type"] == "screen_pop")
        assert before[-1]["type"] == "screen_pop"
        last_id = max(m["id"] for m in before)
        await leaving.close()

        # While it is away: the first call ends, another comes in on the other PBX and ends.
        sim2.hangup(first)
        second = await emergency_call(sim1, "79160000302")
        await asyncio.sleep(1.0)
        sim1.hangup(second)
        seen = await messages(watcher, 4.0)
        reference = [m["id"] for m in seen if m["id"] > last_id]
        assert any(m["type"] == "screen_pop" and m["caller_number"] == "79160000302" for m in seen)
        assert any(m["type"] == "call_state" and m["state"] == "ended" for m in seen if m["id"] > last_id)

        s, back = await ws_with(served2, last_id, runtime1.hub.epoch)
        sessions.append(s)
        got = await messages(back, 3.0)
        assert got[0]["type"] == "hello" and got[0]["epoch"] == runtime1.hub.epoch
        replay = [m["id"] for m in got[1:]]
        assert "resync" not in [m["type"] for m in got]
        assert replay == reference  # no gap, none twice, in order
    finally:
        for session in sessions:
            await session.close()


def test_the_postgres_bus_is_refused_on_sqlite() -> None:
    settings = Settings()
    settings.server.demo = True
    settings.console.bus = "postgres"
    with pytest.raises(SettingsError, match=r"console\.bus.*PostgreSQL"):
        _validate(settings)
    settings.console.bus = "redis"
    with pytest.raises(SettingsError, match="expected memory or postgres"):
        _validate(settings)


async def test_a_voice_menu_ticket_and_its_message_commit_together(instances: tuple[Instance, Instance],
                                                                   db_url: str, tmp_path: Path) -> None:
    """The ticket a resident's call makes on instance 2 and the work-queue message instance 1's
    console gets for it were written by one transaction (the same ``xmin`` on the ticket's
    first history row and on the message's outbox row)."""
    (_, _, served1), (runtime2, sim2, _) = instances
    s, ws = await console(served1, "dispatcher1")
    try:
        await water_ticket_call(sim2, "79160000444", tmp_path)
        got = await messages(ws, 10.0, until=lambda m: m["type"] == "ticket_registered")
        registered = got[-1]
        assert registered["type"] == "ticket_registered" and registered["caller_number"] == "79160000444"
        async with runtime2.journal.db.engine.connect() as conn:
            first_history = (await conn.execute(text(
                "SELECT xmin::text FROM ticket_history WHERE ticket_id = :t ORDER BY id LIMIT 1"),
                {"t": registered["ticket_id"]})).scalar()
            message = (await conn.execute(text("SELECT xmin::text FROM console_outbox WHERE id = :i"),
                                          {"i": registered["id"]})).scalar()
        assert first_history is not None and first_history == message
    finally:
        await s.close()
