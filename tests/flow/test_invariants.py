"""Random walks through the flow (seeded): the bookkeeping invariants hold on every path."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from ivr.flow import (
    Category,
    Command,
    CountOutageCaller,
    DeadlineBy,
    DeadlineWithin,
    DispatcherAnswered,
    Dtmf,
    Error,
    Event,
    FlowConfig,
    HungUp,
    MissedReason,
    NoDispatcher,
    OpenTicket,
    OutageNotice,
    Outcome,
    Play,
    PlaybackDone,
    QueuePosition,
    RecordingDone,
    RecordingEnd,
    RecordingUnderstood,
    RecordMissedCall,
    RegisterTicket,
    ReportOutcome,
    Restoration,
    Special,
    SpokenChoice,
    State,
    Step,
    TicketRegistered,
    TicketStatus,
    Timeout,
)
from tests.flow.driver import Call

WALKS = 400


def random_event(rng: random.Random, state: State) -> Event:
    """Mostly what the executor could plausibly send now, sometimes something stale."""
    kind = rng.randrange(12)
    if kind <= 2 and state.playback_id:
        return PlaybackDone(state.playback_id)
    if kind == 3:
        return Dtmf(rng.choice("0123456789*#"))
    if kind == 4 and state.timer_token is not None:
        return Timeout(state.timer_token)
    if kind == 5 and state.recording_name:
        reason = rng.choice(list(RecordingEnd))
        talk = rng.choice([0.0, 0.5, 3.0, 30.0])
        return RecordingDone(state.recording_name, talk + 3, reason, talk)
    if kind == 6:
        deadline = rng.choice([DeadlineWithin(rng.randrange(1, 200)), DeadlineBy(date(2026, rng.randrange(1, 13), rng.randrange(1, 29))), None])
        return TicketRegistered(str(rng.randrange(10**6)).zfill(6), None, deadline)
    if kind == 7:
        people: list[Event] = [DispatcherAnswered("101"), NoDispatcher(), QueuePosition(rng.randrange(1, 9))]
        return rng.choice(people)
    if kind == 8:
        choice = rng.choice([*Category, *Special, None])
        return SpokenChoice(choice, rng.random())
    if kind == 9 and rng.random() < 0.15:
        return HungUp()
    if kind == 10 and rng.random() < 0.05:
        return Error("boom")
    if kind == 11 and rng.random() < 0.5:
        topic = rng.choice(["water", "roof", "gas", "other", None])
        category = rng.choice([*Category, None]) if topic not in (None, "other") else None
        return RecordingUnderstood(topic, category, rng.random() < 0.5, rng.random() < 0.2, rng.random() < 0.3)
    stale: list[Event] = [PlaybackDone("stale"), Timeout(-1), Dtmf(rng.choice("123"))]
    return rng.choice(stale)


def random_outages(rng: random.Random) -> dict[str, Any]:
    """Most calls meet no outage; some hear one at their building, some are offered a few."""
    kind = rng.randrange(4)
    if kind == 0:
        return {"outage": OutageNotice(7, rng.choice([None, Restoration(rng.randrange(24), rng.randrange(60))]))}
    if kind == 1:
        return {"offered": tuple(OutageNotice(i) for i in range(1, rng.randrange(2, 5)))}
    return {}


def drain(call: Call) -> None:
    """The caller has gone: deliver what Asterisk and the executor would still report."""
    call.send(HungUp())
    for _ in range(3):
        if (call.state.step is Step.RECORDING and call.state.timer_token is not None) or (call.state.step in (Step.UNDERSTANDING, Step.CONFIRMING) and call.state.timer_token is not None):
            call.timeout()
        elif call.state.step in (Step.REGISTERING, Step.OUTAGE_COUNTING):
            call.send(TicketRegistered("999999", None))


def check_invariants(log: list[Command], state: State) -> None:
    missed = [c for c in log if isinstance(c, RecordMissedCall)]
    tickets = [c for c in log if isinstance(c, RegisterTicket)]
    # A count that failed leads to the normal menu, where a ticket of its own may follow.
    counts = [c for c in log if isinstance(c, CountOutageCaller)]
    outcomes = [c for c in log if isinstance(c, ReportOutcome)]
    assert len(missed) <= 1 and len(tickets) <= 1 and len(counts) <= 1 and len(outcomes) <= 1
    if outcomes:
        assert log[-1] == outcomes[0], "nothing may follow the outcome"
        assert state.step is Step.ENDED
    if tickets and missed:
        assert missed[0].reason is MissedReason.REGISTRATION_FAILED
    if state.step is Step.ENDED and outcomes:
        outcome = outcomes[0].outcome
        if outcome in (Outcome.MISSED, Outcome.FAILED):
            assert len(missed) == 1
        if outcome is Outcome.TICKET_REGISTERED:
            assert (tickets or counts) and not missed
        if outcome is Outcome.DISPATCHER_ANSWERED:
            assert not missed


def walk(call: Call, rng: random.Random, steps: int) -> None:
    """Random events until the caller goes; the invariants hold after each, and every call that
    started ends with exactly one outcome."""
    for _ in range(steps):
        call.send(random_event(rng, call.state))
        check_invariants(call.log, call.state)
    drain(call)
    check_invariants(call.log, call.state)
    assert call.state.step is Step.ENDED, call.state
    assert len(call.of(ReportOutcome)) == 1


@pytest.mark.parametrize(("speech", "confirm"), [(False, False), (True, False), (True, True)])
def test_random_walks_keep_the_invariants(speech: bool, confirm: bool) -> None:
    rng = random.Random(20261123 + speech + 2 * confirm)
    for _ in range(WALKS):
        call = Call(FlowConfig(speech_enabled=speech, max_repeats=rng.randrange(3), confirm_understanding=confirm))
        ticket = rng.choice([None, OpenTicket("000777", rng.choice(list(TicketStatus)))])
        call.start(ticket)
        walk(call, rng, rng.randrange(60))


def test_random_walks_through_outages_keep_the_invariants() -> None:
    rng = random.Random(20261130)
    for _ in range(WALKS):
        call = Call(FlowConfig(max_repeats=rng.randrange(3)))
        call.start(None, **(random_outages(rng) or {"outage": OutageNotice(3)}))
        walk(call, rng, rng.randrange(40))


def collect_media(walks: int = 200) -> set[str]:
    """Every media URI the flow produced in a set of random walks (for the prompts test)."""
    rng = random.Random(7)
    outages = random.Random(17)  # its own generator: the walks above stay as they were
    media: set[str] = set()
    for i in range(walks):
        call = Call(FlowConfig(speech_enabled=bool(i % 2), confirm_understanding=i % 4 == 1))
        call.start(rng.choice([None, OpenTicket("12", rng.choice(list(TicketStatus)))]), **random_outages(outages))
        for _ in range(80):
            call.send(random_event(rng, call.state))
        media.update(m for play in call.of(Play) for m in play.media)
    return media
