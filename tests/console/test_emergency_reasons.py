"""An emergency found in a transcript pops on every console with its reasons in Russian."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cti.console.hub import DISPATCHERS, ConsoleHub
from cti.telephony import ConsoleTicketEvents
from journal import Database
from journal.models import Ticket


class RecordingHub(ConsoleHub):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[Any, str | Iterable[str]]] = []

    def publish(self, message: Any, to: str | Iterable[str] = "all") -> int:
        self.sent.append((message, to))
        return 0


async def test_reasons_are_said_in_russian() -> None:
    hub = RecordingHub()
    ticket = Ticket(id=7, number="2026-000007", category="sewer", priority="emergency", status="new",
                    caller_phone="79160000001", caller_name=None, transcript="в подвале нечистоты по колено",
                    transcript_status="done")
    db = Database.from_url("sqlite+aiosqlite:///:memory:")
    await ConsoleTicketEvents(hub, db).emergency_detected(ticket, ["sewage_overflow", "meaning"])
    await db.close()
    [(message, to)] = hub.sent
    payload = message.body()
    assert message.TYPE == "screen_pop" and to == DISPATCHERS  # every dispatcher's screen
    assert payload["emergency"] is True and payload["extension"] is None
    assert payload["reasons"] == ["излив канализации", "похоже на аварию по смыслу слов"]
