"""The audit log is append-only on SQLite too.

PostgreSQL has had a trigger since 0001; SQLite gets two (no UPDATE, no DELETE),
so plain SQL cannot change or remove an audit row on either database.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"""
            CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
            BEGIN
                SELECT RAISE(ABORT, 'audit events cannot be changed or deleted');
            END;
        """)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{verb}")
