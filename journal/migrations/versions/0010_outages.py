"""outages: mass outages, one incident and many callers

An outage (массовая авария / плановое отключение) covers buildings (``outage_buildings``),
has a state, an announcement callers of those buildings hear, an expected restoration time
and an expiry; its parent ticket runs the deadlines, and each affected resident's ticket is
a child (``tickets.outage_id``, ``tickets.parent_id`` the parent ticket).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outages",
        sa.Column("id", BigId, nullable=False),
        sa.Column("utility", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("announcement", sa.Text(), nullable=False),
        sa.Column("started_at", Stamp, nullable=False),
        sa.Column("expected_restoration", Stamp, nullable=True),
        sa.Column("expires_at", Stamp, nullable=False),
        sa.Column("restored_at", Stamp, nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("streets", sa.String(length=300), nullable=False),
        sa.Column("parent_ticket_id", BigId, nullable=True),
        sa.Column("declared_by_id", BigId, nullable=True),
        sa.Column("declared_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["parent_ticket_id"], ["tickets.id"], name=op.f("fk_outages_parent_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["declared_by_id"], ["users.id"], name=op.f("fk_outages_declared_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outages")),
    )
    op.create_index("ix_outages_state_expires", "outages", ["state", "expires_at"])
    op.create_table(
        "outage_buildings",
        sa.Column("outage_id", BigId, nullable=False),
        sa.Column("building_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(["outage_id"], ["outages.id"], name=op.f("fk_outage_buildings_outage_id_outages"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["building_id"], ["buildings.id"], name=op.f("fk_outage_buildings_building_id_buildings")),
        sa.PrimaryKeyConstraint("outage_id", "building_id", name=op.f("pk_outage_buildings")),
    )
    op.create_index("ix_outage_buildings_building", "outage_buildings", ["building_id", "outage_id"])
    with op.batch_alter_table("tickets") as t:
        t.add_column(sa.Column("outage_id", BigId, nullable=True))
        t.create_foreign_key(op.f("fk_tickets_outage_id_outages"), "outages", ["outage_id"], ["id"])
        t.create_index("ix_tickets_outage_id", ["outage_id"])


def downgrade() -> None:
    with op.batch_alter_table("tickets") as t:
        t.drop_index("ix_tickets_outage_id")
        t.drop_constraint("fk_tickets_outage_id_outages", type_="foreignkey")
        t.drop_column("outage_id")
    op.drop_index("ix_outage_buildings_building", table_name="outage_buildings")
    op.drop_table("outage_buildings")
    op.drop_index("ix_outages_state_expires", table_name="outages")
    op.drop_table("outages")
