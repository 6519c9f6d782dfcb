"""sessions: log-outs and "end every session of this user" survive a restart

``users.sessions_valid_after``: sessions issued before it are void (set when an administrator
ends a user's sessions or the password changes). ``session_revocations``: the ids of sessions
logged out, kept until they would have expired anyway.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("sessions_valid_after", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "session_revocations",
        sa.Column("sid", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_session_revocations_expires", "session_revocations", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_session_revocations_expires", table_name="session_revocations")
    op.drop_table("session_revocations")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sessions_valid_after")
