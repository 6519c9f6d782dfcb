"""shared limits: the log-in throttle and the call-back limits counted in the journal

``limit_counters``: one row per counted subject (a login from an address, an address, a login, a
dispatcher's call-backs), ``limit_marks``: the members seen for a subject (the logins tried from
one address; each call-back of the sliding hour). Every service instance on the journal sees the
same counts. Rows are deleted once ``expires_at`` (wall-clock seconds) has passed.

Revision ID: 0013_shared_limits
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_shared_limits"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "limit_counters",
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("until", sa.Float(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_limit_counters_expires", "limit_counters", ["expires_at"])
    op.create_table(
        "limit_marks",
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("member", sa.String(200), primary_key=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_limit_marks_at", "limit_marks", ["scope", "key", "at"])
    op.create_index("ix_limit_marks_expires", "limit_marks", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_limit_marks_expires", table_name="limit_marks")
    op.drop_index("ix_limit_marks_at", table_name="limit_marks")
    op.drop_table("limit_marks")
    op.drop_index("ix_limit_counters_expires", table_name="limit_counters")
    op.drop_table("limit_counters")
