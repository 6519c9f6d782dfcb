"""Open-ticket indexes end with id, the tie-breaker of every page's ORDER BY; an index of the
unassigned tickets.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from typing import Any

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_tickets_open_due": (["next_due_at"], ["next_due_at", "id"]),
    "ix_tickets_open_received": (["received_at"], ["received_at", "id"]),
    "ix_tickets_open_category": (["category", "received_at"], ["category", "received_at", "id"]),
    "ix_tickets_open_building": (["building_id", "received_at"], ["building_id", "received_at", "id"]),
    "ix_tickets_open_executor": (["executor_id", "received_at"], ["executor_id", "received_at", "id"]),
}


def _where() -> dict[str, Any]:
    import sqlalchemy as sa

    return {"sqlite_where": sa.text("is_open = 1"), "postgresql_where": sa.text("is_open")}


def upgrade() -> None:
    import sqlalchemy as sa

    for name, (_, new) in INDEXES.items():
        op.drop_index(name, table_name="tickets")
        op.create_index(name, "tickets", new, **_where())
    op.create_index(
        "ix_tickets_unassigned", "tickets", ["received_at", "id"],
        sqlite_where=sa.text("is_open = 1 AND executor_id IS NULL"),
        postgresql_where=sa.text("is_open AND executor_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_unassigned", table_name="tickets")
    for name, (old, _) in INDEXES.items():
        op.drop_index(name, table_name="tickets")
        op.create_index(name, "tickets", old, **_where())
