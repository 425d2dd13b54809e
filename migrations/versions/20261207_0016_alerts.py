"""Alerts, silences and on-call escalation (operations layer).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

ACTIVE_WHERE = "status IN ('open', 'acknowledged')"


def upgrade():
    op.create_table(
        'alert_silences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=40), nullable=False),
        sa.Column('rule', sa.String(length=60), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=True),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by_name', sa.String(length=200), nullable=False),
        sa.Column('ended_early_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_early_by_name', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['operators.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
    )
    with op.batch_alter_table('alert_silences', schema=None) as batch_op:
        batch_op.create_index('ix_alert_silences_rule_ends', ['rule', 'ends_at'], unique=False)

    op.create_table(
        'alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=40), nullable=False),
        sa.Column('rule', sa.String(length=60), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('severity', sa.String(length=10), nullable=False),
        sa.Column('area', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_notified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('notifications_sent', sa.Integer(), nullable=False),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
        sa.Column('escalation_step', sa.Integer(), nullable=False),
        sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_how', sa.String(length=10), nullable=True),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.Column('resolution_note', sa.Text(), nullable=True),
        sa.Column('silenced_by_id', sa.Integer(), nullable=True),
        sa.Column('details', JSON_TYPE, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name='alert_status_known'),
        sa.CheckConstraint("severity IN ('CRITICAL', 'WARNING', 'INFO')", name='alert_severity_known'),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['operators.id']),
        sa.ForeignKeyConstraint(['resolved_by_id'], ['operators.id']),
        sa.ForeignKeyConstraint(['silenced_by_id'], ['alert_silences.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('uq_alerts_active_rule_subject', ['rule', 'subject'], unique=True,
                              postgresql_where=sa.text(ACTIVE_WHERE), sqlite_where=sa.text(ACTIVE_WHERE))
        batch_op.create_index('ix_alerts_status_opened', ['status', 'opened_at'], unique=False)
        batch_op.create_index('ix_alerts_rule_subject', ['rule', 'subject'], unique=False)

    op.create_table(
        'alert_oncall_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('area', sa.String(length=20), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('phone', sa.String(length=30), nullable=True),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('position BETWEEN 1 AND 3', name='oncall_position_range'),
        sa.ForeignKeyConstraint(['operator_id'], ['operators.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('alert_oncall_entries', schema=None) as batch_op:
        batch_op.create_index('uq_alert_oncall_area_position', ['area', 'position'], unique=True)


def downgrade():
    with op.batch_alter_table('alert_oncall_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_alert_oncall_area_position')
    op.drop_table('alert_oncall_entries')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_rule_subject')
        batch_op.drop_index('ix_alerts_status_opened')
        batch_op.drop_index('uq_alerts_active_rule_subject')
    op.drop_table('alerts')
    with op.batch_alter_table('alert_silences', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_silences_rule_ends')
    op.drop_table('alert_silences')
