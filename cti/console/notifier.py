"""ConsoleNotifier: the one way anything in ``cti`` tells the consoles something.

One method per outgoing message (messages.py holds the types), each choosing its audience.
Publishing never raises into the caller: a call flow or an API handler must not fail because a
console message could not be built; the failure is logged (``console.publish_failed``) and the
method returns 0 instead of a message id.

``together(db)`` opens the journal transaction in which a change and the messages about it are
made: on the outbox bus they commit together (cti/console/outbox_bus.py); in memory there is
nothing to commit with, and it opens none (SQLite's one writer is not held the longer for it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from cti.console.hub import ALL, DISPATCHERS, ConsoleHub
from cti.console.messages import (
    CALL_INFO,
    CallState,
    CardDetails,
    ConsoleMessage,
    MissedChanged,
    PbxState,
    PresenceChanged,
    ScreenPop,
    SecurityAlert,
    TicketRegistered,
    TicketUpdated,
)
from journal.db import Database

log = structlog.get_logger(__name__)


class ConsoleNotifier:
    def __init__(self, hub: ConsoleHub) -> None:
        self.hub = hub

    @asynccontextmanager
    async def together(self, db: Database) -> AsyncIterator[AsyncSession | None]:
        """The journal changes and the messages published in the body commit together; yields
        the transaction (None: no transaction is needed, the hub is in memory)."""
        if not self.hub.transactional:
            yield None
            return
        async with db.write() as session:
            yield session

    def _send(self, message: ConsoleMessage, to: str | Iterable[str]) -> int:
        try:
            return self.hub.publish(message, to)
        except Exception:
            log.exception("console.publish_failed", message_type=message.TYPE)
            return 0

    def screen_pop(self, extension: str | None, card: Mapping[str, Any], *, only_extension: bool = False) -> int:
        """Pop a call card. ``extension`` None, or an emergency, goes to every dispatcher on shift
        (unless ``only_extension``: a training call is its trainee's alone)."""
        emergency = bool(card.get("emergency")) or card.get("priority") == "emergency"
        to: str | Iterable[str] = DISPATCHERS
        if extension is not None and (only_extension or not emergency):
            to = f"ext:{extension}"
        return self._send(ScreenPop(extension, emergency, card), to)

    def card_details(self, extension: str | None, call_id: str, fields: Mapping[str, Any], *,
                     emergency: bool = False) -> int:
        """More of a card that already popped, to the same screens as its pop."""
        to: str | Iterable[str] = DISPATCHERS
        if extension is not None and not emergency:
            to = f"ext:{extension}"
        return self._send(CardDetails(call_id, fields), to)

    def ticket_updated(self, ticket_id: int, *, source: str = "web", **fields: Any) -> int:
        """A ticket changed; ``fields`` (e.g. ``transcript=...``) are merged into open cards as they are."""
        return self._send(TicketUpdated(ticket_id, fields, source), "staff")

    def ticket_registered(self, message: TicketRegistered) -> int:
        return self._send(message, "staff")

    def call_state(
        self, call_id: str, state: str, *, caller_number: str | None = None, caller_name: str | None = None,
        extension: str | None = None, ticket_id: int | None = None, only_extension: bool = False, **info: Any,
    ) -> int:
        """A call in progress changed state; the hub remembers the shift's calls until ``ended``."""
        unknown = set(info) - CALL_INFO
        if unknown:
            log.warning("console.call_info_dropped", keys=sorted(unknown), state=state)
        message = CallState(call_id, state, caller_number, caller_name, extension, ticket_id, info)
        to = f"ext:{extension}" if only_extension and extension else DISPATCHERS
        return self._send(message, to)

    def missed_changed(self, missed_id: int) -> int:
        return self._send(MissedChanged(missed_id), "staff")

    def presence(self, message: PresenceChanged) -> int:
        return self._send(message, DISPATCHERS)

    def pbx_state(self, connected: bool, *, node: str | None = None) -> int:
        return self._send(PbxState(connected, node), ALL)

    def security_alert(self, kind: str, message: str, *, login: str | None = None, address: str | None = None) -> int:
        return self._send(SecurityAlert(kind, message, login, address), "role:admin")
