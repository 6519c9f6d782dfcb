"""Tables of quality control: QA reviews, who listened to which recording, outbound status
notifications, and the residents' feedback calls (a durable schedule of attempts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .clock import utcnow
from .models import Base, BigId, Call, Ticket


class QaReview(Base):
    """A reviewer's scoring of one call (its recording) against the checklist."""

    __tablename__ = "qa_reviews"
    __table_args__ = (
        Index("ix_qa_reviews_dispatcher_created", "dispatcher_id", "created_at"),
        Index("ix_qa_reviews_call", "call_id"),
        Index("ix_qa_reviews_recording", "recording_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dispatcher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scores_json: Mapped[str] = mapped_column(Text)
    total: Mapped[float] = mapped_column(Float)
    max_total: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordingAccess(Base):
    """Every listening or download of a recording: who and when (personal data, 152-ФЗ)."""

    __tablename__ = "recording_access"
    __table_args__ = (Index("ix_recording_access_recording", "recording_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    user_login: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # listen | download
    at: Mapped[datetime] = mapped_column(default=utcnow)
    remote: Mapped[str | None] = mapped_column(String(64))


class Notification(Base):
    """An outbound status notification to a resident, sent, failed or held back by the rate limit."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_ticket_at", "ticket_id", "at"),
        Index("ix_notifications_phone_at", "phone", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    event: Mapped[str] = mapped_column(String(20))  # registered | assigned | completed
    channel: Mapped[str] = mapped_column(String(20))  # webhook
    status: Mapped[str] = mapped_column(String(16))  # sent | failed | throttled
    detail: Mapped[str | None] = mapped_column(Text)
    history_id: Mapped[int | None] = mapped_column(BigId, unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackCall(Base):
    """One attempt to call a resident back for a rating; pending rows are the durable schedule."""

    __tablename__ = "feedback_calls"
    __table_args__ = (
        Index("ix_feedback_calls_status_due", "status", "due_at"),
        Index("ix_feedback_calls_ticket", "ticket_id", "attempt"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    phone: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    # pending -> calling -> answered | no_answer | failed; cancelled when no longer wanted.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    at: Mapped[datetime | None]  # when the call was placed
    outcome: Mapped[str | None] = mapped_column(String(20))  # rated | no_input | hung_up | no_answer | error
    confirmed: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer)
    channel_id: Mapped[str | None] = mapped_column(String(80))
    # The ticket_history row (status done/closed) that asked for the call: the scanner's cursor.
    source_history_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# The QA call list and the ПП 416 report find a call's ticket (and its number) by tickets.call_id.
Index("ix_tickets_call", Ticket.call_id, Ticket.number)
# Covering indexes of the analytics: a period's figures are read from the index alone, without
# a random read of each row (bench/analytics_bench.py: a month of a million-ticket journal).
# Each leads with (time, id), the order of the lists of calls and tickets, and also serves
# their time ranges (no narrower index on the time alone).
Index("ix_tickets_received_stats", Ticket.received_at, Ticket.id, Ticket.category, Ticket.executor_id,
      Ticket.localized_at, Ticket.done_at, Ticket.repeat_count, Ticket.rating, Ticket.channel, Ticket.building_id)
Index("ix_calls_started_stats", Call.started_at, Call.id, Call.outcome, Call.answered_at, Call.dispatcher_id,
      Call.caller_number, Call.direction)


__all__ = ["FeedbackCall", "Notification", "QaReview", "RecordingAccess"]
