"""Recording the description, registering the ticket, announcing it."""

from __future__ import annotations

from datetime import date

import pytest

from ivr.flow import (
    CancelTimer,
    Category,
    ConnectToDispatcher,
    DeadlineBy,
    DeadlineWithin,
    DispatcherReason,
    Dtmf,
    FlowConfig,
    Hangup,
    HungUp,
    Outcome,
    Play,
    Priority,
    RecordingDone,
    RecordingEnd,
    RecordMissedCall,
    RegisterTicket,
    ReportOutcome,
    StartRecording,
    Step,
    TicketRegistered,
)
from tests.flow.driver import CALL_ID, CALLER, Call, prompt
from tests.flow.scenarios import record_prompt, recording


def test_recording_starts_after_the_prompt_and_beep() -> None:
    call = Call()
    record_prompt(call)
    assert call.last_media()[-1] == "sound:beep"
    commands = call.played()
    config = FlowConfig()
    assert commands == [
        StartRecording(f"hotline-{CALL_ID}-1", config.max_recording_seconds, config.max_silence_seconds, "#")
    ]
    call.at(Step.RECORDING)


def test_keys_before_the_recording_starts_are_ignored() -> None:
    call = Call()
    record_prompt(call)
    assert call.send(Dtmf("#"), Dtmf("0")) == []
    call.at(Step.RECORD_PROMPT)


@pytest.mark.parametrize("reason", [RecordingEnd.SILENCE, RecordingEnd.TERMINATED, RecordingEnd.MAXLENGTH])
def test_a_finished_recording_becomes_a_ticket(reason: RecordingEnd) -> None:
    call = Call()
    recording(call)
    commands = call.recorded(9.5, reason)
    ticket = call.one(RegisterTicket, commands)
    assert ticket.category is Category.HEATING
    assert ticket.priority is Priority.NORMAL
    assert (ticket.caller_number, ticket.call_id) == (CALLER, CALL_ID)
    assert ticket.recording_name == f"hotline-{CALL_ID}-1"
    assert ticket.recording_seconds == 9.5
    assert not ticket.callback_due and ticket.related_ticket is None
    assert f"recording:{reason.value}:9.5s" in ticket.history
    call.at(Step.REGISTERING)


def test_talking_time_counts_not_the_trailing_silence() -> None:
    call = Call()
    recording(call)
    name = call.state.recording_name
    assert name is not None
    # 5 s in total, but all of it silence: Asterisk stopped on the silence limit.
    call.send(RecordingDone(name, 5.0, RecordingEnd.SILENCE, talking_seconds=0.0))
    assert call.of(RegisterTicket) == []
    # Without talking_duration the total is all there is.
    call.played()
    call.send(RecordingDone(call.state.recording_name or "", 5.0, RecordingEnd.SILENCE))
    assert len(call.of(RegisterTicket)) == 1


def test_a_recording_of_another_name_is_ignored() -> None:
    call = Call()
    recording(call)
    assert call.send(RecordingDone("someone-else", 9.0, RecordingEnd.SILENCE, 9.0)) == []


@pytest.mark.parametrize(
    ("deadline", "spoken"),
    [
        (DeadlineWithin(2), ("deadline-within", "number:2", "hour-few")),
        (DeadlineWithin(1), ("deadline-within", "number:1", "hour-one")),
        (DeadlineWithin(24), ("deadline-within", "number:1", "day-one")),
        (DeadlineBy(date(2026, 11, 25)), ("deadline-by", "date-25", "sound:digits/mon-10")),
        (None, ()),
    ],
)
def test_ticket_number_and_deadline_are_announced_then_goodbye(
    deadline: DeadlineWithin | DeadlineBy | None, spoken: tuple[str, ...]
) -> None:
    call = Call()
    recording(call)
    call.recorded(8.0)
    commands = call.send(TicketRegistered("000124", Category.HEATING, deadline, "в течение 2 часов"))
    expected = tuple(m if ":" in m else prompt(m) for m in spoken)
    assert call.one(Play, commands).media == (
        prompt("ticket-accepted"),
        "digits:000124",
        *expected,
        prompt("goodbye"),
    )
    call.at(Step.ENDING)
    commands = call.played()
    assert commands == [Hangup(), ReportOutcome(Outcome.TICKET_REGISTERED, call.state.history)]
    assert call.of(RecordMissedCall) == []
    assert call.send(HungUp()) == []  # Asterisk reports the hang-up we asked for


def test_empty_recording_is_asked_again_then_a_dispatcher() -> None:
    call = Call()
    recording(call)
    for attempt in (2, 3):
        commands = call.recorded(0.3)
        assert call.one(Play, commands).media == (prompt("empty-recording"), prompt("describe-problem"), "sound:beep")
        commands = call.played()
        assert call.one(StartRecording, commands).name == f"hotline-{CALL_ID}-{attempt}"
    call.recorded(0.0)
    assert call.of(RegisterTicket) == []
    assert call.one(ConnectToDispatcher).reason is DispatcherReason.NO_DESCRIPTION


def test_hangup_during_recording_with_words_still_makes_the_ticket() -> None:
    call = Call()
    recording(call)
    commands = call.recorded(6.0, RecordingEnd.HANGUP)
    assert call.one(RegisterTicket, commands).recording_seconds == 6.0
    assert call.send(HungUp()) == []  # StasisEnd after RecordingFinished, as Asterisk sends it
    commands = call.send(TicketRegistered("000125", Category.HEATING, DeadlineWithin(2)))
    assert commands == [ReportOutcome(Outcome.TICKET_REGISTERED, call.state.history)]
    assert call.of(RecordMissedCall) == [] and call.of(Play, commands) == []


def test_hangup_during_recording_without_words_is_a_missed_call() -> None:
    call = Call()
    recording(call)
    commands = call.recorded(0.4, RecordingEnd.HANGUP)
    missed = call.one(RecordMissedCall, commands)
    assert missed.step == "recording"
    assert call.of(RegisterTicket) == []
    assert call.send(HungUp()) == []
    assert len(call.of(RecordMissedCall)) == 1


def test_hangup_reported_before_the_recording_waits_for_it() -> None:
    call = Call()
    recording(call)
    commands = call.send(HungUp())
    assert call.of(RecordMissedCall, commands) == []
    token = call.state.timer_token
    assert token is not None
    commands = call.recorded(7.0, RecordingEnd.HANGUP)
    assert commands[0] == CancelTimer(token)
    assert len(call.of(RegisterTicket)) == 1


def test_hangup_and_no_recording_ever_is_a_missed_call_after_the_grace_time() -> None:
    call = Call()
    recording(call)
    call.send(HungUp())
    commands = call.timeout()
    assert call.one(RecordMissedCall, commands).step == "recording"
    assert call.one(ReportOutcome, commands).outcome is Outcome.MISSED
    call.at(Step.ENDED)
