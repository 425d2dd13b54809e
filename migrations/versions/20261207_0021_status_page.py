"""The public status page: components, incidents, maintenance, subscribers, RCA (seed 002 D, E).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    dt = sa.DateTime(timezone=True)
    op.create_table(
        'status_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('severity', sa.String(length=2), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('components', JSON_TYPE, nullable=False),
        sa.Column('started_at', dt, nullable=True),
        sa.Column('scheduled_start', dt, nullable=True),
        sa.Column('scheduled_end', dt, nullable=True),
        sa.Column('published_at', dt, nullable=True),
        sa.Column('resolved_at', dt, nullable=True),
        sa.Column('override_reason', sa.Text(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('rca', JSON_TYPE, nullable=True),
        sa.Column('rca_published_at', dt, nullable=True),
        sa.Column('created_at', dt, nullable=False),
        sa.Column('updated_at', dt, nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['operators.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
    )
    with op.batch_alter_table('status_notices', schema=None) as batch_op:
        batch_op.create_index('ix_status_notices_status_published', ['status', 'published_at'], unique=False)
    op.create_table(
        'status_updates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notice_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('texts', JSON_TYPE, nullable=False),
        sa.Column('next_update_at', dt, nullable=True),
        sa.Column('published_at', dt, nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', dt, nullable=False),
        sa.Column('updated_at', dt, nullable=False),
        sa.ForeignKeyConstraint(['notice_id'], ['status_notices.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['operators.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('status_updates', schema=None) as batch_op:
        batch_op.create_index('ix_status_updates_notice_id', ['notice_id'], unique=False)
    op.create_table(
        'status_subscribers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('confirmed_at', dt, nullable=True),
        sa.Column('unsubscribed_at', dt, nullable=True),
        sa.Column('confirmations_sent', sa.Integer(), nullable=False),
        sa.Column('created_at', dt, nullable=False),
        sa.Column('updated_at', dt, nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email'),
    )


def downgrade():
    op.drop_table('status_subscribers')
    with op.batch_alter_table('status_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_status_updates_notice_id')
    op.drop_table('status_updates')
    with op.batch_alter_table('status_notices', schema=None) as batch_op:
        batch_op.drop_index('ix_status_notices_status_published')
    op.drop_table('status_notices')
