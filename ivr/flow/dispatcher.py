"""Waiting for a dispatcher (music on hold) and what happens when none answers."""

from __future__ import annotations

from dataclasses import replace

from ivr.flow.actions import note, quiet
from ivr.flow.commands import PlayMusicOnHold
from ivr.flow.config import FlowConfig
from ivr.flow.events import DispatcherAnswered, Event, NoDispatcher, PlaybackDone, Timeout
from ivr.flow.state import State, Step, Transition
from ivr.flow.transitions import enter_leave_message


def on_waiting(state: State, event: Event, config: FlowConfig) -> Transition:
    if isinstance(event, PlaybackDone) and event.playback_id == state.playback_id:
        return replace(state, playback_id=None, on_hold=True), [PlayMusicOnHold()]
    if isinstance(event, DispatcherAnswered):
        # The executor has bridged the dispatcher in; ringing is over on its side.
        state = note(replace(state, ringing=False), f"dispatcher:answered:{event.extension}")
        state, cmds = quiet(state)
        return replace(state, step=Step.WITH_DISPATCHER), cmds
    if isinstance(event, NoDispatcher):
        return no_dispatcher(replace(state, ringing=False), config)
    if isinstance(event, Timeout) and event.token == state.timer_token:
        # Our guard fired before the executor reported: stop ringing ourselves.
        return no_dispatcher(replace(state, timer_token=None), config)
    return state, []


def no_dispatcher(state: State, config: FlowConfig) -> Transition:
    state, cmds = quiet(state)
    state, more = enter_leave_message(state, config)
    return state, cmds + more
