"""Request durations per route and minute (service levels) and job runs (the trace).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'request_metrics',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('minute', sa.DateTime(timezone=True), nullable=False),
        sa.Column('route', sa.String(length=200), nullable=False),
        sa.Column('endpoint', sa.String(length=100), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('status_class', sa.String(length=3), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('total_ms', sa.Float(), nullable=False),
        sa.Column('max_ms', sa.Float(), nullable=False),
        sa.Column('le_5', sa.BigInteger(), nullable=False),
        sa.Column('le_10', sa.BigInteger(), nullable=False),
        sa.Column('le_25', sa.BigInteger(), nullable=False),
        sa.Column('le_50', sa.BigInteger(), nullable=False),
        sa.Column('le_100', sa.BigInteger(), nullable=False),
        sa.Column('le_200', sa.BigInteger(), nullable=False),
        sa.Column('le_300', sa.BigInteger(), nullable=False),
        sa.Column('le_500', sa.BigInteger(), nullable=False),
        sa.Column('le_750', sa.BigInteger(), nullable=False),
        sa.Column('le_1000', sa.BigInteger(), nullable=False),
        sa.Column('le_2500', sa.BigInteger(), nullable=False),
        sa.Column('le_5000', sa.BigInteger(), nullable=False),
        sa.Column('le_10000', sa.BigInteger(), nullable=False),
        sa.Column('le_inf', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('minute', 'route', 'endpoint', 'method', 'status_class',
                            name='uq_request_metrics_minute_route'),
    )
    with op.batch_alter_table('request_metrics', schema=None) as batch_op:
        batch_op.create_index('ix_request_metrics_minute', ['minute'], unique=False)
    op.create_table(
        'job_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.String(length=200), nullable=False),
        sa.Column('func', sa.String(length=200), nullable=False),
        sa.Column('queue', sa.String(length=40), nullable=True),
        sa.Column('request_id', sa.String(length=100), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('started', 'finished', 'failed')", name='status_known'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_request_id', ['request_id'], unique=False)
        batch_op.create_index('ix_job_runs_job_id', ['job_id'], unique=False)
        batch_op.create_index('ix_job_runs_started_at', ['started_at'], unique=False)


def downgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_started_at')
        batch_op.drop_index('ix_job_runs_job_id')
        batch_op.drop_index('ix_job_runs_request_id')
    op.drop_table('job_runs')
    with op.batch_alter_table('request_metrics', schema=None) as batch_op:
        batch_op.drop_index('ix_request_metrics_minute')
    op.drop_table('request_metrics')
