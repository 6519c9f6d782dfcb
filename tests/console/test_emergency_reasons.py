"""An emergency found in a transcript pops on every console with its reasons in Russian."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cti.telephony import ConsoleTicketEvents
from cti.web.hub import ConsoleHub
from journal.models import Ticket


class RecordingHub(ConsoleHub):
    def __init__(self) -> None:
        super().__init__()
        self.pops: list[tuple[str | None, Mapping[str, Any]]] = []

    def screen_pop(self, extension: str | None, payload: Mapping[str, Any]) -> int:
        self.pops.append((extension, payload))
        return 0


async def test_reasons_are_said_in_russian() -> None:
    hub = RecordingHub()
    ticket = Ticket(id=7, number="2026-000007", category="sewer", priority="emergency", status="new",
                    caller_phone="79160000001", caller_name=None, transcript="в подвале нечистоты по колено",
                    transcript_status="done")
    await ConsoleTicketEvents(hub).emergency_detected(ticket, ["sewage_overflow", "meaning"])
    [(extension, payload)] = hub.pops
    assert extension is None and payload["emergency"] is True
    assert payload["reasons"] == ["излив канализации", "похоже на аварию по смыслу слов"]
