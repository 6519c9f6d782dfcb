"""The dispatchers' side of a call as the voice menu sees it: who can take a call now, and the
screen that must show the card when their phone rings (the console implements this)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class CallCard:
    """What pops on the dispatcher's screen."""

    call_id: str
    caller_number: str
    caller_name: str
    emergency: bool
    reason: str
    category: str | None = None
    related_ticket: str | None = None
    ticket_id: int | None = None
    ticket_number: str | None = None


class DispatcherDesk(Protocol):
    async def free_dispatchers(self, emergency: bool) -> Sequence[str]:
        """Extensions to ring, in turn: on shift and not on a call."""
        ...

    async def ringing(self, extension: str | None, card: CallCard) -> None:
        """Their phone rings now (None: every dispatcher, for an emergency)."""
        ...

    async def answered(self, extension: str, card: CallCard) -> None: ...

    async def call_state(self, call_id: str, state: str, info: dict[str, object]) -> None:
        """A call's progress for the live list: menu, recording, waiting, talking, ended."""
        ...

    async def ticket_registered(self, call_id: str, ticket_id: int) -> None:
        """The voice menu registered a ticket for this call (the consoles' work queue shows it).
        Must not raise: the caller is waiting to hear the number."""
        ...

    def together(self) -> AbstractAsyncContextManager[object]:
        """A scope whose journal changes commit together with what the desk tells the consoles
        in it (the console outbox: both or neither); where the consoles are told otherwise, it
        adds nothing."""
        ...


class TicketChanges(Protocol):
    """Where the phone lines (executors' service line, residents' rating call) report a ticket
    they changed, so the consoles show it live. Must not raise."""

    async def ticket_changed(self, ticket_id: int, change: str) -> None: ...

    def together(self) -> AbstractAsyncContextManager[object]:
        """As :meth:`DispatcherDesk.together`: the change and its report commit together."""
        ...


class NoChanges:
    async def ticket_changed(self, ticket_id: int, change: str) -> None:
        return None

    def together(self) -> AbstractAsyncContextManager[object]:
        return nullcontext()


@dataclass
class StaticDesk:
    """A fixed list of dispatcher extensions, each busy while we have them on a call; the
    console's desk replaces it with who is logged in and on shift."""

    extensions: Sequence[str]
    busy: set[str] = field(default_factory=set)
    log: list[tuple[str, str | None, CallCard]] = field(default_factory=list)
    registered: list[tuple[str, int]] = field(default_factory=list)  # (call id, ticket id)

    async def free_dispatchers(self, emergency: bool) -> Sequence[str]:
        return [e for e in self.extensions if e not in self.busy]

    async def ringing(self, extension: str | None, card: CallCard) -> None:
        self.log.append(("ringing", extension, card))

    async def answered(self, extension: str, card: CallCard) -> None:
        self.busy.add(extension)
        self.log.append(("answered", extension, card))

    async def call_state(self, call_id: str, state: str, info: dict[str, object]) -> None:
        if state == "ended" and isinstance(info.get("dispatcher"), str):
            self.busy.discard(str(info["dispatcher"]))

    async def ticket_registered(self, call_id: str, ticket_id: int) -> None:
        self.registered.append((call_id, ticket_id))

    def together(self) -> AbstractAsyncContextManager[object]:
        return nullcontext()
