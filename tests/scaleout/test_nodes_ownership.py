"""Node ownership in one process: two instances' NodeOwnership on the test PostgreSQL and an
Asterisk stand-in. Only the lock's holder runs the node; one whose lock session breaks while it
lives stops running it before the other starts (never both at once); a clean stop hands it over
at once. And the journal keeps two nodes' calls apart (their channel ids look alike)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from cti.node_settings import NodeSettings
from cti.telephony import AmiCallback
from cti.telephony.nodes import AnyNodeAri, NodeLink, NodeOwnership, NoNodeOwned, OwnedAmi
from ivr.ami import CallTracker
from ivr.ari.errors import AriConnectionError
from ivr.ari.session import CallSession
from ivr.config import AriSettings
from journal import Database, Journal
from journal.job_locks import node_key
from journal.models import Call
from journal.sla import SlaPolicy
from journal.tickets import JournalConfig
from pbxsim import PbxSim, SimConfig
from pbxsim.calls import CallScript
from tests.tools import free_port


async def _hang_up(call: CallSession) -> None:
    await call.hangup()


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[PbxSim]:
    pbx = PbxSim(SimConfig(recordings_dir=tmp_path / "pbx", keep_logs=False))
    await pbx.start()
    yield pbx
    await pbx.stop()


class Instance:
    def __init__(self, name: str, url: str, sla: SlaPolicy, files: Path, sim: PbxSim) -> None:
        self.journal = Journal.build(Database.from_url(url), sla, JournalConfig(), files)
        node = NodeSettings("node1", sim.ari_settings(node="node1"), sim.ami_settings())
        self.link = NodeLink(node, _hang_up, CallTracker(), self.journal)
        self.nodes = NodeOwnership(self.journal, [self.link], instance=name, interval=0.1)

    async def close(self) -> None:
        await self.nodes.stop()
        await self.journal.close()


@pytest.fixture
async def pair(journal: Journal, sla: SlaPolicy, tmp_path: Path, sim: PbxSim) -> AsyncIterator[tuple[Instance, Instance]]:
    url = journal.db.engine.url.render_as_string(hide_password=False)
    a, b = Instance("a", url, sla, tmp_path / "files", sim), Instance("b", url, sla, tmp_path / "files", sim)
    yield a, b
    for i in (a, b):
        await i.close()


async def _holder_pid(journal: Journal) -> int | None:
    async with journal.db.read() as s:
        return (await s.execute(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objid::bigint = (CAST(:key AS bigint) & 4294967295) "
            "AND classid::bigint = ((CAST(:key AS bigint) >> 32) & 4294967295)"),
            {"key": node_key("node1")})).scalar()


async def _watch(a: Instance, b: Instance, until: tuple[bool, bool], timeout: float = 10.0) -> list[tuple[bool, bool]]:
    """Who runs the node, sampled every 10 ms until ``until`` has held for half a second."""
    seen: list[tuple[bool, bool]] = []
    loop = asyncio.get_running_loop()
    end, since = loop.time() + timeout, None
    while loop.time() < end:
        seen.append(now := (a.link.running, b.link.running))
        since = (since or loop.time()) if now == until else None
        if since is not None and loop.time() - since > 0.5:
            return seen
        await asyncio.sleep(0.01)
    raise AssertionError(f"never {until}: last {seen[-5:]}")


@pytest.mark.parametrize("backend", ["postgres"])
async def test_one_runs_the_node_and_a_broken_lock_session_stops_it_before_the_other_starts(
        journal: Journal, pair: tuple[Instance, Instance], sim: PbxSim) -> None:
    a, b = pair
    await a.nodes.start()
    await b.nodes.start()
    assert (a.nodes.owned, b.nodes.owned) == (["node1"], [])
    await asyncio.wait_for(a.link.ari.state.wait_connected(), 5)
    # Calls reach the owner only (the stand-in has one events websocket for the app: a's).
    handle = sim.place_call(CallScript("79160000001"))
    await asyncio.wait_for(handle.done.wait(), 5)
    assert a.link.ari.dispatcher.events_handled > 0 and b.link.ari.dispatcher.events_handled == 0

    # a's lock session is cut while a lives (PostgreSQL restarted, say), and a is slow to
    # check (a busy machine): a stops running the node at its next check, and b, which gets
    # the lock at once, waits that long before it starts.
    real_hold = a.nodes.locks.hold

    async def slow_hold(name: str) -> bool:
        await asyncio.sleep(0.5)
        return await real_hold(name)

    a.nodes.locks.hold = slow_hold  # type: ignore[method-assign]
    await asyncio.sleep(0.7)
    pid = await _holder_pid(journal)
    assert pid is not None
    async with journal.db.write() as s:
        await s.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    seen = await _watch(a, b, until=(False, True))
    assert (True, True) not in seen
    assert (a.nodes.owned, b.nodes.owned) == ([], ["node1"])
    assert await _holder_pid(journal) not in (None, pid)
    await asyncio.wait_for(b.link.ari.state.wait_connected(), 5)
    handle = sim.place_call(CallScript("79160000002"))
    await asyncio.wait_for(handle.done.wait(), 5)  # b answers the node's calls now

    # b stops cleanly: a (asking again) takes the node back without waiting for any timeout.
    await b.nodes.stop()
    seen = await _watch(a, b, until=(True, False), timeout=3.0)
    assert (True, True) not in seen


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_two_nodes_calls_stay_apart_in_the_journal(journal: Journal) -> None:
    # Both nodes started in the same second: their first channels have the same id.
    one = await journal.calls.start(channel_id="1796051537.1", caller_number="79160000001", node="node1")
    two = await journal.calls.start(channel_id="1796051537.1", caller_number="79160000002", node="node2")
    assert one.id != two.id
    again = await journal.calls.start(channel_id="1796051537.1", caller_number="79160000002", node="node2")
    assert again.id == two.id  # a resumed call finds its row on its own node
    # node1's new owner closes node1's orphans only: node2's call is its owner's business.
    assert await journal.calls.close_orphans(set(), node="node1") == 1
    async with journal.db.read() as s:
        rows = {c.node: c.outcome for c in (await s.execute(select(Call))).scalars()}
    assert rows == {"node1": "missed", "node2": "in_progress"}


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_standby_places_a_call_back_through_the_ari_of_a_node_that_answers(
        journal: Journal, pair: tuple[Instance, Instance], sim: PbxSim, capsys: pytest.CaptureFixture[str]) -> None:
    """The console of an instance that runs no node: «Перезвонить» goes through the ARI REST
    of the first listed node that answers (a node that is down is passed over), and without
    that way it fails as before (the console says the PBX did not take the call)."""
    a, b = pair
    await a.nodes.start()
    await b.nodes.start()
    assert b.nodes.owned == []
    with pytest.raises(NoNodeOwned):
        await AmiCallback(OwnedAmi(b.nodes))("102", "79161234567")

    down = NodeSettings("node0", AriSettings(url=f"http://127.0.0.1:{free_port()}", username="x", password="x"))
    up = NodeSettings("node1", sim.ari_settings(node="node1"), sim.ami_settings())
    before = set(sim.live_channels())
    await AmiCallback(OwnedAmi(b.nodes), any_node=AnyNodeAri([down, up], timeout=2))("102", "79161234567")
    [dispatcher_leg] = [c for c in sim.core.channels.values() if c.id not in before and c.name.endswith(";1")]
    assert dispatcher_leg.name.startswith("Local/102@dispatchers")
    out = capsys.readouterr().out
    assert "node.originate_failed" in out and "node=node0" in out
    assert "console.callback_originated" in out and "node=node1" in out and "via=ari" in out

    with pytest.raises(AriConnectionError):
        await AmiCallback(OwnedAmi(b.nodes), any_node=AnyNodeAri([down], timeout=2))("102", "79161234567")
