"""Small state-and-command building blocks the transitions are made of.

Each returns the new state and the commands for it, so transitions read as a sequence of
``state, cmds = ...`` lines and nothing outside this module touches ``seq`` or the ids.
"""

from __future__ import annotations

from dataclasses import replace

from ivr.flow.commands import (
    CancelDispatcherCall,
    CancelTimer,
    Command,
    Hangup,
    MissedReason,
    Outcome,
    Play,
    RecordMissedCall,
    ReportOutcome,
    StartTimer,
    StopListening,
    StopMusicOnHold,
    StopPlayback,
)
from ivr.flow.media import prompt
from ivr.flow.state import State, Step, Transition


def note(state: State, *entries: str) -> State:
    """Append to the call's history, which travels with the ticket or the missed call."""
    return replace(state, history=state.history + entries)


def play(state: State, media: tuple[str, ...], step: Step) -> Transition:
    seq = state.seq + 1
    playback_id = f"{state.call_id}:play:{seq}"
    state = replace(state, seq=seq, playback_id=playback_id, step=step)
    return state, [Play(media, playback_id)]


def enter_menu(state: State, step: Step, *, noted: str, intro: tuple[str, ...], menu: tuple[str, ...],
               retry: str | None) -> Transition:
    """Enter a menu. The first time: note it in the history, count failures from zero and play
    ``intro`` before the ``menu``; a retry (no or a wrong key) plays the ``retry`` prompt first."""
    if retry is None:
        return play(note(replace(state, failures=0), noted), (*intro, *menu), step)
    return play(state, (prompt(retry), *menu), step)


def start_timer(state: State, seconds: float) -> Transition:
    seq = state.seq + 1
    return replace(state, seq=seq, timer_token=seq), [StartTimer(seconds, seq)]


def _release(state: State, *, channel_alive: bool) -> Transition:
    cmds: list[Command] = []
    if channel_alive and state.playback_id is not None:
        cmds.append(StopPlayback(state.playback_id))
    if channel_alive and state.on_hold:
        cmds.append(StopMusicOnHold())
    # Timers, the recogniser and the dispatchers' phones are ours, not the channel's:
    # they must be stopped even after the caller has gone.
    if state.timer_token is not None:
        cmds.append(CancelTimer(state.timer_token))
    if state.listening:
        cmds.append(StopListening())
    if state.ringing:
        cmds.append(CancelDispatcherCall())
    state = replace(
        state, playback_id=None, timer_token=None, listening=False, on_hold=False, ringing=False
    )
    return state, cmds


def quiet(state: State) -> Transition:
    """Stop whatever is in flight (prompt, hold music, timer, recogniser, ringing)."""
    return _release(state, channel_alive=True)


def drop(state: State) -> Transition:
    """Like quiet, after the caller hung up: nothing is sent to the dead channel."""
    return _release(state, channel_alive=False)


def finish(state: State, outcome: Outcome) -> Transition:
    state = replace(state, step=Step.ENDED, pending_outcome=None)
    return state, [ReportOutcome(outcome, state.history)]


def end_with(state: State, media: tuple[str, ...], outcome: Outcome) -> Transition:
    """Say the last words; Hangup and the outcome follow when they have played."""
    state, cmds = play(state, media, Step.ENDING)
    return replace(state, pending_outcome=outcome), cmds


def hang_up(state: State) -> Transition:
    outcome = state.pending_outcome or Outcome.FAILED
    state, cmds = finish(state, outcome)
    return state, [Hangup(), *cmds]


def missed(state: State, reason: MissedReason, recording_name: str | None = None) -> Transition:
    state = note(state, f"missed:{reason.value}")
    return state, [
        RecordMissedCall(
            call_id=state.call_id,
            caller_number=state.caller_number,
            caller_name=state.caller_name,
            reason=reason,
            step=state.where,
            recording_name=recording_name,
            history=state.history,
        )
    ]
