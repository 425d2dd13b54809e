"""Compensation for a lodging business (coupons redeemed at booking, upgrades, free nights) and
catalog names in three languages.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

OLD_KINDS = ("'card_charge', 'card_refund', 'bank_deposit', 'deposit_reversal', 'refund_payout', "
             "'payout_return', 'settlement_payout', 'bank_fee', 'unrelated', 'coupon_issued'")
NEW_KINDS = OLD_KINDS + ", 'coupon_redeemed'"


def upgrade():
    for table in ('hotels', 'room_types'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('name_i18n', JSON_TYPE, nullable=True))
            batch_op.add_column(sa.Column('description_i18n', JSON_TYPE, nullable=True))

    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hotel_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reservation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_coupons_hotel_id_hotels'), 'hotels', ['hotel_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_coupons_reservation_id_reservations'), 'reservations',
                                    ['reservation_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_coupons_reservation_id'), ['reservation_id'])

    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_amount', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ledger_entries_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ledger_entries_kind_known'), f"kind IN ({NEW_KINDS})")


def downgrade():
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ledger_entries_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ledger_entries_kind_known'), f"kind IN ({OLD_KINDS})")

    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_column('discount_amount')

    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_coupons_reservation_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_coupons_reservation_id_reservations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_coupons_hotel_id_hotels'), type_='foreignkey')
        batch_op.drop_column('reservation_id')
        batch_op.drop_column('hotel_id')

    for table in ('room_types', 'hotels'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('description_i18n')
            batch_op.drop_column('name_i18n')
