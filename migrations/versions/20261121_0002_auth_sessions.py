"""Operator sessions, sign-in throttling and operator admin (back office, part 1).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
