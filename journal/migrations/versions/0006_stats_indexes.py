"""stats indexes: the analytics and the ПП 416 report read from indexes alone

Training calls are marked ``direction = 'training'`` on their call row; the summary and the
ПП 416 report leave them out, so the calls' covering index carries the direction. The
tickets' covering index gains the building, so "tickets by building" is read from the index
alone instead of a skip-scan of ``ix_tickets_building_received``. The report's list of calls
finds each call's ticket number and live recording in ``ix_tickets_call`` (call_id, number)
and ``ix_recordings_call`` (call_id, deleted_at) without reading the rows
(bench/analytics_bench.py: a month of a million-call journal). Both covering indexes now
lead with (time, id), the order of the report's lists, so the plain ``started_at`` and
``received_at`` indexes are their prefixes and go (SQLite preferred the narrow one for its
order and then read every row).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CALLS_BEFORE = ["started_at", "outcome", "answered_at", "dispatcher_id", "caller_number"]
TICKETS_BEFORE = ["received_at", "category", "executor_id", "localized_at", "done_at", "repeat_count", "rating",
                  "channel"]


def upgrade() -> None:
    op.drop_index("ix_calls_started_at", table_name="calls")
    op.drop_index("ix_tickets_received", table_name="tickets")
    op.drop_index("ix_tickets_call", table_name="tickets")
    op.create_index("ix_tickets_call", "tickets", ["call_id", "number"])
    op.drop_index("ix_recordings_call", table_name="recordings")
    op.create_index("ix_recordings_call", "recordings", ["call_id", "deleted_at"])
    op.drop_index("ix_calls_started_stats", table_name="calls")
    op.create_index("ix_calls_started_stats", "calls", [CALLS_BEFORE[0], "id", *CALLS_BEFORE[1:], "direction"])
    op.drop_index("ix_tickets_received_stats", table_name="tickets")
    op.create_index("ix_tickets_received_stats", "tickets", [TICKETS_BEFORE[0], "id", *TICKETS_BEFORE[1:], "building_id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_received_stats", table_name="tickets")
    op.create_index("ix_tickets_received_stats", "tickets", TICKETS_BEFORE)
    op.drop_index("ix_calls_started_stats", table_name="calls")
    op.create_index("ix_calls_started_stats", "calls", CALLS_BEFORE)
    op.drop_index("ix_recordings_call", table_name="recordings")
    op.create_index("ix_recordings_call", "recordings", ["call_id"])
    op.drop_index("ix_tickets_call", table_name="tickets")
    op.create_index("ix_tickets_call", "tickets", ["call_id"])
    op.create_index("ix_tickets_received", "tickets", ["received_at"])
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
