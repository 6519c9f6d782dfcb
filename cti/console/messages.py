"""Every message the console's websocket carries, one class per ``type``.

``static/*.js`` dispatch on ``msg.type``; tests/console/test_messages.py checks that the types
handled there are exactly the ones defined here. A message is built here and serialised by the
hub; nothing else in ``cti`` names a message type (see notifier.py, the one way to send them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Hello:
    """The first message of a connection (id 0): the hub's epoch, the calls in progress and the
    cards of the calls still live (what a console reopened by F5 shows again)."""

    TYPE: ClassVar[str] = "hello"
    epoch: str
    last_id: int
    pbx_connected: bool | None
    calls: Sequence[Mapping[str, Any]]
    cards: Sequence[Mapping[str, Any]]
    pbx_nodes: Mapping[str, bool] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "last_id": self.last_id, "pbx_connected": self.pbx_connected,
                "pbx_nodes": dict(self.pbx_nodes), "calls": list(self.calls), "cards": list(self.cards)}


@dataclass(frozen=True)
class Resync:
    """The hub forgot messages this console never got: reload what it shows."""

    TYPE: ClassVar[str] = "resync"

    def body(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class PbxState:
    """An Asterisk node's link came up or went down, said by the instance that runs the node."""

    TYPE: ClassVar[str] = "pbx_state"
    connected: bool
    node: str | None = None

    def body(self) -> dict[str, Any]:
        return {"connected": self.connected, "node": self.node}


# What a call's state may carry beyond the fields below; anything else is dropped (and logged).
CALL_INFO = frozenset({"outcome", "ticket_number", "emergency", "waiting_since", "position", "training",
                       "reason", "step"})


@dataclass(frozen=True)
class CallState:
    """A call in progress: ``state`` is menu, recording, waiting, talking or ended (the voice
    menu's), or ringing/ivr/queued/answered (older producers); the console labels each."""

    TYPE: ClassVar[str] = "call_state"
    call_id: str
    state: str
    caller_number: str | None = None
    caller_name: str | None = None
    extension: str | None = None
    ticket_id: int | None = None
    info: Mapping[str, Any] = field(default_factory=dict)  # keys of CALL_INFO

    def body(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "state": self.state, "caller_number": self.caller_number,
                "caller_name": self.caller_name, "extension": self.extension, "ticket_id": self.ticket_id,
                **{k: v for k, v in self.info.items() if k in CALL_INFO}}


@dataclass(frozen=True)
class ScreenPop:
    """A card to show: ``card`` holds the call's and the ticket's fields (telephony.ticket_card)."""

    TYPE: ClassVar[str] = "screen_pop"
    extension: str | None
    emergency: bool
    card: Mapping[str, Any]

    def body(self) -> dict[str, Any]:
        return {**self.card, "emergency": self.emergency, "extension": self.extension}


@dataclass(frozen=True)
class CardDetails:
    """What the journal knows of a ringing call (its ticket, or the known resident's name,
    address and open tickets), sent right after the card popped: the pop waits for no read."""

    TYPE: ClassVar[str] = "card_details"
    call_id: str
    fields: Mapping[str, Any]

    def body(self) -> dict[str, Any]:
        return {**self.fields, "call_id": self.call_id}


@dataclass(frozen=True)
class TicketUpdated:
    """A ticket changed; ``fields`` are merged into the cards that show it, then they reload it.
    ``source``: where the change was made (``web``, ``phone`` for the executors' service line and
    the residents' rating call, ``asr`` for the recogniser)."""

    TYPE: ClassVar[str] = "ticket_updated"
    ticket_id: int
    fields: Mapping[str, Any]
    source: str = "web"

    def body(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "fields": dict(self.fields), "source": self.source}


@dataclass(frozen=True)
class TicketRegistered:
    """A new ticket: the work queue shows it until a dispatcher accepts it."""

    TYPE: ClassVar[str] = "ticket_registered"
    ticket_id: int
    ticket_number: str
    channel: str
    emergency: bool
    call_id: str | None = None
    caller_number: str | None = None
    caller_name: str | None = None
    category_label: str | None = None
    address: str | None = None
    due_at: str | None = None

    def body(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "ticket_number": self.ticket_number, "channel": self.channel,
                "emergency": self.emergency, "call_id": self.call_id, "caller_number": self.caller_number,
                "caller_name": self.caller_name, "category_label": self.category_label, "address": self.address,
                "due_at": self.due_at}


@dataclass(frozen=True)
class MissedChanged:
    """The missed-call list changed (a call-back recorded): lists and the queue reload it."""

    TYPE: ClassVar[str] = "missed_changed"
    missed_id: int

    def body(self) -> dict[str, Any]:
        return {"missed_id": self.missed_id}


@dataclass(frozen=True)
class SecurityAlert:
    """Administrators only: a pattern of password guessing."""

    TYPE: ClassVar[str] = "security_alert"
    kind: str
    message: str
    login: str | None = None
    address: str | None = None

    def body(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "login": self.login, "address": self.address}


@dataclass(frozen=True)
class PresenceChanged:
    """A dispatcher went on the line, on a break or off shift: calls are routed accordingly."""

    TYPE: ClassVar[str] = "presence"
    user_id: int
    extension: str | None
    name: str
    state: str
    label: str

    def body(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "extension": self.extension, "name": self.name, "state": self.state,
                "label": self.label}


ConsoleMessage = (Hello | Resync | PbxState | CallState | ScreenPop | CardDetails | TicketUpdated
                  | TicketRegistered | MissedChanged | SecurityAlert | PresenceChanged)
MESSAGE_TYPES: tuple[type[ConsoleMessage], ...] = (Hello, Resync, PbxState, CallState, ScreenPop, CardDetails,
                                                   TicketUpdated, TicketRegistered, MissedChanged, SecurityAlert,
                                                   PresenceChanged)
TYPE_NAMES = frozenset(m.TYPE for m in MESSAGE_TYPES)
