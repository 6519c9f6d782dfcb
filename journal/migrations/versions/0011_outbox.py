"""console outbox: console messages with a global id, read by every service instance

Used when ``[console] bus = "postgres"`` (journal/outbox.py explains the ordering of writers).
The table exists on SQLite too (one schema for both), where nothing writes it.

Revision ID: 0011_outbox
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_outbox"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "console_outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("mailboxes", sa.String(length=1000), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_outbox")),
    )
    op.create_index("ix_console_outbox_created_at", "console_outbox", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_console_outbox_created_at", table_name="console_outbox")
    op.drop_table("console_outbox")
