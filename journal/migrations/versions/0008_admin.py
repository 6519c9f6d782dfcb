"""admin: what an administrator sets up in the browser

Buildings gain their passport (entrances, floors, apartments, lifts, the managing company's
code, the ФИАС/ГАР id); residents gain other phone numbers; users gain "must change the
password at the next log-in" (an administrator's reset). Executors' schedules gain rotas (a
day pattern from a start date: «сутки через трое») and one-off day changes. Every change an
administrator makes is a row of ``audit_log``. The deadline rules become versioned
(``sla_versions``, edited in the browser) and a ticket keeps the version it was registered
under (``tickets.sla_version``). Settings changed in the browser (the webhook, the voice
menu's texts) are rows of ``admin_settings``.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BUILDING_NUMBERS = ("entrances", "floors", "apartments", "lifts")


def upgrade() -> None:
    with op.batch_alter_table("buildings") as t:
        for name in BUILDING_NUMBERS:
            t.add_column(sa.Column(name, sa.Integer(), nullable=True))
        t.add_column(sa.Column("company_code", sa.String(length=50), nullable=True))
        t.add_column(sa.Column("fias_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("residents") as t:
        t.add_column(sa.Column("other_phones", sa.String(length=200), nullable=True))
    with op.batch_alter_table("users") as t:
        t.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("tickets") as t:
        t.add_column(sa.Column("sla_version", sa.Integer(), nullable=True))
    op.create_table(
        "admin_settings",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_admin_settings")),
    )
    op.create_table(
        "sla_versions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", BigId, nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.String(length=300), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_sla_versions_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_versions")),
    )

    op.create_table(
        "executor_rotas",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("length_minutes", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=62), nullable=False),
        sa.CheckConstraint("start_minute BETWEEN 0 AND 1439", name=op.f("ck_executor_rotas_start_minute")),
        sa.CheckConstraint("length_minutes BETWEEN 1 AND 2880", name=op.f("ck_executor_rotas_length_minutes")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_executor_rotas_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executor_rotas")),
    )
    op.create_index("ix_executor_rotas_user_id", "executor_rotas", ["user_id"], unique=False)
    op.create_table(
        "executor_day_changes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=True),
        sa.Column("length_minutes", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_executor_day_changes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executor_day_changes")),
    )
    op.create_index("ix_executor_day_changes_user_day", "executor_day_changes", ["user_id", "on_date"], unique=True)
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", BigId, nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=True),
        sa.Column("summary", sa.String(length=300), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_log_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_object", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_executor_day_changes_user_day", table_name="executor_day_changes")
    op.drop_table("executor_day_changes")
    op.drop_index("ix_executor_rotas_user_id", table_name="executor_rotas")
    op.drop_table("executor_rotas")
    op.drop_table("sla_versions")
    op.drop_table("admin_settings")
    with op.batch_alter_table("tickets") as t:
        t.drop_column("sla_version")
    with op.batch_alter_table("users") as t:
        t.drop_column("must_change_password")
    with op.batch_alter_table("residents") as t:
        t.drop_column("other_phones")
    with op.batch_alter_table("buildings") as t:
        for name in ("fias_id", "company_code", *reversed(BUILDING_NUMBERS)):
            t.drop_column(name)
