"""Waiting for a dispatcher (music on hold) and what happens when none answers."""

from __future__ import annotations

from dataclasses import replace

from ivr.flow.actions import end_with, note, play, quiet
from ivr.flow.commands import Outcome, PlayMusicOnHold, StopMusicOnHold
from ivr.flow.config import FlowConfig
from ivr.flow.events import DispatcherAnswered, Event, NoDispatcher, PlaybackDone, QueuePosition, Timeout
from ivr.flow.media import number, prompt
from ivr.flow.state import State, Step, Transition
from ivr.flow.transitions import enter_leave_message


def on_waiting(state: State, event: Event, config: FlowConfig) -> Transition:
    if isinstance(event, PlaybackDone) and event.playback_id == state.playback_id:
        if state.queue_position:
            # The place came while the connecting prompt played: told now, then the music.
            return play(replace(state, queue_position=0), position_media(state.queue_position),
                        Step.WAITING_DISPATCHER)
        return replace(state, playback_id=None, on_hold=True), [PlayMusicOnHold()]
    if isinstance(event, QueuePosition) and event.position > 0:
        if not state.on_hold:
            return replace(state, queue_position=event.position), []  # after the words playing
        # Told over the hold music, which comes back when the words end.
        state, cmds = play(replace(state, on_hold=False), position_media(event.position), Step.WAITING_DISPATCHER)
        return state, [StopMusicOnHold(), *cmds]
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
    if state.registered is not None:
        # The ticket exists (with the recording): the dispatchers see it; no second message.
        state, more = end_with(state, (prompt("callback-promise"), prompt("goodbye")), Outcome.TICKET_REGISTERED)
        return state, cmds + more
    state, more = enter_leave_message(state, config)
    return state, cmds + more


def position_media(position: int) -> tuple[str, ...]:
    """"Все диспетчеры заняты. Вы первый в очереди." / "... Ваш номер в очереди: три"."""
    if position == 1:
        return (prompt("queue-first"),)
    return (prompt("queue-position"), number(position))
