"""A command that failed: apology and a missed call (callback), never a half-made ticket."""

from __future__ import annotations

import pytest

from ivr.flow import (
    DispatcherAnswered,
    Error,
    Hangup,
    HungUp,
    MissedReason,
    Outcome,
    Play,
    RecordMissedCall,
    RegisterTicket,
    ReportOutcome,
    Step,
    TicketRegistered,
)
from tests.flow import scenarios
from tests.flow.driver import CALL_ID, Call, prompt


@pytest.mark.parametrize("case", ["greeting", "category menu", "open ticket menu", "record prompt"])
def test_error_before_a_ticket_apologises_and_records_a_missed_call(case: str) -> None:
    call = Call()
    scenarios.BEFORE_TICKET[case][0](call)
    commands = call.send(Error("play failed"))
    assert call.one(RecordMissedCall, commands).reason is MissedReason.ERROR
    assert call.one(Play, commands).media == (prompt("technical-error"),)
    commands = call.played()
    assert commands[0] == Hangup()
    assert call.one(ReportOutcome).outcome is Outcome.FAILED
    assert "error:play failed" in call.state.history


def test_registration_failure_keeps_the_recording_for_the_callback() -> None:
    call = Call()
    scenarios.registering(call)
    commands = call.send(Error("database is locked"))
    missed = call.one(RecordMissedCall, commands)
    assert missed.reason is MissedReason.REGISTRATION_FAILED
    assert missed.recording_name == f"hotline-{CALL_ID}-1"
    assert call.send(TicketRegistered("1", None)) == []  # too late: we already apologised
    call.played()
    call.send(HungUp())
    assert len(call.of(RecordMissedCall)) == 1 and len(call.of(ReportOutcome)) == 1


def test_registration_failure_after_the_caller_hung_up() -> None:
    call = Call()
    scenarios.registering(call)
    call.send(HungUp())
    commands = call.send(Error())
    assert call.one(RecordMissedCall, commands).reason is MissedReason.REGISTRATION_FAILED
    assert call.of(Play, commands) == []
    assert commands[-1] == ReportOutcome(Outcome.FAILED, call.state.history)


def test_error_while_ringing_lets_the_caller_leave_a_message() -> None:
    call = Call()
    scenarios.waiting_dispatcher(call)
    call.send(Error("originate failed"))
    call.at(Step.RECORD_PROMPT)
    assert call.state.leaving_message


def test_error_during_the_last_words_just_hangs_up() -> None:
    call = Call()
    scenarios.announcing(call)
    commands = call.send(Error())
    assert Hangup() in commands
    assert call.one(ReportOutcome).outcome is Outcome.TICKET_REGISTERED
    assert len(call.of(RegisterTicket)) == 1 and call.of(RecordMissedCall) == []


def test_error_with_a_dispatcher_is_left_to_the_dispatcher() -> None:
    call = Call()
    scenarios.on_hold(call)
    call.send(DispatcherAnswered("101"))
    assert call.send(Error("bridge")) == []
    call.at(Step.WITH_DISPATCHER)
