"""Node takeover on two real Asterisk processes (one build, two configurations) and two
`hotline run` processes on the test PostgreSQL: a resident calls node2, whose owner is SIGKILLed
during the greeting; the other instance takes node2 over, adopts the live channel, and the
resident goes on through the menu to one ticket (no missed call, nothing twice)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from journal import Journal
from journal.models import Call, MissedCall, Ticket
from tests.conftest import REPO, TEST_SECRET_KEY
from tests.real_asterisk.asterisk import RealAsterisk, Secrets, running
from tests.real_asterisk.conftest import no_channels_left, speech_wav
from tests.real_asterisk.phones import Baresip
from tests.real_asterisk.test_resident import GREETING_SECONDS
from tests.tools import free_port, until

pytestmark = pytest.mark.parametrize("backend", ["postgres"])


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[RealAsterisk, RealAsterisk]]:
    shared = Secrets()  # one ARI/AMI login for both nodes ([ari]/[ami] of the service)
    node1 = RealAsterisk(tmp_path / "node1", secrets_=shared, trunk=False)
    node2 = RealAsterisk(tmp_path / "node2", secrets_=shared, trunk=False)
    with running(node1, node2):
        yield node1, node2


def _service(name: str, prefer: str, db_url: str, nodes: tuple[RealAsterisk, RealAsterisk],
             root: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")} | {
        "HOTLINE_DATABASE_URL": db_url, "HOTLINE_RECORDINGS_DIR": str(root / "files"), "HOTLINE_ASR_BACKEND": "none",
        "HOTLINE_ARI_PASSWORD": nodes[0].secrets.ari, "HOTLINE_AMI_PASSWORD": nodes[0].secrets.ami,
        "HOTLINE_ARI_RECONNECT_MAX_SECONDS": "1", "HOTLINE_SERVER_SECRET_KEY": TEST_SECRET_KEY,
        "HOTLINE_SERVER_PORT": str(free_port()), "HOTLINE_LOGGING_FORMAT": "json",
        "HOTLINE_VOICE_PROMPTS_DIR": str(root / "prompts"), "HOTLINE_FEEDBACK_ENABLED": "false",
        "HOTLINE_CLUSTER_CLAIM_INTERVAL_SECONDS": "0.5", "HOTLINE_CLUSTER_PREFERRED_NODES": prefer,
        "HOTLINE_CLUSTER_STARTUP_GRACE_SECONDS": "8"}
    for i, pbx in enumerate(nodes, 1):
        env |= {f"HOTLINE_NODES_{i}_NAME": f"node{i}", f"HOTLINE_NODES_{i}_ARI_URL": pbx.ari_url,
                f"HOTLINE_NODES_{i}_AMI_HOST": "127.0.0.1", f"HOTLINE_NODES_{i}_AMI_PORT": str(pbx.ports.ami)}
    root.mkdir(parents=True, exist_ok=True)
    with (root / f"{name}.log").open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "cti.app.cli", "run"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO)


def _taken(root: Path, name: str) -> list[str]:
    path = root / f"{name}.log"
    if not path.exists():
        return []
    return [e["node"] for line in path.read_text(errors="replace").splitlines() if line.startswith("{")
            and (e := json.loads(line)).get("event") == "node.taken"]


async def test_a_call_on_a_node_whose_owner_is_killed_is_carried_on_by_the_other_instance(
        nodes: tuple[RealAsterisk, RealAsterisk], db_url: str, journal: Journal, tmp_path: Path) -> None:
    node1, node2 = nodes
    root = tmp_path / "services"
    speech = speech_wav(tmp_path / "problem.wav", "В подвале прорвало трубу отопления, всё в пару.",
                        trailing_silence=12)
    procs = {"a": _service("a", "node1", db_url, nodes, root), "b": _service("b", "node2", db_url, nodes, root)}
    resident = Baresip(tmp_path, node2, "300")
    try:
        await until(lambda: _taken(root, "a") == ["node1"] and _taken(root, "b") == ["node2"], "one node each", 60)
        await until(lambda: "ari.connected" in (root / "b.log").read_text(), "b connected to node2", 30)
        resident.start()
        await asyncio.to_thread(resident.dial, "112")
        await until(lambda: "hotline/welcome" in node2.messages(), "greeting on node2", 15)
        os.killpg(procs["b"].pid, signal.SIGKILL)  # node2's owner crashes mid-call
        procs["b"].wait(10)
        # Asterisk keeps the resident in Stasis; a takes node2 and adopts the channel.
        await until(lambda: "node2" in _taken(root, "a"), "a took node2 over", 30)
        await until(lambda: "call.adopted_after_reconnect" in (root / "a.log").read_text(), "adopted", 30)
        await asyncio.sleep(GREETING_SECONDS)
        await asyncio.to_thread(resident.dtmf, "1")
        await until(lambda: "'beep" in node2.messages(), "the taken-over call reaches the recording", 30)
        await asyncio.to_thread(resident.say, speech)
        await until(lambda: "hotline/goodbye" in node2.messages(), "goodbye", 60)
        await no_channels_left(node2, within=15)
        async with journal.db.read() as s:
            calls = (await s.execute(select(Call))).scalars().all()
            tickets = (await s.execute(select(Ticket))).scalars().all()
            missed = (await s.execute(select(MissedCall))).scalars().all()
        assert [(c.node, c.outcome) for c in calls] == [("node2", "ticket")]
        assert [t.call_id for t in tickets] == [calls[0].id] and missed == []
        assert not node1.channels()
    finally:
        resident.stop()
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(15)
