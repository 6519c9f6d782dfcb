"""Typed ARI events parsed from the captured traces; unknown and malformed input survives."""

from __future__ import annotations

import pytest

from ivr.ari import AriClient, AriConnection, Event, StasisStart, parse_event
from ivr.ari.events import KNOWN_EVENT_TYPES
from tests.asterisk_fixtures import load_trace

TRACES = ["resident-dtmf-record.jsonl", "resident-hangs-up-in-greeting.jsonl",
          "resident-presses-0-bridged-to-dispatcher.jsonl"]


@pytest.mark.parametrize("trace", TRACES)
def test_trace_events_parse(trace: str) -> None:
    for record in load_trace(trace):
        if record["kind"] != "ari_event":
            continue
        data = record["data"]
        event = parse_event(data)
        if data["type"] in KNOWN_EVENT_TYPES:
            assert event is not None and event.type == data["type"] and event.raw == data
            assert event.timestamp == data["timestamp"]
            if "channel" in data:
                assert event.channel_ids()[0] == data["channel"]["id"]
        else:
            assert event is None


def test_stasis_start_fields() -> None:
    data = next(r["data"] for r in load_trace(TRACES[2]) if r["kind"] == "ari_event" and r["data"]["type"] == "StasisStart"
                and r["data"]["args"])
    event = parse_event(data)
    assert isinstance(event, StasisStart)
    assert event.args == ("dispatcher",)
    assert event.channel.name.endswith(";1") and event.channel.in_app("hotline")


async def test_reader_survives_bad_input(tmp_path: object) -> None:
    from ivr.config import AriSettings

    seen: list[Event] = []
    conn = AriConnection(AriClient(AriSettings(url="http://127.0.0.1:1", password="x")), seen.append)
    conn.handle_text("{not json")
    conn.handle_text("[1, 2]")
    conn.handle_text('{"type": "SomethingNew", "x": 1}')
    conn.handle_text('{"type": "StasisStart"}')  # known type, no channel
    start = next(r["data"] for r in load_trace(TRACES[0]) if r["kind"] == "ari_event" and r["data"]["type"] == "StasisStart")
    import json

    conn.handle_text(json.dumps(start))
    assert [e.type for e in seen] == ["StasisStart"]
