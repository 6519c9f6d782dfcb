"""Domain errors of the journal. They carry no HTTP codes: the web layer maps them."""

from __future__ import annotations


class JournalError(Exception):
    """Base of every error the journal raises on purpose."""


class NotFound(JournalError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key!r} not found")
        self.what = what
        self.key = key


class IllegalTransition(JournalError):
    def __init__(self, number: str, current: str, wanted: str, allowed: frozenset[str]) -> None:
        allowed_text = ", ".join(sorted(allowed)) or "none"
        super().__init__(
            f"ticket {number}: status cannot change from {current!r} to {wanted!r} "
            f"(allowed from {current!r}: {allowed_text})"
        )
        self.current = current
        self.wanted = wanted
        self.allowed = allowed


class InvalidValue(JournalError):
    """A field value the journal refuses (unknown category, rating out of 1..5, ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class CallAlreadyMissed(JournalError):
    """A ticket for a call already recorded as missed (the caller hung up first): the call keeps
    its one record, the missed call with its callback."""

    def __init__(self, call_id: int) -> None:
        super().__init__(f"call {call_id} is already a missed call")
        self.call_id = call_id


class ConfigError(JournalError):
    """The SLA/category configuration is wrong; the message names the place."""
