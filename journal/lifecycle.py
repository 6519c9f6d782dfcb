"""Which status may follow which. Anything else is an :class:`IllegalTransition`."""

from __future__ import annotations

from .enums import OPEN_STATUSES, Status

S = Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.NEW: frozenset({S.ACCEPTED, S.ASSIGNED, S.POSTPONED, S.CANCELLED, S.CANNOT_BE_DONE, S.DONE}),
    S.ACCEPTED: frozenset({S.ASSIGNED, S.POSTPONED, S.CANCELLED, S.CANNOT_BE_DONE, S.DONE}),
    S.ASSIGNED: frozenset({S.ACCEPTED, S.IN_PROGRESS, S.POSTPONED, S.CANCELLED, S.CANNOT_BE_DONE, S.DONE}),
    S.IN_PROGRESS: frozenset({S.DONE, S.POSTPONED, S.CANNOT_BE_DONE, S.ASSIGNED}),
    S.POSTPONED: frozenset({S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.CANCELLED, S.CANNOT_BE_DONE}),
    S.DONE: frozenset({S.CLOSED, S.REOPENED}),
    S.CANNOT_BE_DONE: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.CANCELLED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.CANCELLED, S.CANNOT_BE_DONE, S.DONE}),
}


def allowed_from(status: str) -> frozenset[Status]:
    return TRANSITIONS[Status(status)]


def can_change(current: str, wanted: str) -> bool:
    return Status(wanted) in TRANSITIONS[Status(current)]


def is_open(status: str) -> bool:
    return Status(status) in OPEN_STATUSES
