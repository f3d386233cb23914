"""Promotions: promotions (with their usage counter), the channels each applies in, the
redemptions checkouts record, and the campaign (source code) a cart came from.

Revision ID: 0009
Revises: 0006 on this branch so it migrates on its own; the lead re-chains it after the
ledger/returns migrations (0007, 0008) at merge (set `down_revision` to the last of them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
Money = sa.Numeric(precision=18, scale=4)


def upgrade() -> None:
    op.create_table('promotions',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', Money, nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('coupon_code', sa.String(length=64), nullable=True),
    sa.Column('usage_limit', sa.Integer(), nullable=True),
    sa.Column('times_used', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('min_subtotal', Money, nullable=True),
    sa.Column('skus', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('buy_quantity', sa.Integer(), nullable=True),
    sa.Column('get_quantity', sa.Integer(), nullable=True),
    sa.Column('exclusive', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('source_code', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(
        'times_used >= 0 AND (usage_limit IS NULL OR times_used <= usage_limit)',
        name=op.f('ck_promotions_within_usage_limit'),
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions')),
    sa.UniqueConstraint('coupon_code', name=op.f('uq_promotions_coupon_code'))
    )
    op.create_table('promotion_channels',
    sa.Column('promotion_id', sa.BigInteger(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_promotion_channels_channel_id_channels')),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_promotion_channels_promotion_id_promotions')),
    sa.PrimaryKeyConstraint('promotion_id', 'channel_id', name=op.f('pk_promotion_channels'))
    )
    with op.batch_alter_table('promotion_channels', schema=None) as batch_op:
        batch_op.create_index('ix_promotion_channels_channel', ['channel_id', 'promotion_id'], unique=False)

    op.create_table('promotion_redemptions',
    sa.Column('promotion_id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('amount', Money, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_promotion_redemptions_order_id_orders')),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_promotion_redemptions_promotion_id_promotions')),
    sa.PrimaryKeyConstraint('promotion_id', 'order_id', name=op.f('pk_promotion_redemptions'))
    )
    with op.batch_alter_table('promotion_redemptions', schema=None) as batch_op:
        batch_op.create_index('ix_promotion_redemptions_order', ['order_id'], unique=False)

    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_code', sa.String(length=64), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        # Every limited checkout updates its promotion's counter: room for in-place updates.
        op.execute("ALTER TABLE promotions SET (fillfactor = 70)")


def downgrade() -> None:
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.drop_column('source_code')

    with op.batch_alter_table('promotion_redemptions', schema=None) as batch_op:
        batch_op.drop_index('ix_promotion_redemptions_order')

    op.drop_table('promotion_redemptions')
    with op.batch_alter_table('promotion_channels', schema=None) as batch_op:
        batch_op.drop_index('ix_promotion_channels_channel')

    op.drop_table('promotion_channels')
    op.drop_table('promotions')
