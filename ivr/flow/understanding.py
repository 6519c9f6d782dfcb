"""After the recording: what the words said, and one question when they were unclear.

With ``FlowConfig.confirm_understanding`` the recording is understood during the call:

- clear words: the ticket is registered as usual;
- an emergency in the words, or unclear words that may tell of one: the ticket is registered
  (the recording stays on it) and the caller is put through to a dispatcher;
- unclear words otherwise: one question, «Вы сообщаете о протечке воды? Нажмите 1 — да,
  2 — нет»; yes files the guessed category, no (or silence) keeps the key the caller pressed.

Nothing here may lose what the caller said: a hang-up, a timeout or an error while
understanding or asking still registers the ticket.
"""

from __future__ import annotations

from dataclasses import replace

from ivr.flow.actions import note, play, quiet, start_timer
from ivr.flow.commands import UnderstandRecording
from ivr.flow.config import FlowConfig
from ivr.flow.events import Dtmf, Event, PlaybackDone, RecordingUnderstood, Timeout
from ivr.flow.media import prompt
from ivr.flow.state import State, Step, Transition
from ivr.flow.transitions import register


def enter_understanding(state: State, config: FlowConfig, spoken: float) -> Transition:
    name = state.recording_name
    assert name is not None
    state = replace(state, recorded_seconds=spoken)
    state, cmds = play(state, (prompt("one-moment"),), Step.UNDERSTANDING)
    state, timer = start_timer(state, config.understand_timeout_seconds)
    return state, [*cmds, UnderstandRecording(name), *timer]


def on_understanding(state: State, event: Event, config: FlowConfig) -> Transition:
    if isinstance(event, RecordingUnderstood):
        state, cmds = quiet(state)
        state, more = _decide(state, event, config)
        return state, cmds + more
    if isinstance(event, Timeout) and event.token == state.timer_token:
        state, cmds = quiet(note(replace(state, timer_token=None), "understood:timeout"))
        state, more = register_now(state)
        return state, cmds + more
    if isinstance(event, PlaybackDone) and event.playback_id == state.playback_id:
        return replace(state, playback_id=None), []
    return state, []


def _decide(state: State, event: RecordingUnderstood, config: FlowConfig) -> Transition:
    topic = event.topic or "nothing"
    sure = "sure" if event.confident else "unsure"
    state = note(state, f"understood:{topic}:{sure}" + (":emergency" if event.emergency else ""))
    if event.emergency or (not event.confident and event.possibly_emergency):
        return register_now(replace(state, then_dispatcher=True))
    if event.confident or event.category is None or event.topic is None:
        return register_now(state)
    state = replace(state, guess=event.category)
    state, cmds = play(state, (prompt(f"confirm-{event.topic}"), prompt("confirm-keys")), Step.CONFIRMING)
    return state, cmds


def on_confirming(state: State, event: Event, config: FlowConfig) -> Transition:
    if isinstance(event, PlaybackDone) and event.playback_id == state.playback_id:
        return start_timer(replace(state, playback_id=None), config.input_timeout_seconds)
    answer: str | None = None
    if isinstance(event, Dtmf):
        if event.digit == config.confirm_yes_key:
            answer = "yes"
        elif event.digit == config.confirm_no_key:
            answer = "no"
        elif event.digit in config.emergency_keys:
            answer = "emergency"
        else:
            return state, []  # a stray key: the question stands
    elif isinstance(event, Timeout) and event.token == state.timer_token:
        state, answer = replace(state, timer_token=None), "none"
    if answer is None:
        return state, []
    state, cmds = quiet(note(state, f"confirmed:{answer}"))
    if answer == "yes" and state.guess is not None:
        state = note(replace(state, category=state.guess), f"category:{state.guess.value}")
    if answer == "emergency":
        state = replace(state, then_dispatcher=True)
    state, more = register_now(replace(state, guess=None))
    return state, cmds + more


def register_now(state: State) -> Transition:
    return register(state, state.recorded_seconds)
