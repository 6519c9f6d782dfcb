"""The service itself killed (SIGKILL) mid-burst and started again on the same journal: the
stand-in and the service are separate OS processes (bench/kill_restart.py runs them). Every
call that reached the hotline is one ticket or one missed call; transcriptions the dead process
left (one it was running among them) are done; the callback list survives and a callback from
it goes out; the console shows the PBX connected again."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog

from bench.kill_restart import MIX, Options, run_kill_restart
from tests.tools import needs_voice, needs_vosk_model

log = structlog.get_logger(__name__)

pytestmark = [
    pytest.mark.slow,
    needs_voice,  # the callers' voice
    needs_vosk_model,
]


async def test_service_killed_mid_burst_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    opts = Options(calls=24, while_down=3, after=6)
    report = await run_kill_restart(opts, tmp_path)
    for line in report.lines():
        log.info(line)
    kill = report.kill

    # The kill came when there was something to lose.
    assert kill.met, kill
    assert kill.activity["playing"] and kill.activity["recording"], kill.activity
    assert kill.ticketed_on_line and kill.transcripts_pending and kill.missed_pending
    assert "running" in kill.jobs.values(), kill.jobs  # a job the dead process had claimed

    # The books: every call that reached the hotline once, as a ticket or a missed call.
    assert report.lost == [], report.lost
    assert report.duplicates == [], report.duplicates  # two tickets for a call, a ticket number twice
    assert report.hanging == [], report.hanging  # a call never ended in the journal
    assert report.placed == opts.calls + opts.while_down + opts.after
    assert report.not_reached == opts.while_down  # Stasis() found no application: nobody answered them
    assert report.reached == opts.calls + opts.after
    restarted = report.restarted_log
    assert restarted["call.adopted_after_reconnect"] >= 1  # live calls taken over
    assert restarted["ivr.adopted_call"] >= 1  # among them a caller who already had a ticket
    assert restarted["calls.orphans_closed"] >= 1  # and calls that ended while nobody listened

    # Transcriptions: none stuck, the one being decoded at the kill among them.
    assert report.stuck_jobs == []
    assert set(report.jobs) <= {"done", "failed"}
    assert restarted["transcription.recovered"] >= 1

    # Callbacks: still due and listed, and one goes out from the restarted service.
    assert report.dropped_callbacks == []
    assert report.missed_listed >= len(kill.missed_pending)
    assert report.called_back

    # The restarted service serves as before: the console sees the PBX, new callers get tickets.
    assert report.pbx_connected is True
    # A console open through it all lost the server at the kill, came back by itself, and then
    # knew the PBX connected.
    closed = [m["at"] for m in report.shown if m["type"] == "ws_closed"]
    assert closed, report.shown
    back = [m for m in report.shown if m["at"] > closed[0] and m["type"] in ("hello", "pbx_state")]
    assert back and back[0]["type"] == "hello", report.shown
    known = [m.get("connected", m.get("pbx_connected")) for m in back]
    assert [k for k in known if k is not None][-1] is True, report.shown
    after_ticket_callers = sum(1 for i in range(opts.after)
                               if MIX[(opts.calls + opts.while_down + i) % len(MIX)] == "ticket")
    assert report.by_caller["after:ticket -> ticket"] == after_ticket_callers
