"""training: runs of scripted training calls and their scores

Training tickets themselves are ordinary rows of ``tickets`` with channel 'training' (no
schema change); their numbers come from a separate counter row (year negated) so the real
journal's numbering stays gapless.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "training_runs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("trainee_id", BigId, nullable=False),
        sa.Column("scenario", sa.String(length=80), nullable=False),
        sa.Column("scenario_title", sa.String(length=200), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("ticket_id", BigId, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("max_score", sa.Float(), nullable=True),
        sa.Column("details_json", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_training_runs_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["trainee_id"], ["users.id"], name=op.f("fk_training_runs_trainee_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_runs")),
    )
    op.create_index("ix_training_runs_trainee_started", "training_runs", ["trainee_id", "started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_training_runs_trainee_started", table_name="training_runs")
    op.drop_table("training_runs")
