"""What a caller can ask for in the menu, and the values the flow hands to the journal.

The string values are the wire names: the journal maps them to its own categories, the
speech recogniser returns them, and prompt files are named after them
(``category-<value>``, ``status-<value>``).
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Problem categories offered by the voice menu (keys 1-6 by default)."""

    WATER_SEWER = "water_sewer"
    HEATING = "heating"
    ELECTRICITY = "electricity"
    LIFT = "lift"
    YARD = "yard"  # yard, cleaning, garbage
    COMMON_PROPERTY = "common_property"  # roof, doors, intercom


class Special(StrEnum):
    """Menu choices that send the caller to a person instead of recording a request."""

    EMERGENCY = "emergency"
    DISPATCHER = "dispatcher"


# A menu answer: a category, or a wish to reach a person.
Choice = Category | Special


class Priority(StrEnum):
    NORMAL = "normal"
    EMERGENCY = "emergency"


class TicketStatus(StrEnum):
    """Statuses of an open ticket the menu can say; the executor maps journal statuses here."""

    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    POSTPONED = "postponed"
    DONE = "done"  # done by the crew, not yet confirmed/closed


def parse_choice(value: str) -> Choice:
    """A choice from its wire name (raises ValueError on an unknown name)."""
    try:
        return Category(value)
    except ValueError:
        pass
    try:
        return Special(value)
    except ValueError:
        raise ValueError(f"unknown menu choice {value!r}") from None
