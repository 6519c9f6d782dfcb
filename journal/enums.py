"""The journal's closed vocabularies. Values are stored as plain strings."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    POSTPONED = "postponed"
    DONE = "done"
    CANNOT_BE_DONE = "cannot_be_done"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REOPENED = "reopened"


OPEN_STATUSES = frozenset(
    {Status.NEW, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.POSTPONED, Status.REOPENED}
)


class Priority(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    PLANNED = "planned"


class Channel(StrEnum):
    PHONE_IVR = "phone_ivr"
    PHONE_DISPATCHER = "phone_dispatcher"
    WALK_IN = "walk_in"
    WEB = "web"
    WRITTEN = "written"
    # A scripted call played to a trainee dispatcher: kept out of monitoring and reports.
    TRAINING = "training"


class CallDirection(StrEnum):
    INBOUND = "inbound"
    # A scripted call to a trainee dispatcher: no missed-call callback, no service statistics.
    TRAINING = "training"


class Role(StrEnum):
    DISPATCHER = "dispatcher"
    EXECUTOR = "executor"
    QA = "qa"
    ADMIN = "admin"


class HistoryKind(StrEnum):
    CREATED = "created"
    STATUS = "status"
    ASSIGNMENT = "assignment"
    EDIT = "edit"
    COMMENT = "comment"
    ATTACHMENT = "attachment"
    REPEAT = "repeat"
    TRANSCRIPT = "transcript"
    FEEDBACK = "feedback"
    HANDOVER = "handover"


class MissedStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"


class CallbackOutcome(StrEnum):
    REACHED = "reached"
    TICKET_CREATED = "ticket_created"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    NOT_NEEDED = "not_needed"


class CallOutcome(StrEnum):
    IN_PROGRESS = "in_progress"
    TICKET = "ticket"
    MISSED = "missed"
    TRANSFERRED = "transferred"
    ANSWERED = "answered"


class TrainingStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"


class TranscriptStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Utility(StrEnum):
    """What an outage cut off."""

    COLD_WATER = "cold_water"
    HOT_WATER = "hot_water"
    HEATING = "heating"
    ELECTRICITY = "electricity"
    SEWER = "sewer"
    LIFTS = "lifts"
    GAS = "gas"


UTILITY_LABELS: dict[Utility, str] = {
    Utility.COLD_WATER: "ХВС",
    Utility.HOT_WATER: "ГВС",
    Utility.HEATING: "отопление",
    Utility.ELECTRICITY: "электроснабжение",
    Utility.SEWER: "канализация",
    Utility.LIFTS: "лифты",
    Utility.GAS: "газ",
}

# The ticket category of an outage's parent and children.
UTILITY_CATEGORY: dict[Utility, str] = {
    Utility.COLD_WATER: "water",
    Utility.HOT_WATER: "water",
    Utility.HEATING: "heating",
    Utility.ELECTRICITY: "electricity",
    Utility.SEWER: "sewer",
    Utility.LIFTS: "elevator",
    Utility.GAS: "gas",
}


class OutageState(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    LOCALISED = "localised"
    RESTORED = "restored"
    CANCELLED = "cancelled"


# States in which callers hear the announcement (until the outage expires).
ANNOUNCED_STATES = frozenset({OutageState.ACTIVE, OutageState.LOCALISED})

OUTAGE_STATE_LABELS: dict[OutageState, str] = {
    OutageState.PROPOSED: "предложена",
    OutageState.ACTIVE: "действует",
    OutageState.LOCALISED: "локализована",
    OutageState.RESTORED: "восстановлено",
    OutageState.CANCELLED: "отменена",
}


# Category codes: the IVR, the speech understanding and the SLA rules speak these.
CATEGORIES = (
    "water",
    "sewer",
    "heating",
    "electricity",
    "elevator",
    "gas",
    "roof",
    "common_property",
    "cleaning",
    "other",
)


class Presence(StrEnum):
    """A dispatcher's availability for calls (journal.presence)."""

    ON_LINE = "on_line"
    BREAK = "break"
    OFF_SHIFT = "off_shift"
