"""Waiting for a dispatcher: music on hold, answered, nobody answers, leaving a message."""

from __future__ import annotations

from ivr.flow import (
    CancelDispatcherCall,
    CancelTimer,
    Category,
    ConnectToDispatcher,
    DeadlineWithin,
    DispatcherAnswered,
    DispatcherReason,
    Dtmf,
    FlowConfig,
    HungUp,
    NoDispatcher,
    Outcome,
    Play,
    PlayMusicOnHold,
    Priority,
    QueuePosition,
    RecordingEnd,
    RecordMissedCall,
    RegisterTicket,
    ReportOutcome,
    StartTimer,
    Step,
    StopMusicOnHold,
    StopPlayback,
    TicketRegistered,
)
from tests.flow.driver import Call, prompt
from tests.flow.scenarios import message_recording, on_hold, open_ticket_menu, waiting_dispatcher


def test_music_on_hold_after_the_connecting_prompt() -> None:
    call = Call()
    waiting_dispatcher(call)
    config = FlowConfig()
    connect = call.one(ConnectToDispatcher)
    assert connect.ring_seconds == config.dispatcher_ring_seconds
    guard = call.of(StartTimer)[-1]
    assert guard.seconds == config.dispatcher_ring_seconds + config.dispatcher_grace_seconds
    assert call.played() == [PlayMusicOnHold()]
    assert call.send(Dtmf("1")) == []  # keys mean nothing while on hold


def test_dispatcher_answers() -> None:
    call = Call()
    on_hold(call)
    token = call.state.timer_token
    assert token is not None
    commands = call.send(DispatcherAnswered("101"))
    assert commands == [StopMusicOnHold(), CancelTimer(token)]
    call.at(Step.WITH_DISPATCHER)
    commands = call.send(HungUp())
    assert commands == [ReportOutcome(Outcome.DISPATCHER_ANSWERED, call.state.history)]
    assert "dispatcher:answered:101" in call.state.history
    assert call.of(RecordMissedCall) == []


def test_dispatcher_answers_during_the_connecting_prompt() -> None:
    call = Call()
    waiting_dispatcher(call)
    playing = call.state.playback_id
    assert playing is not None
    commands = call.send(DispatcherAnswered("102"))
    assert commands[0] == StopPlayback(playing)
    assert call.of(StopMusicOnHold, commands) == []


def test_nobody_answers_the_caller_leaves_a_message_that_becomes_an_urgent_ticket() -> None:
    call = Call()
    on_hold(call)
    commands = call.send(NoDispatcher())
    assert commands[0] == StopMusicOnHold()
    assert call.of(CancelDispatcherCall, commands) == []  # the executor already gave up
    assert call.one(Play, commands).media == (prompt("no-dispatcher"), "sound:beep")
    call.played()
    commands = call.recorded(12.0, RecordingEnd.TERMINATED)
    ticket = call.one(RegisterTicket, commands)
    assert ticket.priority is Priority.EMERGENCY
    assert ticket.callback_due
    assert ticket.category is None
    assert "dispatcher:emergency" in ticket.history and "dispatcher:no_answer" in ticket.history
    commands = call.send(TicketRegistered("000200", None, DeadlineWithin(1)))
    media = call.one(Play, commands).media
    assert media[-2:] == (prompt("callback-promise"), prompt("goodbye"))


def test_our_guard_timer_stops_the_ringing_if_the_executor_never_reports() -> None:
    call = Call()
    on_hold(call)
    commands = call.timeout()
    assert CancelDispatcherCall() in commands and StopMusicOnHold() in commands
    call.at(Step.RECORD_PROMPT)
    assert call.state.leaving_message


def test_repeat_caller_message_is_linked_to_the_open_ticket() -> None:
    call = Call()
    open_ticket_menu(call)
    call.send(Dtmf("1"))
    call.send(NoDispatcher())
    call.played()
    commands = call.recorded(5.0)
    assert call.one(RegisterTicket, commands).related_ticket == "000123"


def test_category_is_kept_when_a_silent_caller_went_to_a_dispatcher() -> None:
    call = Call(FlowConfig(max_repeats=0))
    call.start()
    call.played()
    call.send(Dtmf("4"))
    call.played()
    call.recorded(0.0)
    assert call.one(ConnectToDispatcher).reason is DispatcherReason.NO_DESCRIPTION
    call.send(NoDispatcher())
    call.played()
    assert call.one(RegisterTicket, call.recorded(3.0)).category is Category.LIFT


def test_no_message_either_is_a_missed_call_with_a_callback_promise() -> None:
    call = Call()
    message_recording(call)
    call.recorded(0.0)
    call.played()
    call.recorded(0.0)
    call.played()
    commands = call.recorded(0.0)
    missed = call.one(RecordMissedCall, commands)
    assert missed.step == "no_dispatcher/recording"
    assert call.one(Play, commands).media == (prompt("callback-promise"), prompt("goodbye"))
    call.played()
    assert call.one(ReportOutcome).outcome is Outcome.MISSED
    assert call.of(ConnectToDispatcher) and len(call.of(ConnectToDispatcher)) == 1


def test_a_caller_behind_others_hears_their_place_over_the_hold_music() -> None:
    call = Call()
    on_hold(call)
    commands = call.send(QueuePosition(3))
    assert commands[0] == StopMusicOnHold()
    assert call.one(Play, commands).media == (prompt("queue-position"), "number:3")
    assert call.played() == [PlayMusicOnHold()]  # the music comes back after the words
    call.at(Step.WAITING_DISPATCHER)
    commands = call.send(QueuePosition(1))
    assert call.one(Play, commands).media == (prompt("queue-first"),)
    # A dispatcher answering over the words cuts them.
    playing = call.state.playback_id
    assert playing is not None
    assert call.send(DispatcherAnswered("101"))[0] == StopPlayback(playing)
    call.at(Step.WITH_DISPATCHER)


def test_the_place_is_told_after_the_connecting_prompt_not_over_it() -> None:
    call = Call()
    waiting_dispatcher(call)
    assert call.send(QueuePosition(2)) == []
    assert call.played() == [Play((prompt("queue-position"), "number:2"), call.state.playback_id or "")]
    assert call.played() == [PlayMusicOnHold()]
