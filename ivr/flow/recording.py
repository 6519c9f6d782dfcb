"""Recording the caller's description and turning it into a ticket."""

from __future__ import annotations

from dataclasses import replace

from ivr.flow.actions import finish, missed, note, start_timer
from ivr.flow.commands import CancelTimer, Command, DispatcherReason, MissedReason, Outcome
from ivr.flow.config import FlowConfig
from ivr.flow.events import Event, PlaybackDone, RecordingDone, RecordingEnd, TicketRegistered, Timeout
from ivr.flow.state import State, Transition
from ivr.flow.transitions import announce, enter_dispatcher, recording_failed, register, start_recording
from ivr.flow.understanding import enter_understanding


def on_record_prompt(state: State, event: Event, config: FlowConfig) -> Transition:
    # Keys are ignored here: '#' pressed early must not end a recording not yet started.
    if isinstance(event, PlaybackDone) and event.playback_id == state.playback_id:
        return start_recording(replace(state, playback_id=None), config)
    return state, []


def on_recording(state: State, event: Event, config: FlowConfig) -> Transition:
    if isinstance(event, RecordingDone) and event.name == state.recording_name:
        return _recording_done(state, event, config)
    if isinstance(event, Timeout) and state.hung_up and event.token == state.timer_token:
        # The caller hung up and Asterisk never said what became of the recording.
        state, cmds = missed(replace(state, timer_token=None), MissedReason.HANGUP)
        state, more = finish(state, Outcome.MISSED)
        return state, cmds + more
    return state, []


def on_hangup_while_recording(state: State, config: FlowConfig) -> Transition:
    """Asterisk sends RecordingFinished before StasisEnd, but wait for it a little anyway."""
    state = replace(state, hung_up=True)
    return start_timer(state, config.recording_grace_seconds)


def _recording_done(state: State, event: RecordingDone, config: FlowConfig) -> Transition:
    spoken = event.talking_seconds if event.talking_seconds is not None else event.duration_seconds
    state = note(state, f"recording:{event.reason.value}:{spoken:.1f}s")
    cmds: list[Command] = []
    if state.timer_token is not None:
        cmds.append(CancelTimer(state.timer_token))
        state = replace(state, timer_token=None)
    hung_up = state.hung_up or event.reason is RecordingEnd.HANGUP
    state = replace(state, hung_up=hung_up)
    if spoken >= config.min_recording_seconds and config.confirm_understanding and not hung_up and not state.leaving_message:
        state, more = enter_understanding(state, config, spoken)
    elif spoken >= config.min_recording_seconds:
        # Registered even when the caller has gone: what they said is the request.
        state, more = register(state, spoken)
    elif hung_up:
        state, more = missed(state, MissedReason.HANGUP)
        state, end = finish(state, Outcome.MISSED)
        more += end
    else:
        state, more = recording_failed(state, config)
    return state, cmds + more


def on_registering(state: State, event: Event, config: FlowConfig) -> Transition:
    if not isinstance(event, TicketRegistered):
        return state, []
    state = note(replace(state, registered=event.number), f"ticket:{event.number}")
    if state.hung_up:
        return finish(state, Outcome.TICKET_REGISTERED)
    if state.then_dispatcher:
        # The words may tell of an emergency: the ticket exists, a person hears the caller now.
        state = replace(state, then_dispatcher=False)
        return enter_dispatcher(state, config, DispatcherReason.UNSURE_EMERGENCY, related=event.number)
    return announce(state, event)
