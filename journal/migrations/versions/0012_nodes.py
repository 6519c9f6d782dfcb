"""nodes: a call belongs to the Asterisk node it came in on

Several Asterisk nodes number their channels alike (start time . sequence), so a channel id is
unique on its node only: ``calls.node`` names the node (``main`` for the single ``[ari]`` of a
one-node service, and for every call made before this revision) and the unique constraint moves
from ``channel_id`` to ``(node, channel_id)``. The instance that takes a node over closes only
that node's orphans.

Revision ID: 0012
Revises: 0010 (the lead chains it after 0011)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as t:
        t.add_column(sa.Column("node", sa.String(length=64), nullable=False, server_default="main"))
        t.drop_constraint("uq_calls_channel_id", type_="unique")
        t.create_unique_constraint("uq_calls_node_channel", ["node", "channel_id"])


def downgrade() -> None:
    with op.batch_alter_table("calls") as t:
        t.drop_constraint("uq_calls_node_channel", type_="unique")
        t.create_unique_constraint("uq_calls_channel_id", ["channel_id"])
        t.drop_column("node")
