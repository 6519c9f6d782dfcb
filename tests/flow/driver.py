"""Drives the pure call flow in tests: feeds events, keeps every command it produced."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from ivr.flow import (
    CallStarted,
    Command,
    Event,
    FlowConfig,
    OpenTicket,
    OutageNotice,
    Play,
    PlaybackDone,
    RecordingDone,
    RecordingEnd,
    State,
    Step,
    Timeout,
    step,
)

T = TypeVar("T")

CALL_ID = "1795433765.3"
CALLER = "79161234567"


@dataclass
class Call:
    config: FlowConfig = field(default_factory=FlowConfig)
    state: State = field(default_factory=State)
    log: list[Command] = field(default_factory=list)

    def send(self, *events: Event) -> list[Command]:
        """Feed events in order; return the commands they produced (also kept in log)."""
        out: list[Command] = []
        for event in events:
            self.state, commands = step(self.state, event, self.config)
            out.extend(commands)
        self.log.extend(out)
        return out

    # -- shortcuts for what the executor would report -------------------------------
    def start(
        self, open_ticket: OpenTicket | None = None, *, outage: OutageNotice | None = None,
        offered: tuple[OutageNotice, ...] = (),
    ) -> list[Command]:
        return self.send(CallStarted(CALL_ID, CALLER, "Иванова", open_ticket, outage=outage, offered=offered))

    def played(self) -> list[Command]:
        """The prompt now playing has finished."""
        assert self.state.playback_id is not None, f"nothing playing in {self.state.step}"
        return self.send(PlaybackDone(self.state.playback_id))

    def timeout(self) -> list[Command]:
        assert self.state.timer_token is not None, f"no timer in {self.state.step}"
        return self.send(Timeout(self.state.timer_token))

    def recorded(self, seconds: float, reason: RecordingEnd = RecordingEnd.SILENCE) -> list[Command]:
        assert self.state.recording_name is not None
        return self.send(RecordingDone(self.state.recording_name, seconds + 4, reason, seconds))

    def at(self, expected: Step) -> None:
        assert self.state.step is expected, f"at {self.state.step}, expected {expected}"

    # -- reading the log ---------------------------------------------------------------
    def of(self, kind: type[T], commands: list[Command] | None = None) -> list[T]:
        return [c for c in (self.log if commands is None else commands) if isinstance(c, kind)]

    def one(self, kind: type[T], commands: list[Command] | None = None) -> T:
        found = self.of(kind, commands)
        assert len(found) == 1, f"expected one {kind.__name__}, got {found}"
        return found[0]

    def last_media(self) -> tuple[str, ...]:
        return self.of(Play)[-1].media


def prompt(name: str) -> str:
    return f"sound:hotline/{name}"
