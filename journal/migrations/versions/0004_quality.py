"""quality: QA reviews, recording access log, notifications, feedback calls

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_call", "tickets", ["call_id"])
    op.create_index("ix_tickets_received_stats", "tickets", ["received_at", "category", "executor_id", "localized_at",
                                                             "done_at", "repeat_count", "rating", "channel"])
    op.create_index("ix_calls_started_stats", "calls", ["started_at", "outcome", "answered_at", "dispatcher_id",
                                                        "caller_number"])
    op.create_table('feedback_calls',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('confirmed', sa.Boolean(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.String(length=80), nullable=True),
    sa.Column('source_history_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_feedback_calls_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_calls'))
    )
    with op.batch_alter_table('feedback_calls', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_calls_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_feedback_calls_ticket', ['ticket_id', 'attempt'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('history_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_notifications_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('history_id', name=op.f('uq_notifications_history_id'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_phone_at', ['phone', 'at'], unique=False)
        batch_op.create_index('ix_notifications_ticket_at', ['ticket_id', 'at'], unique=False)

    op.create_table('qa_reviews',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('call_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recording_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reviewer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('dispatcher_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('scores_json', sa.Text(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('max_total', sa.Float(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_qa_reviews_call_id_calls')),
    sa.ForeignKeyConstraint(['dispatcher_id'], ['users.id'], name=op.f('fk_qa_reviews_dispatcher_id_users')),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_qa_reviews_recording_id_recordings')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_qa_reviews_reviewer_id_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_qa_reviews_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_reviews'))
    )
    with op.batch_alter_table('qa_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_qa_reviews_call', ['call_id'], unique=False)
        batch_op.create_index('ix_qa_reviews_dispatcher_created', ['dispatcher_id', 'created_at'], unique=False)
        batch_op.create_index('ix_qa_reviews_recording', ['recording_id'], unique=False)

    op.create_table('recording_access',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recording_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('user_login', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('remote', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_recording_access_recording_id_recordings')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recording_access_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recording_access'))
    )
    with op.batch_alter_table('recording_access', schema=None) as batch_op:
        batch_op.create_index('ix_recording_access_recording', ['recording_id', 'at'], unique=False)



def downgrade() -> None:
    op.drop_index("ix_calls_started_stats", table_name="calls")
    op.drop_index("ix_tickets_received_stats", table_name="tickets")
    op.drop_index("ix_tickets_call", table_name="tickets")
    with op.batch_alter_table('recording_access', schema=None) as batch_op:
        batch_op.drop_index('ix_recording_access_recording')

    op.drop_table('recording_access')
    with op.batch_alter_table('qa_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_qa_reviews_recording')
        batch_op.drop_index('ix_qa_reviews_dispatcher_created')
        batch_op.drop_index('ix_qa_reviews_call')

    op.drop_table('qa_reviews')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_ticket_at')
        batch_op.drop_index('ix_notifications_phone_at')

    op.drop_table('notifications')
    with op.batch_alter_table('feedback_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_calls_ticket')
        batch_op.drop_index('ix_feedback_calls_status_due')

    op.drop_table('feedback_calls')
