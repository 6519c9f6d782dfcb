"""Tables of the journal (SQLAlchemy 2 declarative). Behaviour lives in the services."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .clock import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit ids on PostgreSQL, SQLite's rowid alias on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# The condition of the partial indexes, spelled the way each dialect renders ``Ticket.is_open``
# in a WHERE clause (SQLite: "is_open = 1"), since a partial index serves a query only when the
# query's WHERE contains the index's condition.
OPEN_PG = text("is_open")
OPEN_SQLITE = text("is_open = 1")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), date: Date()}  # noqa: RUF012 (SQLAlchemy's documented form)


class Building(Base):
    __tablename__ = "buildings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    street: Mapped[str] = mapped_column(String(200))
    street_type: Mapped[str] = mapped_column(String(30), default="улица")
    house: Mapped[str] = mapped_column(String(20))
    building: Mapped[str | None] = mapped_column(String(20))
    address_key: Mapped[str] = mapped_column(String(260), unique=True)
    district: Mapped[str | None] = mapped_column(String(100))
    entrances: Mapped[int | None] = mapped_column(Integer)
    floors: Mapped[int | None] = mapped_column(Integer)
    apartments: Mapped[int | None] = mapped_column(Integer)
    lifts: Mapped[int | None] = mapped_column(Integer)
    # The managing company's own code for the building, and the ФИАС/ГАР id when known.
    company_code: Mapped[str | None] = mapped_column(String(50))
    fias_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    apartment: Mapped[str | None] = mapped_column(String(20))
    # Other numbers of the same resident, normalised, comma-separated (the main one is ``phone``).
    other_phones: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    building: Mapped[Building | None] = relationship(lazy="raise")


class User(Base):
    """Staff: dispatchers, executors, QA and administrators."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    extension: Mapped[str | None] = mapped_column(String(20), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set by an administrator's password reset: the next log-in must choose a new password.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Sessions issued before this are void (sessions ended by an administrator, a new password).
    sessions_valid_after: Mapped[datetime | None] = mapped_column()


class SessionRevocation(Base):
    """A logged-out session id, kept until the session would have expired anyway."""

    __tablename__ = "session_revocations"
    __table_args__ = (Index("ix_session_revocations_expires", "expires_at"),)

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId)
    expires_at: Mapped[datetime] = mapped_column()


class ExecutorCategory(Base):
    __tablename__ = "executor_categories"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(30), primary_key=True)


class ExecutorBuilding(Base):
    """Buildings an executor serves. An executor with no rows here serves every building."""

    __tablename__ = "executor_buildings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True)


class ExecutorShift(Base):
    """Weekly schedule: on ``weekday`` (0 = Monday) from ``start_minute`` for ``length_minutes``
    of local time; a night shift simply runs past midnight."""

    __tablename__ = "executor_shifts"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("start_minute BETWEEN 0 AND 1439", name="start_minute"),
        CheckConstraint("length_minutes BETWEEN 1 AND 2880", name="length_minutes"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    length_minutes: Mapped[int] = mapped_column(Integer)


class ExecutorLeave(Base):
    """Leave, sick days: the executor is off from ``starts_on`` to ``ends_on`` inclusive."""

    __tablename__ = "executor_leave"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))


class ExecutorRota(Base):
    """A repeating pattern from ``starts_on``: ``pattern`` is one character per day of the cycle,
    "1" a working day, "0" a day off ("1000" with a 24-hour shift is «сутки через трое»). A
    working day's shift starts at ``start_minute`` of local time and lasts ``length_minutes``."""

    __tablename__ = "executor_rotas"
    __table_args__ = (
        CheckConstraint("start_minute BETWEEN 0 AND 1439", name="start_minute"),
        CheckConstraint("length_minutes BETWEEN 1 AND 2880", name="length_minutes"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    start_minute: Mapped[int] = mapped_column(Integer)
    length_minutes: Mapped[int] = mapped_column(Integer)
    pattern: Mapped[str] = mapped_column(String(62))


class ExecutorDayChange(Base):
    """A one-off change of one day: a different shift starting that day, or (no start) a day off."""

    __tablename__ = "executor_day_changes"
    __table_args__ = (Index("ix_executor_day_changes_user_day", "user_id", "on_date", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    on_date: Mapped[date] = mapped_column(Date)
    start_minute: Mapped[int | None] = mapped_column(Integer)
    length_minutes: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(200))


class SlaVersion(Base):
    """A saved version of the deadline rules (the TOML of config/sla.toml, edited by an
    administrator); the newest is in force."""

    __tablename__ = "sla_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)


class AdminSetting(Base):
    """A setting an administrator changes in the browser (JSON value): the webhook, the voice
    menu's texts and hours. It overrides the value of config/hotline.toml."""

    __tablename__ = "admin_settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Append-only: every administrator's change, who made it, when, before and after (JSON)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[str | None] = mapped_column(String(300))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_caller_started", "caller_number", "started_at"),
        # Two Asterisk nodes number their channels alike (start time . sequence): a channel id
        # is unique on its node only.
        UniqueConstraint("node", "channel_id", name="uq_calls_node_channel"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The Asterisk node the call came in on (settings' [[nodes]]; "main" with one [ari]).
    node: Mapped[str] = mapped_column(String(64), default="main", server_default="main")
    channel_id: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    caller_number: Mapped[str | None] = mapped_column(String(32))
    caller_name: Mapped[str | None] = mapped_column(String(200))
    called_number: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default="in_progress")
    dispatcher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ivr_path: Mapped[str | None] = mapped_column(Text)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        # Monitoring runs over open tickets only: partial indexes stay small on a million rows.
        # Each ordered index ends with id, the pages' tie-breaker, so PostgreSQL reads a page
        # straight off the index (SQLite appends the rowid to every index by itself).
        Index("ix_tickets_open_due", "next_due_at", "id", sqlite_where=OPEN_SQLITE, postgresql_where=OPEN_PG),
        Index("ix_tickets_open_received", "received_at", "id", sqlite_where=OPEN_SQLITE, postgresql_where=OPEN_PG),
        Index("ix_tickets_open_category", "category", "received_at", "id", sqlite_where=OPEN_SQLITE, postgresql_where=OPEN_PG),
        Index("ix_tickets_open_building", "building_id", "received_at", "id", sqlite_where=OPEN_SQLITE, postgresql_where=OPEN_PG),
        Index("ix_tickets_open_executor", "executor_id", "received_at", "id", sqlite_where=OPEN_SQLITE, postgresql_where=OPEN_PG),
        # Unassigned tickets are all open, which the planner cannot know from column statistics;
        # an index of just them makes "unassigned, newest first" a straight read.
        Index("ix_tickets_unassigned", "received_at", "id",
              sqlite_where=text("is_open = 1 AND executor_id IS NULL"),
              postgresql_where=text("is_open AND executor_id IS NULL")),
        Index("ix_tickets_open_phone", "caller_phone", "category", sqlite_where=OPEN_SQLITE, postgresql_where=OPEN_PG),
        Index("ix_tickets_phone_received", "caller_phone", "received_at"),
        Index("ix_tickets_building_received", "building_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    received_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(20))
    caller_phone: Mapped[str | None] = mapped_column(String(20))
    caller_name: Mapped[str | None] = mapped_column(String(200))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    apartment: Mapped[str | None] = mapped_column(String(20))
    address_text: Mapped[str | None] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(30))
    problem: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[str | None] = mapped_column(Text)
    transcript_status: Mapped[str] = mapped_column(String(16), default="none")
    transcript_error: Mapped[str | None] = mapped_column(Text)
    # What speech understanding made of the transcript, shown beside what the caller pressed.
    suggested_category: Mapped[str | None] = mapped_column(String(30))
    suggested_category_confidence: Mapped[float | None]
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    executor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    sla_rule: Mapped[str | None] = mapped_column(String(60))
    # The version of the deadline rules the ticket was registered under (sla_versions.id; 0 the file).
    sla_version: Mapped[int | None] = mapped_column(Integer)
    localize_due_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    # The deadline that runs now: localisation until the damage is localised, then repair.
    next_due_at: Mapped[datetime | None]
    localized_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    handover_to: Mapped[str | None] = mapped_column(String(60))
    result: Mapped[str | None] = mapped_column(Text)
    confirmed: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # A child of a mass outage (its parent_id is the outage's parent ticket).
    outage_id: Mapped[int | None] = mapped_column(ForeignKey("outages.id", use_alter=True), index=True)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Outage(Base):
    """A mass outage (массовая авария / плановое отключение): one incident, many callers. Callers
    of its buildings hear its announcement while it is active or localised, started and not
    expired; their tickets are children of its parent ticket."""

    __tablename__ = "outages"
    __table_args__ = (Index("ix_outages_state_expires", "state", "expires_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    utility: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str | None] = mapped_column(Text)
    announcement: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    expected_restoration: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    restored_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    # The streets of its buildings, for the announcement to callers whose building is unknown.
    streets: Mapped[str] = mapped_column(String(300), default="")
    parent_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutageBuilding(Base):
    """A building an outage covers; read by building at every call (the index's first column)."""

    __tablename__ = "outage_buildings"
    __table_args__ = (Index("ix_outage_buildings_building", "building_id", "outage_id"),)

    outage_id: Mapped[int] = mapped_column(ForeignKey("outages.id", ondelete="CASCADE"), primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), primary_key=True)


class TicketHistory(Base):
    """Append-only: every change of a ticket, who made it, when, before and after."""

    __tablename__ = "ticket_history"
    __table_args__ = (Index("ix_ticket_history_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    field: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=True)


class Recording(Base):
    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_ticket", "ticket_id"), Index("ix_recordings_call", "call_id", "deleted_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(10), default="wav")
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    duration_seconds: Mapped[float | None]
    transcript: Mapped[str | None] = mapped_column(Text)
    # Recogniser output with word timings and confidences (JSON), for the QA player.
    words_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    deleted_reason: Mapped[str | None] = mapped_column(String(200))


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_ticket", "ticket_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MissedCall(Base):
    """A call that ended before a ticket was made; ПП 416 п.13а: call back within 10 minutes."""

    __tablename__ = "missed_calls"
    __table_args__ = (
        Index("ix_missed_calls_status_due", "status", "callback_due_at"),
        Index("ix_missed_calls_occurred", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), unique=True)
    caller_number: Mapped[str | None] = mapped_column(String(32))
    caller_name: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(40))
    step: Mapped[str | None] = mapped_column(String(40))
    callback_due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    callback_at: Mapped[datetime | None]
    callback_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))


class TranscriptionJob(Base):
    """Durable queue of recordings to transcribe; survives restarts, bounded retries."""

    __tablename__ = "transcription_jobs"
    __table_args__ = (Index("ix_transcription_jobs_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The worker holding a running job, and until when: a lease that runs out means the
    # worker died, and another takes the job again.
    worker_id: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]


class TicketCounter(Base):
    """Per-year sequence of registration numbers (2026-000123)."""

    __tablename__ = "ticket_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


__all__ = [
    "AdminSetting",
    "Attachment",
    "AuditEntry",
    "Base",
    "Building",
    "Call",
    "ExecutorBuilding",
    "ExecutorCategory",
    "ExecutorDayChange",
    "ExecutorLeave",
    "ExecutorRota",
    "ExecutorShift",
    "MissedCall",
    "Outage",
    "OutageBuilding",
    "Recording",
    "Resident",
    "SlaVersion",
    "Ticket",
    "TicketCounter",
    "TicketHistory",
    "TranscriptionJob",
    "User",
]
