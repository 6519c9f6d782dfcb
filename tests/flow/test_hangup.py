"""A caller who hangs up: a missed call exactly once before a ticket, never after."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ivr.flow import (
    CancelDispatcherCall,
    CancelTimer,
    Category,
    DeadlineWithin,
    FlowConfig,
    HungUp,
    MissedReason,
    Outcome,
    PlaybackDone,
    RecordMissedCall,
    RegisterTicket,
    ReportOutcome,
    State,
    Step,
    StopListening,
    StopMusicOnHold,
    StopPlayback,
    TicketRegistered,
    Timeout,
    step,
)
from tests.flow import scenarios
from tests.flow.driver import CALLER, Call

CASES = scenarios.BEFORE_TICKET


@pytest.mark.parametrize("case", CASES.keys())
def test_hangup_before_a_ticket_is_one_missed_call(case: str) -> None:
    reach, expected_step, reported_step = CASES[case]
    call = Call()
    reach(call)
    call.at(expected_step)
    commands = call.send(HungUp())
    missed = call.one(RecordMissedCall, commands)
    assert (missed.reason, missed.step, missed.caller_number) == (MissedReason.HANGUP, reported_step, CALLER)
    assert commands[-1] == ReportOutcome(Outcome.MISSED, call.state.history)
    # Nothing is sent to the dead channel.
    assert call.of(StopPlayback, commands) == [] and call.of(StopMusicOnHold, commands) == []
    call.at(Step.ENDED)
    # Whatever Asterisk still reports afterwards changes nothing.
    assert call.send(HungUp(), PlaybackDone("x"), Timeout(1)) == []
    assert len(call.of(RecordMissedCall)) == 1 and call.of(RegisterTicket) == []


@pytest.mark.parametrize("case", ["waiting for dispatcher", "on hold"])
def test_hangup_while_ringing_stops_the_dispatchers_phones(case: str) -> None:
    reach = CASES[case][0]
    call = Call()
    reach(call)
    commands = call.send(HungUp())
    assert CancelDispatcherCall() in commands
    assert call.of(CancelTimer, commands)


def test_hangup_while_listening_stops_the_recogniser() -> None:
    call = Call(FlowConfig(speech_enabled=True))
    scenarios.category_menu(call)
    call.played()
    commands = call.send(HungUp())
    assert StopListening() in commands


AFTER_TICKET: dict[str, tuple[Callable[[Call], None], Outcome]] = {
    "registering": (scenarios.registering, Outcome.TICKET_REGISTERED),
    "announcing": (scenarios.announcing, Outcome.TICKET_REGISTERED),
}


@pytest.mark.parametrize("case", AFTER_TICKET.keys())
def test_hangup_after_the_ticket_is_no_missed_call(case: str) -> None:
    reach, outcome = AFTER_TICKET[case]
    call = Call()
    reach(call)
    call.send(HungUp())
    call.send(TicketRegistered("000124", Category.HEATING, DeadlineWithin(2)))
    assert call.of(RecordMissedCall) == []
    assert call.one(ReportOutcome).outcome is outcome
    call.at(Step.ENDED)


def test_hangup_before_the_call_started_ends_it_quietly() -> None:
    state, commands = step(State(), HungUp())
    assert state.step is Step.ENDED and commands == []
