"""Reports: the promise an order was placed with (`orders.promised_by`), units a line lost
because no location could send them (`order_lines.quantity_unfilled`, for the fill rate),
and the indexes the reports read through (docs/reports.md).

Revision ID: 0010
Revises: 0006 on the `reports` branch so it migrates on its own; the lead re-chains it to
0009 (promotions) at merge — only `down_revision` changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Mirrors persistence/tables.py OPEN_ORDER_SQL (kept literal: a migration must not change
# when the code does).
OPEN_ORDER_SQL = (
    "status IN ('PENDING', 'ON_HOLD', 'CONFIRMED', 'IN_FULFILLMENT', 'PARTIALLY_SHIPPED', "
    "'BACKORDERED')"
)


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("promised_by", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(
            sa.Column("quantity_unfilled", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index(
        "ix_orders_channel_created", "orders", ["channel_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_orders_open_promised",
        "orders",
        ["promised_by"],
        unique=False,
        postgresql_where=sa.text(OPEN_ORDER_SQL),
        sqlite_where=sa.text(OPEN_ORDER_SQL),
    )


def downgrade() -> None:
    op.drop_index("ix_orders_open_promised", table_name="orders")
    op.drop_index("ix_orders_channel_created", table_name="orders")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("quantity_unfilled")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("promised_by")
