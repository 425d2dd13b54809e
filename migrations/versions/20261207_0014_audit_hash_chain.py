"""The audit log becomes a hash chain, and the checks of it get their own table.

Adds `prev_hash` and `row_hash` to `audit_events` and fills them over the
existing rows in id order (SHA-256 of each row's canonical form, see
app.auditlog.hashing), then makes them NOT NULL. The append-only guards step
aside for the backfill only: on PostgreSQL the trigger is disabled inside this
migration's transaction; on SQLite the triggers of 0008 are dropped and
created again (the table is rebuilt for NOT NULL anyway, which drops them).

Adds `audit_checkpoints`: one row per check of the chain or acknowledgement
of a break, in a table a TRUNCATE of audit_events does not reach.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.auditlog.hashing import GENESIS, HASHED_FIELDS, compute_hash
from app.core.db import UTCDateTime

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BATCH = 2000

SQLITE_GUARDS = {
    verb: f"""
        CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
        BEGIN
            SELECT RAISE(ABORT, 'audit events cannot be changed or deleted');
        END;
    """ for verb in ("UPDATE", "DELETE")
}


def _audit_table() -> sa.Table:
    """The columns the hash covers, typed as the app reads them (UTC datetimes, JSON)."""
    return sa.table(
        'audit_events',
        sa.column('id', sa.Integer()), sa.column('created_at', UTCDateTime()),
        sa.column('actor_kind', sa.String()), sa.column('actor_id', sa.Integer()),
        sa.column('actor_name', sa.String()), sa.column('action', sa.String()),
        sa.column('entity_type', sa.String()), sa.column('entity_id', sa.String()),
        sa.column('reservation_id', sa.Integer()), sa.column('from_state', sa.String()),
        sa.column('to_state', sa.String()), sa.column('reason', sa.Text()),
        sa.column('data', JSON_TYPE), sa.column('request_id', sa.String()),
        sa.column('prev_hash', sa.String()), sa.column('row_hash', sa.String()),
    )


def _backfill(bind) -> None:
    """Chain every existing row, in id order, in batches (safe to run again: it rewrites the same values)."""
    table = _audit_table()
    columns = [table.c[name] for name in HASHED_FIELDS]
    update = (sa.update(table).where(table.c.id == sa.bindparam('b_id'))
              .values(prev_hash=sa.bindparam('b_prev'), row_hash=sa.bindparam('b_hash')))
    prev, last_id = GENESIS, 0
    while True:
        rows = bind.execute(sa.select(*columns).where(table.c.id > last_id).order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            break
        params = []
        for row in rows:
            row_hash = compute_hash(dict(row._mapping), prev)
            params.append({'b_id': row.id, 'b_prev': prev, 'b_hash': row_hash})
            prev, last_id = row_hash, row.id
        bind.execute(update, params)


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        for verb in ('update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS audit_events_no_{verb}')
    else:
        op.execute('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
    _backfill(bind)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('row_hash', existing_type=sa.String(length=64), nullable=False)
    if sqlite:
        for sql in SQLITE_GUARDS.values():
            op.execute(sql)
    else:
        op.execute('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only')

    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=True),
    sa.Column('last_hash', sa.String(length=64), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('problems', JSON_TYPE, nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.create_index('ix_audit_checkpoints_kind_id', ['kind', 'id'], unique=False)


def downgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_checkpoints_kind_id')
    op.drop_table('audit_checkpoints')
    if sqlite:
        for verb in ('update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS audit_events_no_{verb}')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
    if sqlite:
        for sql in SQLITE_GUARDS.values():
            op.execute(sql)
