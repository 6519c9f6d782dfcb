"""Mass outage: a burst of callers about one outage, with and without the outage declared.

The stand-in Asterisk (pbxsim, over real sockets, its clock scaled) plays N residents calling
within a few minutes; 80 % live in the buildings of a heating outage, 20 % have another problem
(they want a dispatcher: key 9, after key 1 when they hear an announcement). Three dispatchers
answer after 3 s and talk 30 s. Without the outage the affected callers do what they do today:
half press 0 (an emergency: a person, now), half press 2 and describe it (a ticket each). With it
they hear the announcement and stay on the line (counted, a child ticket, no dispatcher).

    .venv/bin/python bench/outage_bench.py                  # 200 callers over 10 minutes
    .venv/bin/python bench/outage_bench.py --callers 100 --minutes 2

Figures are simulated seconds (wall time / the stand-in's time scale).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, or_, select  # noqa: E402

from cti.logs import configure_logging  # noqa: E402
from cti.telephony.outages import offer_text  # noqa: E402
from ivr.ari import AriService  # noqa: E402
from ivr.flow import FlowConfig  # noqa: E402
from ivr.hotline import HotlineCall, StaticDesk  # noqa: E402
from ivr.hotline.desk import CallCard  # noqa: E402
from ivr.hotline.outage import OutageLine  # noqa: E402
from ivr.prompts import PROMPTS_DIR  # noqa: E402
from ivr.prompts.synth import synthesize  # noqa: E402
from journal import Actor, Database, Journal, JournalConfig, OutageDraft, SlaPolicy  # noqa: E402
from journal.clock import utcnow  # noqa: E402
from journal.migrate import upgrade  # noqa: E402
from journal.models import Call, Ticket  # noqa: E402
from pbxsim import CallScript, PbxSim, SimConfig  # noqa: E402
from pbxsim.calls import KeyPress  # noqa: E402
from pbxsim.config import Extension  # noqa: E402
from pbxsim.media import sounds_from_dir  # noqa: E402

SCALE = 0.1
SPEECH = REPO / "tests" / "fixtures" / "asterisk" / "traces" / "resident-dtmf-record.recording.wav"
ANNOUNCEMENT = "Внимание! В вашем доме нет отопления: порыв на теплотрассе. Аварийная бригада уже работает."


@dataclass
class TimedDesk(StaticDesk):
    """The stand-in's dispatchers, with when each call began to wait for one, first rang one,
    and when one answered."""

    waiting: dict[str, float] = field(default_factory=dict)
    rang: dict[str, float] = field(default_factory=dict)
    answered_at: dict[str, float] = field(default_factory=dict)

    async def call_state(self, call_id: str, state: str, info: dict[str, object]) -> None:
        if state == "waiting":  # the caller asked for a person: hold music until one answers
            self.waiting.setdefault(call_id, time.monotonic())
        await super().call_state(call_id, state, info)

    async def ringing(self, extension: str | None, card: CallCard) -> None:
        self.rang.setdefault(card.call_id, time.monotonic())
        await super().ringing(extension, card)

    async def answered(self, extension: str, card: CallCard) -> None:
        self.answered_at.setdefault(card.call_id, time.monotonic())
        await super().answered(extension, card)


def seconds_of(sounds: dict[str, float], *names: str) -> float:
    return sum(sounds.get(f"hotline/{n}", 1.5) for n in names)


async def run(declared: bool, callers: int, minutes: float, work: Path) -> dict[str, float]:
    db_file = work / f"journal-{declared}.sqlite3"
    await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{db_file}")
    sla = SlaPolicy.load(REPO / "config" / "sla.toml", "Europe/Moscow")
    journal = Journal.build(Database.from_url(f"sqlite+aiosqlite:///{db_file}"), sla, JournalConfig(), work / "f")
    affected_building = await journal.people.add_building("Ленина", "5")
    other_building = await journal.people.add_building("Мира", "1")
    affected = round(callers * 0.8)
    phones = [f"7916{i:07d}" for i in range(callers)]
    for i, phone in enumerate(phones):
        await journal.people.save_resident(phone, building_id=(affected_building if i < affected else other_building).id,
                                           apartment=str(i))
    prompts = work / f"prompts-{declared}"
    prompts.mkdir()
    if declared:
        outage = await journal.outages.declare(OutageDraft(
            "heating", [affected_building.id, other_building.id], ANNOUNCEMENT,
            expected_restoration=utcnow() + timedelta(hours=3)), Actor("bench"))
        await asyncio.to_thread(synthesize, ANNOUNCEMENT, prompts / f"outage-{outage.id}-text.wav")
        await asyncio.to_thread(synthesize, offer_text(outage), prompts / f"outage-{outage.id}-offer.wav")

    config = SimConfig(recordings_dir=work / f"rec-{declared}", time_scale=SCALE)
    config.sounds.update(sounds_from_dir(PROMPTS_DIR, "hotline"))
    config.sounds.update(sounds_from_dir(prompts, "hotline"))
    config.extensions = {e: Extension(e, answer_after=3.0, talk_seconds=30.0) for e in ("101", "102", "103")}
    sounds = config.sounds
    greeting = seconds_of(sounds, "welcome", "call-recorded", "gas-warning") + 0.5
    flow = FlowConfig(input_timeout_seconds=7.0 * SCALE, dispatcher_ring_seconds=max(1, round(60 * SCALE)),
                      dispatcher_grace_seconds=10 * SCALE, recording_grace_seconds=5 * SCALE,
                      outage_wait_seconds=5.0 * SCALE)
    desk = TimedDesk(list(config.extensions))
    async with PbxSim(config) as sim:
        # A leg's ring time goes to the stand-in, which counts it in its own (simulated) seconds.
        handler = HotlineCall(journal, desk, config=flow, ring_each_seconds=15,
                              outages=OutageLine(journal, prompts))
        async with AriService(sim.ari_settings(), handler, initial_backoff=0.05) as ari:
            await ari.state.wait_connected(5)
            gap = minutes * 60 / callers
            handles = []
            for i, phone in enumerate(phones):
                if i >= affected:  # another problem: a dispatcher, please
                    # Key 1 cuts the announcement short; 9 then cuts the category menu short. Keys
                    # are timed from the call's start: a few seconds' margin for a busy service.
                    keys = [KeyPress(greeting + 5, "1"), KeyPress(greeting + 9, "9")] if declared else [
                        KeyPress(greeting + 3, "9")]
                    script = CallScript(phone, keys=keys)
                elif declared:
                    script = CallScript(phone)  # hears it and stays on the line
                elif i % 2:
                    script = CallScript(phone, keys=[KeyPress(greeting + 3, "0")])
                else:
                    script = CallScript(phone, keys=[KeyPress(greeting + 3, "2")], say=SPEECH)
                handles.append((i, sim.place_call(script)))
                await asyncio.sleep(gap * SCALE)
            for _, h in handles:
                await h.done.wait()
            await ari.dispatcher.drain(120)
    async with journal.db.read() as s:
        # Residents' tickets: the outage's own parent ticket is not one.
        made = (await s.execute(select(func.count()).select_from(Ticket).where(
            or_(Ticket.parent_id.is_not(None), Ticket.outage_id.is_(None))))).scalar_one()
        calls = (await s.execute(select(Call.caller_number, Call.started_at, Call.ended_at))).all()
    by_phone = {number: (end - start).total_seconds() / SCALE for number, start, end in calls if end is not None}
    affected_menu = [by_phone[p] for p in phones[:affected] if p in by_phone]
    ids = {h.id: i for i, h in handles}
    others = [c for c, i in ids.items() if i >= affected]
    reached = [c for c in others if c in desk.answered_at]
    waits = [(desk.answered_at[c] - desk.waiting[c]) / SCALE for c in reached]
    await journal.close()
    return {
        "calls that asked for a dispatcher": float(len(desk.waiting)),
        "calls that rang a dispatcher": float(len(desk.rang)),
        "residents' tickets": float(made),
        "affected: time on the line, mean s": statistics.fmean(affected_menu) if affected_menu else 0.0,
        "others reached a dispatcher": float(len(reached)),
        "others": float(len(others)),
        "others' wait for a dispatcher, mean s": statistics.fmean(waits) if waits else 0.0,
        "others' wait for a dispatcher, max s": max(waits, default=0.0),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    configure_logging("warning", "console")
    work = Path(tempfile.mkdtemp(prefix="outage-bench-"))
    try:
        without = await run(False, args.callers, args.minutes, work)
        with_ = await run(True, args.callers, args.minutes, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.callers} callers within {args.minutes:g} minutes, 80 % about the outage; 3 dispatchers\n")
    print(f"| {'':40} | without outage | outage declared |")
    print(f"|{'-' * 42}|---|---|")
    for key in without:
        print(f"| {key:40} | {without[key]:.1f} | {with_[key]:.1f} |")


if __name__ == "__main__":
    asyncio.run(main())
