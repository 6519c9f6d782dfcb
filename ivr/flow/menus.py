"""The greeting and the two key menus (open ticket, category)."""

from __future__ import annotations

from dataclasses import replace

from ivr.flow.actions import note, quiet, start_timer
from ivr.flow.choices import Category, Choice, Special
from ivr.flow.commands import DispatcherReason, ListenForChoice
from ivr.flow.config import FlowConfig
from ivr.flow.events import Dtmf, Event, PlaybackDone, SpokenChoice, Timeout
from ivr.flow.outage import announce_or_menu
from ivr.flow.state import State, Step, Transition
from ivr.flow.transitions import enter_category_menu, enter_dispatcher, enter_record_prompt, menu_failed


def on_greeting(state: State, event: Event, config: FlowConfig) -> Transition:
    if isinstance(event, PlaybackDone) and event.playback_id == state.playback_id:
        return announce_or_menu(replace(state, playback_id=None), config)
    # The safety notice is not skippable, except by someone who already knows it is an
    # emergency: the emergency key cuts the greeting short.
    if isinstance(event, Dtmf) and event.digit in config.emergency_keys:
        state, cmds = quiet(note(state, f"key:{event.digit}"))
        state, more = enter_dispatcher(state, config, DispatcherReason.EMERGENCY)
        return state, cmds + more
    return state, []


def on_menu(state: State, event: Event, config: FlowConfig) -> Transition:
    if isinstance(event, PlaybackDone) and event.playback_id == state.playback_id:
        return _await_input(replace(state, playback_id=None), config)
    if isinstance(event, Timeout) and event.token == state.timer_token:
        state, cmds = quiet(note(replace(state, timer_token=None), "timeout"))
        state, more = menu_failed(state, config, "no-input")
        return state, cmds + more
    if isinstance(event, Dtmf):
        # Keys barge in: the prompt is stopped and the key acted on at once.
        state, cmds = quiet(note(state, f"key:{event.digit}"))
        state, more = _on_key(state, event.digit, config)
        return state, cmds + more
    if isinstance(event, SpokenChoice) and state.listening:
        return _on_spoken(replace(state, listening=False), event, config)
    return state, []


def _await_input(state: State, config: FlowConfig) -> Transition:
    state, cmds = start_timer(state, config.input_timeout_seconds)
    if state.step is Step.CATEGORY_MENU and config.speech_enabled:
        choices: tuple[Choice, ...] = (*Category, *Special)
        cmds.append(ListenForChoice(choices, config.listen_seconds))
        state = replace(state, listening=True)
    return state, cmds


def _on_key(state: State, digit: str, config: FlowConfig) -> Transition:
    if digit in config.emergency_keys:
        return enter_dispatcher(state, config, DispatcherReason.EMERGENCY)
    if state.step is Step.OPEN_TICKET_MENU:
        if digit == config.open_ticket_dispatcher_key:
            return enter_dispatcher(state, config, DispatcherReason.REPEAT_CALLER)
        if digit == config.open_ticket_new_request_key:
            return enter_category_menu(state, config)
        return menu_failed(state, config, "invalid-choice")
    choice = config.menu_keys.get(digit)
    if choice is None:
        return menu_failed(state, config, "invalid-choice")
    return _on_choice(state, choice, config)


def _on_spoken(state: State, event: SpokenChoice, config: FlowConfig) -> Transition:
    heard = event.choice.value if event.choice is not None else "nothing"
    state, cmds = quiet(note(state, f"said:{heard}@{event.confidence:.2f}"))
    if event.choice is None or event.confidence < config.min_confidence:
        state, more = menu_failed(state, config, "not-recognized")
    else:
        state, more = _on_choice(state, event.choice, config)
    return state, cmds + more


def _on_choice(state: State, choice: Choice, config: FlowConfig) -> Transition:
    if choice is Special.EMERGENCY:
        return enter_dispatcher(state, config, DispatcherReason.EMERGENCY)
    if choice is Special.DISPATCHER:
        return enter_dispatcher(state, config, DispatcherReason.REQUESTED)
    state = note(replace(state, category=choice), f"category:{choice.value}")
    return enter_record_prompt(state, config)
