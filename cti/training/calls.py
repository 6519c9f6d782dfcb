"""Placing scripted calls: on the Asterisk stand-in the service runs in demo mode.

With a real Asterisk there is no caller to script (an AMI Originate of a Local channel would
ring the hotline, but nobody would press keys or speak), so test calls and training need the
stand-in; :class:`NoStandIn` says so in Russian and the pages explain it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)

NO_STANDIN = ("Учебные и тестовые звонки работают только со встроенным имитатором АТС (демо-режим без "
              "ari.url). С настоящей Asterisk позвоните на номер горячей линии с телефона.")


class NoStandIn(Exception):
    def __init__(self) -> None:
        super().__init__(NO_STANDIN)


@dataclass(frozen=True)
class CallRequest:
    number: str
    name: str = ""
    keys: str = ""
    first_key_at: float = 12.0  # after the hotline's 11-second greeting (only 0 interrupts it)
    say: Path | None = None  # 8 kHz mono wav spoken into the first recording
    hangup_after: float | None = None
    args: tuple[str, ...] = ()  # Stasis arguments: ("training", ext, run id) for a training call


class CallPlacer(Protocol):
    @property
    def available(self) -> bool: ...

    def place(self, request: CallRequest) -> str:
        """Start the call; returns its channel id."""
        ...

    def hangup(self, channel_id: str) -> bool: ...

    def ensure_extension(self, extension: str) -> None:
        """The dispatcher's phone exists and answers (a trainee's extension on the stand-in)."""
        ...


class StandInCalls:
    """Calls on an in-process pbxsim.PbxSim (imported lazily: production never loads it)."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim

    @property
    def available(self) -> bool:
        return True

    def place(self, request: CallRequest) -> str:
        from pbxsim import CallScript

        script = CallScript.simple(request.number, request.keys, first_key_at=request.first_key_at,
                                   caller_name=request.name, say=request.say, hangup_after=request.hangup_after,
                                   args=request.args)
        handle = self.sim.place_call(script)
        log.info("testcall.placed", channel=handle.id, number=request.number, keys=request.keys,
                 training=bool(request.args))
        return str(handle.id)

    def hangup(self, channel_id: str) -> bool:
        return bool(self.sim.hangup(channel_id))

    def ensure_extension(self, extension: str) -> None:
        from pbxsim import Extension

        self.sim.config.extensions.setdefault(extension, Extension(extension))


class NoCalls:
    """A real Asterisk: nothing to script."""

    @property
    def available(self) -> bool:
        return False

    def place(self, request: CallRequest) -> str:
        raise NoStandIn()

    def hangup(self, channel_id: str) -> bool:
        return False

    def ensure_extension(self, extension: str) -> None:
        return None
