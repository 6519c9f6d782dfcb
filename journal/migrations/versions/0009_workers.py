"""workers: transcription jobs are leased to a worker process

A claimed job records which worker holds it (``worker_id``), when it was claimed and until
when the lease runs (``lease_until``, pushed forward by the worker while it decodes). A job
whose lease ran out belongs to a worker that died: another worker takes it again.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transcription_jobs") as t:
        t.add_column(sa.Column("worker_id", sa.String(length=120), nullable=True))
        t.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        t.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transcription_jobs") as t:
        t.drop_column("lease_until")
        t.drop_column("claimed_at")
        t.drop_column("worker_id")
