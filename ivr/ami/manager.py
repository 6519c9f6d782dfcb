"""panoramisk's Manager tamed: one instance per TCP session, no hidden reconnects or pings.

panoramisk 1.4 reconnects on its own after a lost connection, pings without checking the
answer and re-sends queued actions on FullyBooted from tasks it keeps no reference to. Our
client owns all of that, so this subclass only reports the loss and fails what was in flight.
Its framing is protocol.SessionProtocol's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from panoramisk import Manager  # type: ignore[import-untyped]

from ivr.ami.errors import AmiNotConnected
from ivr.ami.protocol import SessionProtocol


class SessionManager(Manager):  # type: ignore[misc]  # panoramisk ships no type hints
    def __init__(self, **config: Any) -> None:
        super().__init__(**{"protocol_factory": SessionProtocol, **config})
        # Drop panoramisk's own FullyBooted hook (re-sends actions from an unreferenced task).
        self.callbacks.clear()
        self.patterns.clear()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, f: asyncio.Future[Any]) -> None:
        if f.cancelled() or f.exception() is not None:
            return  # whoever awaits the connect task sees the error; no call_later reconnect
        super().connection_made(f)

    def ping(self) -> None:
        """Disabled: our watchdog pings and checks the answer."""

    def connection_lost(self, exc: Exception | None) -> None:
        self._connected = False
        pinger: asyncio.TimerHandle | None = getattr(self, "pinger", None)
        if pinger is not None:
            pinger.cancel()
            self.pinger = None
        self._fail_in_flight()
        if not self.lost.done():
            self.lost.set_result(None)

    def close(self) -> None:
        super().close()
        self._fail_in_flight()
        if not self.lost.done():
            self.lost.set_result(None)

    def _fail_in_flight(self) -> None:
        pending = list(self.awaiting_actions)
        self.awaiting_actions.clear()
        protocol = getattr(self, "protocol", None)
        if protocol is not None:
            pending.extend(protocol.responses.values())
            protocol.responses.clear()
        for action in pending:
            if not action.future.done():
                action.future.set_exception(AmiNotConnected("AMI connection lost"))
                action.future.exception()  # mark retrieved: the waiter may already have timed out
