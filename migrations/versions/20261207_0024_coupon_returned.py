"""A coupon given back by a canceled booking: the ledger kind coupon_returned.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

OLD_KINDS = ("'card_charge', 'card_refund', 'bank_deposit', 'deposit_reversal', 'refund_payout', "
             "'payout_return', 'settlement_payout', 'bank_fee', 'unrelated', 'coupon_issued', 'coupon_redeemed'")
NEW_KINDS = OLD_KINDS + ", 'coupon_returned'"


def upgrade():
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ledger_entries_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ledger_entries_kind_known'), f"kind IN ({NEW_KINDS})")


def downgrade():
    # A coupon_returned row cannot be kept under the old rule: downgrading needs them gone first.
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ledger_entries_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ledger_entries_kind_known'), f"kind IN ({OLD_KINDS})")
