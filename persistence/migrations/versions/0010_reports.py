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
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Mirrors persistence/tables.py OPEN_ORDER_SQL (kept literal: a migration must not change
# when the code does).
OPEN_ORDER_SQL = (
    "status IN ('PENDING', 'ON_HOLD', 'CONFIRMED', 'IN_FULFILLMENT', 'PARTIALLY_SHIPPED', "
    "'BACKORDERED')"
)


# Mirrors persistence/tables.py REPORTED_*_COLUMNS (literal, as above).
ORDER_COLUMNS = [
    "id",
    "channel_id",
    "currency",
    "status",
    "source_code",
    "subtotal",
    "discount_total",
    "shipping_total",
    "tax_total",
    "total",
]
LINE_COLUMNS = [
    "sku",
    "quantity",
    "quantity_shipped",
    "quantity_cancelled",
    "quantity_returned",
    "quantity_unfilled",
]
# The sales report groups by the UTC day of placement: without statistics on that
# expression PostgreSQL guesses one group per row and sorts (spilling to disk) instead of
# hashing ~1,000 groups. Not an index: nothing to maintain per write.
DAY_STATISTICS = (
    "CREATE STATISTICS IF NOT EXISTS st_orders_report_day "
    "ON ((timezone('UTC', created_at))::date), channel_id, source_code, currency FROM orders"
)


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("promised_by", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(
            sa.Column("quantity_unfilled", sa.Integer(), nullable=False, server_default="0")
        )
    # The same keys as before, plus what the reports read (PostgreSQL only: SQLite has no
    # INCLUDE, its indexes stay as they were).
    op.drop_index("ix_orders_created", table_name="orders")
    op.create_index(
        "ix_orders_created", "orders", ["created_at"], postgresql_include=ORDER_COLUMNS
    )
    op.drop_index("ix_order_lines_order", table_name="order_lines")
    op.create_index(
        "ix_order_lines_order",
        "order_lines",
        ["order_id", "position"],
        postgresql_include=LINE_COLUMNS,
    )
    op.create_index(
        "ix_orders_channel_created",
        "orders",
        ["channel_id", "created_at"],
        postgresql_include=ORDER_COLUMNS,
    )
    op.create_index(
        "ix_order_lines_unfilled",
        "order_lines",
        ["order_id"],
        postgresql_where=sa.text("quantity_unfilled > 0"),
        sqlite_where=sa.text("quantity_unfilled > 0"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DAY_STATISTICS)
    op.create_index(
        "ix_orders_open_promised",
        "orders",
        ["promised_by"],
        unique=False,
        postgresql_where=sa.text(OPEN_ORDER_SQL),
        sqlite_where=sa.text(OPEN_ORDER_SQL),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_orders_report_day")
    op.drop_index("ix_order_lines_unfilled", table_name="order_lines")
    op.drop_index("ix_orders_open_promised", table_name="orders")
    op.drop_index("ix_orders_channel_created", table_name="orders")
    op.drop_index("ix_order_lines_order", table_name="order_lines")
    op.create_index("ix_order_lines_order", "order_lines", ["order_id", "position"])
    op.drop_index("ix_orders_created", table_name="orders")
    op.create_index("ix_orders_created", "orders", ["created_at"])
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("quantity_unfilled")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("promised_by")
