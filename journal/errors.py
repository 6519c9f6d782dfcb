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


class ConfigError(JournalError):
    """The SLA/category configuration is wrong; the message names the place."""
