"""Understanding the recording during the call: one question when unsure, a person when it
may be an emergency, and never a lost request."""

from __future__ import annotations

from ivr.flow import (
    Category,
    ConnectToDispatcher,
    DispatcherReason,
    Dtmf,
    FlowConfig,
    HungUp,
    NoDispatcher,
    Outcome,
    RecordingUnderstood,
    RecordMissedCall,
    RegisterTicket,
    ReportOutcome,
    StartRecording,
    Step,
    TicketRegistered,
    UnderstandRecording,
)
from tests.flow.driver import CALL_ID, Call, prompt
from tests.flow.scenarios import recording

CONFIRMING = FlowConfig(confirm_understanding=True)


def understanding(call: Call) -> None:
    recording(call)  # key 2: heating
    cmds = call.recorded(12.0)
    assert call.one(UnderstandRecording, cmds) == UnderstandRecording(f"hotline-{CALL_ID}-1")
    assert call.last_media() == (prompt("one-moment"),)
    call.at(Step.UNDERSTANDING)


def test_clear_words_register_the_ticket_at_once() -> None:
    call = Call(CONFIRMING)
    understanding(call)
    cmds = call.send(RecordingUnderstood("heating", Category.HEATING, confident=True))
    ticket = call.one(RegisterTicket, cmds)
    assert ticket.category is Category.HEATING and ticket.recording_seconds == 12.0
    assert "understood:heating:sure" in ticket.history


def test_unsure_words_ask_one_question_and_yes_files_the_guess() -> None:
    call = Call(CONFIRMING)
    understanding(call)
    cmds = call.send(RecordingUnderstood("water", Category.WATER_SEWER, confident=False))
    assert not call.of(RegisterTicket, cmds)
    assert call.last_media() == (prompt("confirm-water"), prompt("confirm-keys"))
    call.at(Step.CONFIRMING)
    call.played()
    cmds = call.send(Dtmf("1"))
    ticket = call.one(RegisterTicket, cmds)
    assert ticket.category is Category.WATER_SEWER
    assert "confirmed:yes" in ticket.history


def test_no_keeps_the_key_the_caller_pressed() -> None:
    call = Call(CONFIRMING)
    understanding(call)
    call.send(RecordingUnderstood("water", Category.WATER_SEWER, confident=False))
    call.played()
    assert call.of(RegisterTicket, call.send(Dtmf("7"))) == []  # a stray key: still asking
    ticket = call.one(RegisterTicket, call.send(Dtmf("2")))
    assert ticket.category is Category.HEATING
    assert "confirmed:no" in ticket.history


def test_silence_at_the_question_keeps_the_key_too() -> None:
    call = Call(CONFIRMING)
    understanding(call)
    call.send(RecordingUnderstood("roof", Category.COMMON_PROPERTY, confident=False))
    call.played()
    ticket = call.one(RegisterTicket, call.timeout())
    assert ticket.category is Category.HEATING
    assert "confirmed:none" in ticket.history


def test_unsure_words_that_may_be_an_emergency_go_to_a_dispatcher_with_the_ticket() -> None:
    call = Call(CONFIRMING)
    understanding(call)
    cmds = call.send(RecordingUnderstood("sewer", Category.WATER_SEWER, confident=False, possibly_emergency=True))
    call.one(RegisterTicket, cmds)
    assert not any(m.startswith(prompt("confirm-")) for m in call.last_media())
    cmds = call.send(TicketRegistered("124", Category.HEATING))
    connect = call.one(ConnectToDispatcher, cmds)
    assert connect.emergency and connect.reason is DispatcherReason.UNSURE_EMERGENCY
    assert connect.related_ticket == "124"
    call.at(Step.WAITING_DISPATCHER)


def test_an_emergency_in_the_words_goes_to_a_dispatcher_even_when_sure() -> None:
    call = Call(CONFIRMING)
    understanding(call)
    call.one(RegisterTicket, call.send(RecordingUnderstood("gas", None, confident=True, emergency=True)))
    assert call.one(ConnectToDispatcher, call.send(TicketRegistered("125", None))).emergency


def test_nothing_understood_registers_as_pressed() -> None:
    call = Call(CONFIRMING)
    understanding(call)
    ticket = call.one(RegisterTicket, call.send(RecordingUnderstood(None, None, confident=False)))
    assert ticket.category is Category.HEATING


def test_a_slow_recogniser_does_not_hold_the_caller() -> None:
    call = Call(CONFIRMING)
    understanding(call)
    ticket = call.one(RegisterTicket, call.timeout())
    assert "understood:timeout" in ticket.history
    # The answer arriving late changes nothing.
    assert call.send(RecordingUnderstood("water", Category.WATER_SEWER, confident=False)) == []


def test_hanging_up_while_understood_or_asked_still_registers() -> None:
    for answer in (None, RecordingUnderstood("water", Category.WATER_SEWER, confident=False)):
        call = Call(CONFIRMING)
        understanding(call)
        if answer is not None:
            call.send(answer)
            call.at(Step.CONFIRMING)
        call.one(RegisterTicket, call.send(HungUp()))
        cmds = call.send(TicketRegistered("126", Category.HEATING))
        assert call.one(ReportOutcome, cmds).outcome is Outcome.TICKET_REGISTERED


def test_without_the_setting_the_ticket_is_registered_after_the_recording() -> None:
    call = Call()
    recording(call)
    cmds = call.recorded(12.0)
    call.one(RegisterTicket, cmds)
    assert not call.of(UnderstandRecording, cmds)


def _put_through_with_a_ticket(call: Call) -> None:
    understanding(call)
    call.send(RecordingUnderstood("sewer", Category.WATER_SEWER, confident=False, possibly_emergency=True))
    call.send(TicketRegistered("124", Category.HEATING))
    call.at(Step.WAITING_DISPATCHER)


def test_hanging_up_while_put_through_after_the_ticket_is_no_missed_call() -> None:
    call = Call(CONFIRMING)
    _put_through_with_a_ticket(call)
    cmds = call.send(HungUp())
    assert call.one(ReportOutcome, cmds).outcome is Outcome.TICKET_REGISTERED
    assert call.of(RecordMissedCall) == []


def test_nobody_answering_after_the_ticket_asks_for_no_second_message() -> None:
    call = Call(CONFIRMING)
    _put_through_with_a_ticket(call)
    call.played()  # the connecting prompt; hold music
    cmds = call.send(NoDispatcher())
    assert call.last_media() == (prompt("callback-promise"), prompt("goodbye"))
    assert call.of(StartRecording, cmds) == []
    cmds = call.played()
    assert call.one(ReportOutcome).outcome is Outcome.TICKET_REGISTERED
    assert len(call.of(RegisterTicket)) == 1 and call.of(RecordMissedCall) == []
