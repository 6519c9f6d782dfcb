"""Faults on a real Asterisk: the service down (residents go straight to the dispatchers'
group), the service restarted mid-call (it takes the call over and finishes it), and Asterisk
killed mid-call (the cut call is one missed call; the service reconnects to the new process)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.real_asterisk.asterisk import RealAsterisk, service_process
from tests.real_asterisk.conftest import PASSWORD, RESIDENT_NUMBER, STAFF, configure_for, no_channels_left, speech_wav
from tests.real_asterisk.phones import Baresip
from tests.real_asterisk.test_resident import GREETING_SECONDS
from tests.service.running import running
from tests.tools import until


async def test_service_down_puts_residents_straight_through_to_the_dispatchers(
        pbx: RealAsterisk, phones: Callable[..., Baresip]) -> None:
    phones("102", auto_answer=True)
    resident = phones("300")
    await asyncio.to_thread(resident.dial, "112")
    loop = asyncio.get_running_loop()
    end = loop.time() + 15
    while "!Up!" not in (chans := await asyncio.to_thread(pbx.cli, "core show channels concise")) \
            or "PJSIP/102-" not in chans:
        assert loop.time() < end, pbx.messages()[-3000:]
        await asyncio.sleep(0.2)
    log = pbx.messages()
    assert "hotline service not connected" in log
    assert re.search(r"Dial\(\"PJSIP/300-[^\"]+\", \"PJSIP/101&PJSIP/102&PJSIP/103,60\"\)", log)
    await asyncio.to_thread(resident.hangup)
    await no_channels_left(pbx)


async def _seed(runtime: object) -> None:
    journal = runtime.journal  # type: ignore[attr-defined]
    for login, name, role, ext in STAFF:
        await journal.people.create_user(login, name, role, PASSWORD, extension=ext)


def _rows(root: Path) -> tuple[int, int]:
    with sqlite3.connect(root / "journal.sqlite3") as db:
        return (db.execute("SELECT count(*) FROM tickets").fetchone()[0],
                db.execute("SELECT count(*) FROM missed_calls").fetchone()[0])


async def test_a_service_killed_mid_call_and_started_again_takes_the_call_over(
        pbx: RealAsterisk, phones: Callable[..., Baresip], tmp_path: Path) -> None:
    root = tmp_path / "service"
    settings = configure_for(pbx, root)  # migrates the journal
    del settings
    resident = phones("300")
    speech = speech_wav(tmp_path / "problem.wav", "В подвале прорвало трубу отопления, всё в пару.",
                        trailing_silence=12)
    first = service_process(pbx, root)
    second = None
    try:
        await until(lambda: "ari.connected" in (root / "service.log").read_text(), "first service connected", 30)
        await asyncio.to_thread(resident.dial, "112")
        await until(lambda: "hotline/welcome" in pbx.messages(), "greeting", 15)
        os.killpg(first.pid, signal.SIGKILL)  # a crash: nothing of the service runs any more
        first.wait(10)
        # Asterisk keeps the resident in Stasis; the new process adopts the channel.
        second = service_process(pbx, root)
        await until(lambda: "call.adopted_after_reconnect" in (root / "service.log").read_text(), "adopted", 30)
        await asyncio.sleep(GREETING_SECONDS)
        await asyncio.to_thread(resident.dtmf, "1")
        await until(lambda: "'beep" in pbx.messages(), "the taken-over call reaches the recording", 30)
        await asyncio.to_thread(resident.say, speech)
        await until(lambda: _rows(root) != (0, 0), "the call's record", 60)
        assert _rows(root) == (1, 0)  # one ticket, no missed call, nothing twice
        await until(lambda: "hotline/goodbye" in pbx.messages(), "goodbye", 30)
        await no_channels_left(pbx, within=15)
        assert _rows(root) == (1, 0)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(15)


async def test_asterisk_killed_mid_call_leaves_one_missed_call_and_the_service_reconnects(
        pbx: RealAsterisk, phones: Callable[..., Baresip], tmp_path: Path) -> None:
    settings = configure_for(pbx, tmp_path / "service")
    resident = phones("300")
    async with running(settings) as (runtime, _):
        await _seed(runtime)
        await asyncio.to_thread(resident.dial, "112")
        await asyncio.sleep(4)
        await asyncio.to_thread(pbx.kill)
        await asyncio.to_thread(resident.hangup)
        await asyncio.to_thread(pbx.start)
        await runtime.ari.state.wait_connected(30)
        loop = asyncio.get_running_loop()
        end = loop.time() + 20
        while (got := _rows(tmp_path / "service")) != (0, 1):
            assert loop.time() < end, got
            await asyncio.sleep(0.3)
        missed = await runtime.journal.calls.missed()
        assert [m.caller_number for m in missed] == [RESIDENT_NUMBER]
        # And the next resident is served by the new Asterisk process.
        await asyncio.to_thread(resident.dial, "112")
        end = loop.time() + 15
        while not any("hotline/welcome" in line for line in pbx.messages().splitlines()[-40:]):
            assert loop.time() < end, pbx.messages()[-2000:]
            await asyncio.sleep(0.2)
        await asyncio.to_thread(resident.hangup)
        await no_channels_left(pbx)
