"""The residents' feedback call end to end: the ticket's work is done, the scheduler places an
ARI call to the resident's number through the stand-in, the resident confirms and rates by
keypress, and the answer lands on the ticket and on the attempt; nobody answering is retried."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from cti.quality.feedback import AriFeedbackDialer, FeedbackScheduler
from ivr.ari import AriService
from ivr.hotline import LineRouter, RatingLine
from journal import Actor, Database, Journal, JournalConfig, NewTicket, OutageDraft, SlaPolicy
from journal.clock import utcnow
from journal.feedback import FeedbackCalls, FeedbackPolicy
from journal.models import TicketHistory
from journal.quality_models import FeedbackCall
from pbxsim import PbxSim, SimConfig
from pbxsim.config import Extension
from pbxsim.media import sounds_from_dir

REPO = Path(__file__).resolve().parents[2]
RESIDENT = "79161234567"
SILENT = "79160000000"  # never picks up
ALL_DAY = FeedbackPolicy(attempts=2, first_delay=timedelta(0), retry_after=timedelta(minutes=30),
                         window_start=time(0, 0), window_end=time(23, 59, 59, 999999))


@dataclass
class Rig:
    sim: PbxSim
    journal: Journal
    calls: FeedbackCalls
    scheduler: FeedbackScheduler
    ari: AriService

    async def wait_played(self, channel_id: str, sound: str, timeout: float = 10.0) -> None:
        end = asyncio.get_running_loop().time() + timeout
        while f"sound:hotline/{sound}" not in self.sim.played(channel_id):
            if asyncio.get_running_loop().time() > end:
                raise AssertionError(f"{sound} not played; played: {self.sim.played(channel_id)}")
            await asyncio.sleep(0.01)


@pytest.fixture
async def rig(tmp_path: Path, sqlite_template: Path, sla: SlaPolicy) -> AsyncIterator[Rig]:
    db_file = tmp_path / "journal.sqlite3"
    shutil.copy(sqlite_template, db_file)
    journal = Journal.build(Database.from_url(f"sqlite+aiosqlite:///{db_file}"), sla, JournalConfig(), tmp_path / "f")
    config = SimConfig(recordings_dir=tmp_path / "recordings", time_scale=0.05)
    config.sounds.update(sounds_from_dir(REPO / "ivr" / "prompts", "hotline"))
    # The residents' phones: one answers after two rings, one never does.
    config.extensions[RESIDENT] = Extension(RESIDENT, answer_after=2.0)
    config.extensions[SILENT] = Extension(SILENT, answer_after=None)
    calls = FeedbackCalls(journal.db, ALL_DAY)
    async with PbxSim(config) as sim:
        router = LineRouter(_unexpected, {"rating": RatingLine(journal, calls, key_timeout=3.0)})
        async with AriService(sim.ari_settings(), router, initial_backoff=0.05) as ari:
            await ari.state.wait_connected(5)
            scheduler = FeedbackScheduler(journal.db, calls, AriFeedbackDialer(ari.client, ring_seconds=5),
                                          ring_seconds=5)
            await scheduler.scan()  # the cursor starts here: only work finished from now on is called about
            yield Rig(sim, journal, calls, scheduler, ari)
            await ari.dispatcher.drain(10)
    await journal.close()


async def _unexpected(call: object) -> None:
    raise AssertionError("only rating calls are expected here")


async def _finished_ticket(j: Journal, phone: str) -> int:
    executor = await j.people.create_user(f"plumber{phone[-2:]}", "Кузнецов", "executor", "password1")
    t = (await j.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=Actor.system("t"),
                                            caller_phone=phone, auto_assign=False))).ticket
    await j.tickets.assign(t.id, executor.id, Actor("Петрова"))
    await j.tickets.change_status(t.id, "in_progress", Actor("Кузнецов"))
    await j.tickets.change_status(t.id, "done", Actor("Кузнецов"))
    return t.id


async def test_resident_confirms_and_rates_by_keypress(rig: Rig) -> None:
    ticket_id = await _finished_ticket(rig.journal, "+7 916 123-45-67")
    await rig.scheduler.step()
    [attempt] = await rig.calls.for_ticket(ticket_id)
    assert attempt.status == "calling" and attempt.channel_id
    channel = attempt.channel_id
    await rig.wait_played(channel, "rating-confirm")
    ticket = await rig.journal.tickets.get(ticket_id)
    assert f"digits:{int(ticket.number.split('-')[1])}" in rig.sim.played(channel)
    rig.sim.press(channel, "1")
    await rig.wait_played(channel, "rating-ask")
    rig.sim.press(channel, "4")
    await rig.wait_played(channel, "rating-thanks")
    await rig.ari.dispatcher.drain(10)

    ticket = await rig.journal.tickets.get(ticket_id)
    assert (ticket.confirmed, ticket.rating) == (True, 4)
    [attempt] = await rig.calls.for_ticket(ticket_id)
    assert (attempt.status, attempt.outcome, attempt.rating, attempt.confirmed) == ("answered", "rated", 4, True)
    feedback = [h for h in await rig.journal.tickets.history(ticket_id) if h.kind == "feedback"]
    assert feedback and feedback[-1].actor == "system:rating" and feedback[-1].after == "4"
    # Done once: a second pass schedules nothing more.
    await rig.scheduler.step()
    assert len(await rig.calls.for_ticket(ticket_id)) == 1


async def test_resident_says_the_work_is_not_done(rig: Rig) -> None:
    ticket_id = await _finished_ticket(rig.journal, RESIDENT)
    await rig.scheduler.step()
    [attempt] = await rig.calls.for_ticket(ticket_id)
    await rig.wait_played(attempt.channel_id or "", "rating-confirm")
    rig.sim.press(attempt.channel_id or "", "2")
    await rig.wait_played(attempt.channel_id or "", "rating-ask")
    rig.sim.hangup(attempt.channel_id or "")
    await rig.ari.dispatcher.drain(10)
    ticket = await rig.journal.tickets.get(ticket_id)
    assert (ticket.confirmed, ticket.rating) == (False, None)
    [attempt] = await rig.calls.for_ticket(ticket_id)
    assert (attempt.status, attempt.outcome) == ("answered", "rated")


async def _restored_outage_child(j: Journal, phone: str) -> int:
    """A resident counted in an outage (they called and stayed on the line), then the outage is
    restored: their child ticket is done, which asks for the restoration call."""
    building = await j.people.add_building("Ленина", "5")
    outage = await j.outages.declare(OutageDraft("heating", [building.id], "Нет отопления: порыв."), Actor("Петрова"))
    child = (await j.outages.add_caller(outage.id, actor=Actor.system("ivr"), channel="phone_ivr",
                                        caller_phone=phone)).ticket
    await j.outages.set_state(outage.id, "restored", Actor("Петрова"), resolution="Заменён участок трубы")
    return child.id


@pytest.mark.parametrize(("key", "status"), [("1", "done"), ("2", "reopened")])
async def test_restoration_call_asks_if_the_service_is_back_and_no_reopens(rig: Rig, key: str, status: str) -> None:
    child_id = await _restored_outage_child(rig.journal, RESIDENT)
    await rig.scheduler.step()
    [attempt] = await rig.calls.for_ticket(child_id)
    channel = attempt.channel_id or ""
    await rig.wait_played(channel, "outage-restored-ask")
    rig.sim.press(channel, key)
    await rig.wait_played(channel, "rating-thanks" if key == "1" else "outage-not-restored")
    await rig.ari.dispatcher.drain(10)
    assert "sound:hotline/rating-ask" not in rig.sim.played(channel)  # no 1-5 rating after an outage
    child = await rig.journal.tickets.get(child_id)
    assert (child.status, child.confirmed, child.is_open) == (status, key == "1", key == "2")
    notes = [h.text for h in await rig.journal.tickets.history(child_id) if h.kind == "status"]
    if key == "2":
        assert notes[-1] == "Житель сообщил, что услуга не восстановлена (обратный звонок после устранения аварии)"


async def test_no_answer_is_retried_then_given_up(rig: Rig) -> None:
    ticket_id = await _finished_ticket(rig.journal, SILENT)
    await rig.scheduler.step()
    [first] = await rig.calls.for_ticket(ticket_id)
    assert first.status == "calling"
    # The stand-in lets it ring out; the scheduler notices the attempt never reached the flow.
    later = utcnow() + timedelta(minutes=2)
    assert await rig.scheduler.expire(later) == 1
    first, second = await rig.calls.for_ticket(ticket_id)
    assert (first.status, first.outcome) == ("no_answer", "no_answer")
    assert second.status == "pending" and second.due_at == later + ALL_DAY.retry_after
    # The last allowed attempt fails too: nothing more is scheduled.
    await rig.calls.not_reached(second.id, now=later)
    assert [a.status for a in await rig.calls.for_ticket(ticket_id)] == ["no_answer", "no_answer"]
    assert (await rig.journal.tickets.get(ticket_id)).rating is None


def test_calls_only_within_the_allowed_hours() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    msk = ZoneInfo("Europe/Moscow")
    policy = FeedbackPolicy(window_start=time(9), window_end=time(21))
    assert policy.allowed(datetime(2026, 5, 5, 12, 0, tzinfo=msk)) == datetime(2026, 5, 5, 12, 0, tzinfo=msk)
    assert policy.allowed(datetime(2026, 5, 5, 21, 0, tzinfo=msk)) == datetime(2026, 5, 6, 9, 0, tzinfo=msk)
    assert policy.allowed(datetime(2026, 5, 5, 3, 30, tzinfo=msk)) == datetime(2026, 5, 5, 9, 0, tzinfo=msk)


async def test_a_fresh_scheduler_still_calls_about_work_finished_just_before_it_started(journal: Journal) -> None:
    # A fresh install killed and restarted right after the first ticket was done: that resident
    # is still called; work done long before the feature existed is not.
    old = await _finished_ticket(journal, "79161110001")
    recent = await _finished_ticket(journal, "79161110002")
    async with journal.db.write() as s:
        await s.execute(update(TicketHistory).where(TicketHistory.ticket_id == old)
                        .values(at=utcnow() - timedelta(days=2)))
    calls = FeedbackCalls(journal.db, ALL_DAY)

    async def no_dialing(attempt: FeedbackCall) -> str:
        raise AssertionError("scan only schedules")

    scheduler = FeedbackScheduler(journal.db, calls, no_dialing)
    assert await scheduler.scan() == 1
    assert [c.ticket_id for c in await calls.for_ticket(recent)] == [recent]
    assert await calls.for_ticket(old) == []
