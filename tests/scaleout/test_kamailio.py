"""config/kamailio: the SIP proxy in front of the Asterisk nodes spreads residents' calls over
them, notices a node that stops answering (an alarm line in its log) and sends new calls to the
nodes that are left. The nodes are SIPp servers on loopback standing for two Asterisk nodes."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.scaleout.kamailio import Kamailio, Node, call, check_config, free_udp_port, render
from tests.tools import needs_programs, require_program

pytestmark = needs_programs("kamailio", "envsubst")


def test_shipped_config_passes_kamailio_check(tmp_path: Path) -> None:
    cfg = render(tmp_path, port=5060, nodes=[5071, 5072])
    result = check_config(cfg)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "config file ok" in result.stdout + result.stderr
    # Both nodes are listed; the optional third and fourth are left out, not left empty.
    listed = [line for line in (tmp_path / "dispatcher.list").read_text().splitlines() if line.startswith("1 ")]
    assert listed == ["1 sip:127.0.0.1:5071 0 0 weight=50;duid=node1", "1 sip:127.0.0.1:5072 0 0 weight=50;duid=node2"]


def test_a_missing_node_address_stops_the_rendering(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as err:
        render(tmp_path, port=5060, nodes=[5071])
    assert "needs the environment variable ASTERISK_NODE_2" in err.value.stderr


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[Kamailio, Node, Node]]:
    require_program("sipp")
    node1, node2 = Node("node1", free_udp_port(), tmp_path), Node("node2", free_udp_port(), tmp_path)
    port = free_udp_port()
    kamailio = Kamailio(render(tmp_path, port=port, nodes=[node1.port, node2.port]), port, tmp_path / "kamailio.log")
    try:
        node1.start()
        node2.start()
        kamailio.start()
        yield kamailio, node1, node2
    finally:
        kamailio.stop()
        node1.kill()
        node2.kill()


def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_calls_spread_over_both_nodes_and_a_dead_node_is_probed_out(cluster: tuple[Kamailio, Node, Node],
                                                                       tmp_path: Path) -> None:
    kamailio, node1, node2 = cluster
    first = call(tmp_path, kamailio.port, calls=10)
    assert (first.successful, first.failed) == (10, 0), first.output
    # Round-robin: each node took half the calls, none took a call twice.
    assert len(node1.calls()) == 5 and len(node2.calls()) == 5
    assert not node1.calls() & node2.calls()
    assert kamailio.lines("HOTLINE_NODE_DOWN") == []

    node2.kill()
    # No call in flight: the OPTIONS probing notices, takes node 2 out and raises the alarm.
    assert _wait_for(lambda: bool(kamailio.lines("HOTLINE_NODE_DOWN")), 20), kamailio.log.read_text()[-3000:]
    (alarm,) = kamailio.lines("HOTLINE_NODE_DOWN")
    assert f"node=sip:127.0.0.1:{node2.port}:" in alarm and "no answer to OPTIONS" in alarm
    before = node1.calls()
    second = call(tmp_path, kamailio.port, calls=6)
    assert (second.successful, second.failed) == (6, 0), second.output
    assert len(node1.calls() - before) == 6

    # Node 2 comes back: it answers OPTIONS, is announced, and takes calls again.
    node2.start()
    assert _wait_for(lambda: bool(kamailio.lines("HOTLINE_NODE_UP")), 20), kamailio.log.read_text()[-3000:]
    assert f"node=sip:127.0.0.1:{node2.port}:" in kamailio.lines("HOTLINE_NODE_UP")[0]
    third = call(tmp_path, kamailio.port, calls=4)
    assert (third.successful, third.failed) == (4, 0), third.output
    assert len(node2.calls()) == 2


@pytest.mark.slow
def test_a_call_sent_to_a_dead_node_fails_over_to_the_other(cluster: tuple[Kamailio, Node, Node],
                                                           tmp_path: Path) -> None:
    kamailio, node1, node2 = cluster
    node2.kill()
    # Calls placed at once, before the probing has noticed: those sent to the dead node get no
    # answer within fr_timer and are tried on the other node. None is lost.
    result = call(tmp_path, kamailio.port, calls=4, rate=4)
    assert (result.successful, result.failed) == (4, 0), result.output
    assert len(node1.calls()) == 4 and node2.calls() == set()
    alarms = kamailio.lines("HOTLINE_NODE_DOWN")
    assert alarms and all(f"node=sip:127.0.0.1:{node2.port} reply=408" in line for line in alarms), alarms
