"""One way to the console: the message types the browser handles are those messages.py defines,
every message in ``cti`` is sent through the notifier, and a failure to send is logged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import structlog

from cti.console.messages import TYPE_NAMES, PbxState
from cti.console.notifier import ConsoleNotifier
from cti.web import ConsoleHub

CTI = Path(__file__).resolve().parents[2] / "cti"
LIVE_JS = CTI / "web" / "static" / "live.js"


def handled_types() -> set[str]:
    text = LIVE_JS.read_text(encoding="utf-8")
    block = re.search(r"switch \(msg\.type\) \{(.*?)\n    \}", text, re.S)
    assert block, "live.js dispatches on msg.type in one switch"
    return set(re.findall(r'case "(\w+)":', block.group(1)))


def test_the_browser_handles_exactly_the_defined_message_types() -> None:
    assert handled_types() == set(TYPE_NAMES)


def test_no_other_script_opens_a_websocket_or_reads_message_types() -> None:
    for js in (CTI / "web" / "static").glob("*.js"):
        if js == LIVE_JS:
            continue
        text = js.read_text(encoding="utf-8")
        assert "new WebSocket" not in text, js.name
        assert "msg.type" not in text, js.name


def test_every_message_in_cti_goes_through_the_notifier() -> None:
    offenders = []
    for py in CTI.rglob("*.py"):
        if py.name in ("notifier.py", "hub.py"):
            continue
        for n, line in enumerate(py.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\.publish\(", line):
                offenders.append(f"{py.relative_to(CTI)}:{n}: {line.strip()}")
    assert offenders == []


async def test_a_failed_publish_is_logged_and_not_raised() -> None:
    class BrokenHub(ConsoleHub):
        def publish(self, message: object, to: object = "all") -> int:  # type: ignore[override]
            raise RuntimeError("disk full")

    with structlog.testing.capture_logs() as logs:
        assert ConsoleNotifier(BrokenHub()).ticket_updated(7, status="done") == 0
    [entry] = [e for e in logs if e["event"] == "console.publish_failed"]
    assert entry["message_type"] == "ticket_updated" and entry["log_level"] == "error"


async def test_a_call_info_key_the_console_does_not_know_is_logged() -> None:
    hub = ConsoleHub()
    with structlog.testing.capture_logs() as logs:
        ConsoleNotifier(hub).call_state("c1", "waiting", emergency=True, queue_color="red")
    [call] = hub.hello()["calls"]
    assert call["emergency"] is True and "queue_color" not in call
    assert any(e["event"] == "console.call_info_dropped" and e["keys"] == ["queue_color"] for e in logs)


@pytest.mark.parametrize("connected", [True, False])
async def test_the_hub_serialises_a_typed_message(connected: bool) -> None:
    hub = ConsoleHub()
    hub.publish(PbxState(connected))
    assert hub.hello()["pbx_connected"] is connected


def test_with_several_nodes_calls_reach_the_consoles_while_any_node_is_up() -> None:
    hub = ConsoleHub()
    assert hub.hello()["pbx_connected"] is None and hub.hello()["pbx_nodes"] == {}
    notify = ConsoleNotifier(hub)
    notify.pbx_state(True, node="node2")
    notify.pbx_state(True, node="node1")
    assert hub.hello()["pbx_connected"] is True
    assert hub.hello()["pbx_nodes"] == {"node1": True, "node2": True}
    notify.pbx_state(False, node="node2")
    assert hub.hello()["pbx_connected"] is True and hub.hello()["pbx_nodes"] == {"node1": True, "node2": False}
    notify.pbx_state(False, node="node1")
    assert hub.hello()["pbx_connected"] is False
