"""Dispatchers on any node, on two real Asterisk processes (one build, two configurations, the
shipped files rendered with HOTLINE_PEER_NODE pointing at each other): a dispatcher's phone
registered on node2 rings for a call that node1 puts through to the dispatchers, one by one or
as the group; a phone registered on neither ends the call at once, with no loop between them."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.real_asterisk.asterisk import RealAsterisk, running
from tests.real_asterisk.phones import Baresip


class Node(RealAsterisk):
    """A real Asterisk with the trunk to its peer node set in the environment it renders from."""

    peer: dict[str, str]

    def env(self) -> dict[str, str]:
        return super().env() | self.peer


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    node1, node2 = Node(tmp_path / "node1", trunk=False), Node(tmp_path / "node2", trunk=False)
    secret = secrets.token_hex(12)
    node1.peer = {"HOTLINE_PEER_NODE": f"127.0.0.1:{node2.ports.sip}", "HOTLINE_NODE_TRUNK_SECRET": secret}
    node2.peer = {"HOTLINE_PEER_NODE": f"127.0.0.1:{node1.ports.sip}", "HOTLINE_NODE_TRUNK_SECRET": secret}
    with running(node1, node2):
        yield node1, node2


def _until(check: object, what: str, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(what)


def _channels(node: RealAsterisk, prefix: str) -> list[str]:
    return [c for c in node.channels() if c.startswith(prefix)]


@pytest.mark.parametrize("dialled", ["103", "100"])
def test_a_call_on_node1_rings_the_dispatcher_registered_on_node2(
        nodes: tuple[Node, Node], tmp_path: Path, dialled: str) -> None:
    node1, node2 = nodes
    phone = Baresip(tmp_path, node2, "103", auto_answer=True).start()
    try:
        assert "103/sip:" not in node1.cli("pjsip show aor 103")  # not registered on node1
        node1.cli(f"channel originate Local/{dialled}@dispatchers application Wait 6")
        # node1 sends the leg over the trunk; node2 takes it from the peer and rings its phone,
        # which answers: both legs up at once.
        _until(lambda: _channels(node1, "PJSIP/hotline-node-") and _channels(node2, "PJSIP/103-"),
               f"no call to 103 across the nodes:\n{node1.messages()[-3000:]}\n{node2.messages()[-3000:]}")
        assert _channels(node2, "PJSIP/hotline-node-")  # it came in on the trunk, authenticated
        # The phone answered the leg that came over the trunk, and node1's Local leg was answered.
        # (Asterisk writes the line a moment after the channels are up: waited for, not read once.)
        _until(lambda: re.search(r"PJSIP/103-\w+ answered PJSIP/hotline-node-", node2.messages()),
               f"103 did not answer the trunk's leg:\n{node2.messages()[-3000:]}")
        _until(lambda: re.search(r"PJSIP/hotline-node-\w+ answered Local/" + dialled + "@dispatchers", node1.messages()),
               f"the trunk did not answer node1's leg:\n{node1.messages()[-3000:]}")
        _until(lambda: not node1.channels() and not node2.channels(), "the call did not end", timeout=20)
    finally:
        phone.stop()


def test_a_dispatcher_registered_nowhere_ends_the_call_without_a_loop(nodes: tuple[Node, Node]) -> None:
    node1, node2 = nodes
    node1.cli("channel originate Local/101@dispatchers application Wait 6")
    # Absent on node1 → tried on node2 → absent there too: 480, never sent back to node1.
    _until(lambda: "From the peer node to dispatcher 101" in node2.messages(), "node2 never got the call")
    _until(lambda: not node1.channels() and not node2.channels(), "channels left", timeout=10)
    assert node1.messages().count("Dispatcher 101") == 1
    assert "From the peer node" not in node1.messages()
