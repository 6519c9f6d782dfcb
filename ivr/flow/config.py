"""Tunable numbers and the key map of the call flow, with the defaults we run with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ivr.flow.choices import Category, Choice, Special
from ivr.flow.greeting import GreetingPlan

DTMF_KEYS = frozenset("0123456789*#")

DEFAULT_MENU_KEYS: Mapping[str, Choice] = MappingProxyType(
    {
        "1": Category.WATER_SEWER,
        "2": Category.HEATING,
        "3": Category.ELECTRICITY,
        "4": Category.LIFT,
        "5": Category.YARD,
        "6": Category.COMMON_PROPERTY,
        "0": Special.EMERGENCY,
        "9": Special.DISPATCHER,
    }
)


@dataclass(frozen=True)
class FlowConfig:
    # Seconds of silence after a menu prompt before it counts as "no input".
    input_timeout_seconds: float = 7.0
    # How many times a menu (or the recording prompt) is repeated after no/wrong input
    # before the caller is put through to a person.
    max_repeats: int = 2
    menu_keys: Mapping[str, Choice] = field(default_factory=lambda: DEFAULT_MENU_KEYS)
    open_ticket_dispatcher_key: str = "1"
    open_ticket_new_request_key: str = "2"
    # Grammar recognition of the spoken category; the menu works by keys without it.
    speech_enabled: bool = False
    listen_seconds: float = 5.0
    min_confidence: float = 0.6
    # Shared with the administrator's voice menu page, which changes it live.
    greeting: GreetingPlan = field(default_factory=GreetingPlan, compare=False, hash=False)
    max_recording_seconds: int = 120
    max_silence_seconds: int = 4
    # Less talk than this is an empty recording: a cough or the line noise before a hang-up.
    min_recording_seconds: float = 1.5
    dispatcher_ring_seconds: int = 60
    # Our own timer beyond the ring time, in case the executor never reports the outcome.
    dispatcher_grace_seconds: float = 10.0
    # After a hang-up during recording Asterisk sends RecordingFinished first; if it never
    # comes within this time, the call is logged as missed rather than left open.
    recording_grace_seconds: float = 5.0
    # Understand the recording during the call (needs a recogniser): when the words are unclear
    # the caller confirms the guess with a key, or is put through if it may be an emergency.
    confirm_understanding: bool = False
    understand_timeout_seconds: float = 20.0
    confirm_yes_key: str = "1"
    confirm_no_key: str = "2"
    # After a mass outage's announcement: this key leads to the normal menu; staying this long
    # (or pressing nothing) counts the caller in the outage.
    outage_other_key: str = "1"
    outage_wait_seconds: float = 5.0
    # With the building unknown, the announced outages are offered with these keys, in order.
    outage_offer_keys: tuple[str, ...] = ("2", "3", "4")

    def __post_init__(self) -> None:
        keys = [*self.menu_keys, self.open_ticket_dispatcher_key, self.open_ticket_new_request_key,
                self.confirm_yes_key, self.confirm_no_key, self.outage_other_key, *self.outage_offer_keys]
        bad = [k for k in keys if k not in DTMF_KEYS]
        if bad:
            raise ValueError(f"flow config: not DTMF keys: {bad}")
        if self.open_ticket_dispatcher_key == self.open_ticket_new_request_key:
            raise ValueError("flow config: open-ticket keys must differ")
        if "#" in self.menu_keys:
            raise ValueError("flow config: '#' ends recordings and cannot be a menu key")
        if self.confirm_yes_key == self.confirm_no_key:
            raise ValueError("flow config: confirmation keys must differ")
        if self.outage_other_key in self.outage_offer_keys or len(set(self.outage_offer_keys)) != len(
                self.outage_offer_keys):
            raise ValueError("flow config: outage keys must differ")
        if self.emergency_keys & {self.outage_other_key, *self.outage_offer_keys}:
            raise ValueError("flow config: outage keys must differ from the emergency key")
        if self.max_repeats < 0:
            raise ValueError("flow config: max_repeats must be >= 0")
        for name in ("input_timeout_seconds", "listen_seconds", "max_recording_seconds",
                     "max_silence_seconds", "dispatcher_ring_seconds", "understand_timeout_seconds",
                     "outage_wait_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"flow config: {name} must be positive")

    @property
    def emergency_keys(self) -> frozenset[str]:
        """Keys that reach the emergency dispatcher from any menu and during the greeting."""
        return frozenset(k for k, c in self.menu_keys.items() if c is Special.EMERGENCY)
