"""The trunk between two Asterisk nodes (dispatchers on any node): rendered only with
HOTLINE_PEER_NODE; the peer authenticates by name and secret and lands in from-nodes, which
rings this node's own phones only; without a peer the dialplan dials as a single node does."""

from __future__ import annotations

from pathlib import Path

from tests.asterisk_config.asterisk_conf import dialplan_globals, dialplan_steps, parse_file, resolved
from tests.asterisk_config.paths import DIALPLAN
from tests.asterisk_config.test_dialplan import is_peer_dial
from tests.asterisk_config.test_render import TRUNK, base_env, lint, render
from tests.tools import needs_programs

PEER = {"HOTLINE_PEER_NODE": "10.0.0.12:5060", "HOTLINE_NODE_TRUNK_SECRET": "node-trunk-secret"}


def _one_node_env() -> dict[str, str]:
    return {k: v for k, v in base_env().items() if k not in PEER}


def _node_sections(dest: Path) -> dict[str, dict[str, str]]:
    sections = parse_file(dest / "pjsip.conf")
    return {v["type"]: {"name": s.name, **v} for s in sections if s.name.startswith("hotline-node")
            for v in [resolved(sections, s)]}


@needs_programs("envsubst")
def test_one_node_renders_no_trunk_and_dials_its_own_phones(tmp_path: Path) -> None:
    result = render(tmp_path, {**_one_node_env(), **TRUNK})
    assert result.returncode == 0, result.stderr
    assert _node_sections(tmp_path) == {}
    assert "HOTLINE_PEER_NODE is not set" in (tmp_path / "pjsip_nodes.conf").read_text(encoding="utf-8")
    assert dialplan_globals(parse_file(tmp_path / "extensions.conf"))["PEER_NODE"] == ""
    lint(tmp_path / "extensions.conf")


@needs_programs("envsubst")
def test_a_peer_node_gets_an_authenticated_trunk_into_from_nodes(tmp_path: Path) -> None:
    result = render(tmp_path, {**_one_node_env(), **TRUNK, **PEER})
    assert result.returncode == 0, result.stderr
    node = _node_sections(tmp_path)
    assert set(node) == {"auth", "aor", "endpoint"}
    assert (node["auth"]["username"], node["auth"]["password"]) == ("hotline-node", "node-trunk-secret")
    assert node["aor"]["contact"] == "sip:10.0.0.12:5060"
    endpoint = node["endpoint"]
    assert endpoint["context"] == "from-nodes"
    assert endpoint["auth"] == endpoint["outbound_auth"] == node["auth"]["name"]
    assert endpoint["from_user"] == "hotline-node"  # how the peer recognises us: by name, with the secret
    assert "identify" not in node  # never by address (phones share the peer's network)
    assert (tmp_path / "pjsip_nodes.conf").stat().st_mode & 0o777 == 0o640
    assert dialplan_globals(parse_file(tmp_path / "extensions.conf"))["PEER_NODE"] == endpoint["name"]
    lint(tmp_path / "extensions.conf")


def test_calls_from_the_peer_ring_local_phones_only_and_only_dispatchers_reach_the_peer() -> None:
    steps = list(dialplan_steps(parse_file(DIALPLAN), str(DIALPLAN)))
    from_nodes = [s for s in steps if s.context == "from-nodes" and s.app == "Dial"]
    assert from_nodes and not any("@" in s.args[0] for s in from_nodes)  # never back to the peer: no loop
    assert {s.context for s in steps if is_peer_dial(s)} == {"dispatchers"}
    # The group rings the peer's group too; one dispatcher goes to the peer only when absent here.
    group = [s.args[0] for s in steps if s.context == "dispatchers" and s.exten == "100" and s.app == "Dial"]
    assert group == ["PJSIP/101&PJSIP/102&PJSIP/103", "PJSIP/101&PJSIP/102&PJSIP/103&PJSIP/100@${PEER_NODE}"]
    one = [s for s in steps if s.context == "dispatchers" and s.exten == "_10[123]"]
    assert [s.app for s in one][:3] == ["NoOp", "Dial", "GotoIf"]  # here first, as one node does
    assert one[1].args[0] == "PJSIP/${EXTEN}" and '"${DIALSTATUS}" = "CHANUNAVAIL"' in one[2].args[0]


@needs_programs("envsubst")
def test_kamailio_in_front_is_identified_by_address_into_the_voice_menu(tmp_path: Path) -> None:
    result = render(tmp_path, {**_one_node_env(), **TRUNK, "HOTLINE_KAMAILIO_ADDRESS": "10.0.0.10"})
    assert result.returncode == 0, result.stderr
    sections = parse_file(tmp_path / "pjsip.conf")
    found = {v["type"]: v for s in sections if s.name.startswith("kamailio") for v in [resolved(sections, s)]}
    assert found["endpoint"]["context"] == "hotline-in"
    assert (found["identify"]["endpoint"], found["identify"]["match"]) == ("kamailio", "10.0.0.10")
    without = tmp_path / "without"
    assert render(without, {k: v for k, v in _one_node_env().items() if k != "HOTLINE_KAMAILIO_ADDRESS"}).returncode == 0
    assert not [s for s in parse_file(without / "pjsip.conf") if s.name.startswith("kamailio")]
