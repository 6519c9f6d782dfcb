"""One Stasis application, several lines: the dialplan's Stasis arguments say which."""

from __future__ import annotations

from collections.abc import Mapping

from ..ari.dispatcher import CallHandler
from ..ari.session import CallSession


class LineRouter:
    """``Stasis(hotline)`` is the residents' hotline; ``Stasis(hotline,executor)`` the executors'
    service line. Dispatcher legs we originate carry ``dispatcher`` and are routed to the call
    that rang them before they ever reach here."""

    def __init__(self, default: CallHandler, lines: Mapping[str, CallHandler]) -> None:
        self.default = default
        self.lines = {"dispatcher": _orphan_leg, **lines}

    async def __call__(self, call: CallSession) -> None:
        line = call.args[0] if call.args else ""
        handler = self.lines.get(line, self.default)
        await handler(call)


async def _orphan_leg(call: CallSession) -> None:
    """A dispatcher's leg whose resident call is gone (e.g. we restarted while it rang)."""
    await call.hangup()
