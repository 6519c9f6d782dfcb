"""A mass outage announced before the menu, so its callers need no dispatcher.

A caller of an affected building hears the outage's announcement and the restoration time,
then «нажмите 1, если у вас другая проблема; оставайтесь на линии, чтобы вас учли». Staying
(or a hang-up after the announcement was heard) counts them in the outage: a child ticket, no
dispatcher rung, «вам сообщат о восстановлении». Key 1 leads to the normal menu. A caller
whose building is unknown hears the few announced outages by street, one key each.

Anything going wrong here (a prompt that fails to play, a count that fails) leads to the
normal menu: an outage never stands between a caller and a dispatcher.
"""

from __future__ import annotations

from dataclasses import replace

from ivr.flow.actions import drop, end_with, enter_menu, finish, note, play, quiet, start_timer
from ivr.flow.commands import CountOutageCaller, DispatcherReason, Outcome
from ivr.flow.config import FlowConfig
from ivr.flow.events import Dtmf, Event, OutageNotice, PlaybackDone, Restoration, TicketRegistered, Timeout
from ivr.flow.media import PROMPT_DIR, number, plural_form, prompt
from ivr.flow.state import State, Step, Transition
from ivr.flow.transitions import after_greeting, enter_dispatcher


def outage_prompt(outage_id: int, part: str) -> str:
    """The outage's own prompts, made from its texts when it is declared or changed."""
    return f"sound:{PROMPT_DIR}/outage-{outage_id}-{part}"


def restoration_media(restoration: Restoration) -> tuple[str, ...]:
    """«Ориентировочно до восемнадцати часов тридцати минут» in the words of the core sounds:
    «ориентировочно до | восемнадцать | часов | тридцать | минут». Minutes are rounded up to
    five, so they always take the form «минут»; a whole hour is said without them."""
    hour, minute = restoration.hour, -(-restoration.minute // 5) * 5
    tomorrow = restoration.tomorrow
    if minute == 60:
        hour, minute = hour + 1, 0
        if hour == 24:
            hour, tomorrow = 0, True
    lead = prompt("outage-until-tomorrow" if tomorrow else "outage-until")
    minutes = (number(minute), prompt("at-minutes")) if minute else ()
    return (lead, number(hour), prompt(f"at-hour-{plural_form(hour)}"), *minutes)


def announcement_media(notice: OutageNotice) -> tuple[str, ...]:
    until = restoration_media(notice.restoration) if notice.restoration is not None else ()
    return (outage_prompt(notice.outage_id, "text"), *until)


def announce_or_menu(state: State, config: FlowConfig) -> Transition:
    """After the greeting: the outage first, when there is one for this caller."""
    if state.outage is not None:
        return enter_outage_menu(state, config)
    if state.offered:
        return enter_outage_offer(state, config)
    return after_greeting(state, config)


def enter_outage_menu(state: State, config: FlowConfig, retry: str | None = None) -> Transition:
    notice = state.outage
    assert notice is not None
    return enter_menu(state, Step.OUTAGE_MENU, noted=f"outage:{notice.outage_id}", intro=announcement_media(notice),
                      menu=(prompt("outage-menu"),), retry=retry)


def enter_outage_offer(state: State, config: FlowConfig) -> Transition:
    state = note(replace(state, failures=0), "outage_offer:" + ",".join(str(n.outage_id) for n in state.offered))
    media: tuple[str, ...] = ()
    for notice, key in zip(state.offered, config.outage_offer_keys, strict=False):
        media += (outage_prompt(notice.outage_id, "offer"), prompt(f"press-{key}"))
    return play(state, media, Step.OUTAGE_OFFER)


def to_menu(state: State, config: FlowConfig) -> Transition:
    """The caller has another problem (or the outage part failed): the normal menu."""
    return after_greeting(replace(state, outage=None, offered=(), outage_by_key=False), config)


def count(state: State) -> Transition:
    notice = state.outage
    assert notice is not None
    state = note(state, "outage:counted")
    state = replace(state, step=Step.OUTAGE_COUNTING)
    return state, [CountOutageCaller(state.call_id, state.caller_number, state.caller_name, notice.outage_id,
                                     state.history)]


def on_outage_menu(state: State, event: Event, config: FlowConfig) -> Transition:
    if isinstance(event, PlaybackDone) and event.playback_id == state.playback_id:
        state = replace(state, playback_id=None, outage_heard=True)
        return start_timer(state, config.outage_wait_seconds)
    if isinstance(event, Timeout) and event.token == state.timer_token:
        return count(replace(state, timer_token=None))
    if isinstance(event, Dtmf):
        state, cmds = quiet(note(state, f"key:{event.digit}"))
        if event.digit in config.emergency_keys:
            state, more = enter_dispatcher(state, config, DispatcherReason.EMERGENCY)
        elif event.digit == config.outage_other_key:
            state, more = to_menu(note(state, "outage:other"), config)
        else:
            state = replace(state, failures=state.failures + 1)
            if state.failures > config.max_repeats:
                state, more = count(state)
            else:
                state, more = enter_outage_menu(state, config, "invalid-choice")
        return state, cmds + more
    return state, []


def on_outage_offer(state: State, event: Event, config: FlowConfig) -> Transition:
    if isinstance(event, PlaybackDone) and event.playback_id == state.playback_id:
        return start_timer(replace(state, playback_id=None), config.outage_wait_seconds)
    if isinstance(event, Timeout) and event.token == state.timer_token:
        return to_menu(replace(state, timer_token=None), config)
    if isinstance(event, Dtmf):
        state, cmds = quiet(note(state, f"key:{event.digit}"))
        keys = dict(zip(config.outage_offer_keys, state.offered, strict=False))
        if event.digit in config.emergency_keys:
            state, more = enter_dispatcher(state, config, DispatcherReason.EMERGENCY)
        elif event.digit in keys:
            state = replace(state, outage=keys[event.digit], offered=(), outage_by_key=True)
            state, more = count(state)
        else:
            state, more = to_menu(state, config)
        return state, cmds + more
    return state, []


def on_outage_counting(state: State, event: Event, config: FlowConfig) -> Transition:
    if not isinstance(event, TicketRegistered):
        return state, []
    if state.hung_up:
        return finish(state, Outcome.TICKET_REGISTERED)
    notice = state.outage
    assert notice is not None
    # Picked from the offer, the caller has not heard the announcement yet.
    details = announcement_media(notice) if state.outage_by_key else ()
    return end_with(state, (*details, prompt("outage-counted"), prompt("goodbye")), Outcome.TICKET_REGISTERED)


def on_outage_hangup(state: State) -> Transition | None:
    """A hang-up in the outage part; None when the usual missed call applies."""
    if state.step is Step.OUTAGE_COUNTING:
        return replace(state, hung_up=True), []
    if state.step is Step.OUTAGE_MENU and state.outage_heard:
        # They heard the announcement to the end: informed, and counted like those who stayed.
        state, cmds = drop(replace(state, hung_up=True))
        state, more = count(state)
        return state, cmds + more
    return None


def on_outage_error(state: State, config: FlowConfig) -> Transition | None:
    """An error in the outage part; None when the caller has gone (the usual ending applies)."""
    if state.hung_up:
        return None
    state, cmds = quiet(state)
    state, more = to_menu(state, config)
    return state, cmds + more


__all__ = [
    "announce_or_menu", "announcement_media", "on_outage_counting", "on_outage_error", "on_outage_hangup",
    "on_outage_menu", "on_outage_offer", "outage_prompt", "restoration_media",
]
