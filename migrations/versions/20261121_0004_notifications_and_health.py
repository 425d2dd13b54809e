"""Notification delivery state, worker heartbeats and job health.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('skip_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('message_id', sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column('provider', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('provider_ref', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_outbox_messages_status_claimed', ['status', 'claimed_at'], unique=False)

    op.create_table('heartbeats',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('details', JSON_TYPE, nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_heartbeats'))
    )


def downgrade():
    op.drop_table('heartbeats')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_claimed')
        batch_op.drop_column('provider_ref')
        batch_op.drop_column('provider')
        batch_op.drop_column('message_id')
        batch_op.drop_column('skip_reason')
        batch_op.drop_column('claimed_at')
