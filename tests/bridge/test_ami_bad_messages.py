"""Malformed frames from the AMI peer are logged and survived: the session stays up (or, for a
frame that never ends, comes back), and the next event and action are handled as usual."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
import structlog

from ivr.ami import AmiClient, AmiEvent, CallTracker, ExtensionCall
from pbxsim import PbxSim
from tests.asterisk_fixtures import load_trace
from tests.bridge.test_reconnect import wait_until

EOL = b"\r\n"

# (what, raw bytes, the log event it must leave; "" for none: nothing wrong with it)
GARBAGE: list[tuple[str, bytes, str]] = [
    ("lines without a colon", b"this line has no colon" + EOL + b"neither does this" + EOL * 2, "ami.frame_dropped"),
    ("not UTF-8", b"Event: Newstate" + EOL + b"Uniqueid: 1700000000.91" + EOL + b"CallerIDName: \xff\xfe\x80" + EOL * 2,
     "ami.bad_bytes"),
    ("binary", b"\x00\x01\x02\xff\xfe" + EOL * 2, "ami.frame_dropped"),
    ("Newchannel without Uniqueid", b"Event: Newchannel" + EOL + b"Channel: PJSIP/101-0000f00d" + EOL
     + b"ChannelState: 6" + EOL + b"CallerIDNum: 79160000001" + EOL * 2, "ami.event_incomplete"),
    ("Hangup without Uniqueid", b"Event: Hangup" + EOL + b"Channel: PJSIP/101-0000f00d" + EOL * 2,
     "ami.event_incomplete"),
    ("a stray line in an event", b"Event: Newstate" + EOL + b"garbage in the middle" + EOL
     + b"Uniqueid: 1700000000.92" + EOL * 2, "ami.lines_ignored"),
    ("a response nobody asked for", b"Response: Success" + EOL + b"ActionID: nobody-asked-42" + EOL
     + b"Message: ?" + EOL * 2, "ami.response_unmatched"),
    ("two Event headers", b"Event: Newstate" + EOL + b"Event: Hangup" + EOL + b"Uniqueid: 1700000000.93" + EOL * 2,
     "ami.frame_failed"),
    ("a value a listener chokes on", b"Event: Newstate" + EOL + b"Uniqueid: 1700000000.96" + EOL
     + b"ChannelState: six" + EOL * 2, "ami.listener_failed"),
    ("a huge header line", b"Event: VarSet" + EOL + b"Uniqueid: 1700000000.94" + EOL + b"Variable: BIG" + EOL
     + b"Value: " + b"x" * 300_000 + EOL * 2, ""),
    ("empty frames", EOL * 2 + EOL * 2 + b"   " + EOL * 2, ""),
]


def write_raw(sim: PbxSim, data: bytes) -> None:
    """Bytes straight onto every logged-in AMI session of the stand-in, as a broken peer would."""
    assert sim.ami is not None
    sessions = [s for s in sim.ami.sessions if s.logged_in and s.transport is not None]
    assert sessions, "no AMI session to write to"
    for s in sessions:
        assert s.transport is not None
        s.transport.write(data)


def strict(event: AmiEvent) -> None:
    """A listener that trusts the peer: a state that is not a number raises in it."""
    if "ChannelState" in event.fields:
        int(event.fields["ChannelState"])


def tracked(tracker: CallTracker, seen: list[tuple[str, str, str]]) -> None:
    def note(what: str) -> Callable[[ExtensionCall], None]:
        return lambda call: seen.append((what, call.extension, call.peer_number))

    tracker.on_ringing, tracker.on_answered, tracker.on_ended = note("ringing"), note("answered"), note("ended")


async def still_works(ami: AmiClient, sim: PbxSim, tracker: CallTracker, seen: list[tuple[str, str, str]]) -> None:
    """A Ping round trip and a real call seen by the tracker from its first Newchannel to its Hangup."""
    await ami.ping()
    seen.clear()
    call = sim.internal_call("201", "101", answer_after=0.5, talk_seconds=0.5)
    await wait_until(lambda: ("ringing", "101", "201") in seen)
    ringing: list[ExtensionCall] = tracker.calls_of("101")
    assert [c.peer_number for c in ringing] == ["201"]
    await asyncio.wait_for(call.finished.wait(), 5)
    await wait_until(lambda: ("ended", "101", "201") in seen)
    assert tracker.calls() == []


async def test_garbage_on_the_ami_socket_is_logged_and_survived(sim: PbxSim, caplog: pytest.LogCaptureFixture) -> None:
    events: list[AmiEvent] = []
    seen: list[tuple[str, str, str]] = []
    tracker = CallTracker()
    tracked(tracker, seen)
    async with AmiClient(sim.ami_settings(), initial_backoff=0.05) as ami:
        ami.add_listener(strict)
        ami.add_listener(tracker.handle)
        ami.add_listener(events.append)
        await ami.state.wait_connected(2)
        for what, data, logged in GARBAGE:
            with structlog.testing.capture_logs() as logs:
                write_raw(sim, data)
                await ami.ping()  # its answer comes after the garbage: everything before is read
            names = [e["event"] for e in logs]
            if logged:
                assert logged in names, f"{what}: nothing logged ({names})"
            else:
                assert not [e for e in logs if e["log_level"] in ("warning", "error")], what
            assert "ami.disconnected" not in names, what
        assert ami.connects == 1 and ami.state.status.connected
        assert [len(e.get("Value")) for e in events if e.name == "VarSet"] == [300_000]
        # Nothing half-parsed became a call: ext 101 is not left "talking" to anyone.
        assert tracker.calls() == []
        await still_works(ami, sim, tracker, seen)
    # Nothing escaped to asyncio's handler ("Fatal error: protocol.data_received() call failed").
    assert not [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]


async def test_a_name_split_between_two_reads_arrives_whole(sim: PbxSim) -> None:
    events: list[AmiEvent] = []
    async with AmiClient(sim.ami_settings(), initial_backoff=0.05) as ami:
        ami.add_listener(events.append)
        await ami.state.wait_connected(2)
        frame = "Event: NewCallerid\r\nUniqueid: 1700000000.95\r\nCallerIDName: Петрова Ольга\r\n\r\n".encode()
        cut = frame.index("Петрова".encode()) + 3  # inside "е": a UTF-8 character in two TCP segments
        write_raw(sim, frame[:cut])
        await asyncio.sleep(0.05)
        write_raw(sim, frame[cut:])
        await ami.ping()
    names = [e.get("CallerIDName") for e in events if e.name == "NewCallerid"]
    assert names == ["Петрова Ольга"]


async def test_what_a_real_asterisk_sends_raises_no_alarm(sim: PbxSim) -> None:
    """The recorded events of a real call, cut into odd pieces: all arrive, none is reported
    (by the framing or by the tracker)."""
    trace = load_trace("resident-presses-0-bridged-to-dispatcher.jsonl")
    frames = [d["data"] for d in trace if d["kind"] == "ami_event"]
    raw = b"".join(("".join(f"{k}: {v}\r\n" for k, v in f.items() if k != "content") + "\r\n").encode()
                   for f in frames)
    events: list[AmiEvent] = []
    async with AmiClient(sim.ami_settings(), initial_backoff=0.05) as ami:
        await ami.state.wait_connected(2)
        ami.add_listener(lambda e: events.append(e) if e.get("Uniqueid", "").startswith("1795") else None)
        ami.add_listener(CallTracker().handle)
        with structlog.testing.capture_logs() as logs:
            for at in range(0, len(raw), 997):
                write_raw(sim, raw[at:at + 997])
                await asyncio.sleep(0.001)
            await ami.ping()
    expected = [(f["Event"], f["Uniqueid"]) for f in frames if f.get("Uniqueid", "").startswith("1795")]
    assert len(expected) > 50
    assert [(e.name, e.get("Uniqueid")) for e in events] == expected
    assert not [e for e in logs if e["log_level"] in ("warning", "error")]


async def test_a_frame_that_never_ends_is_dropped_with_the_session(sim: PbxSim) -> None:
    seen: list[tuple[str, str, str]] = []
    tracker = CallTracker()
    tracked(tracker, seen)
    async with AmiClient(sim.ami_settings(), initial_backoff=0.05) as ami:
        ami.add_listener(tracker.handle)
        await ami.state.wait_connected(2)
        with structlog.testing.capture_logs() as logs:
            write_raw(sim, b"Value: " + b"y" * 1_500_000)  # one header line, never terminated
            await wait_until(lambda: ami.connects == 2, timeout=5)
        assert "ami.frame_too_large" in [e["event"] for e in logs]
        await ami.state.wait_connected(2)
        await still_works(ami, sim, tracker, seen)
