"""Reports over lines without the join: each order line and fulfillment carries its order's
placement time (`placed_at`) and channel (`channel_id`), copied at insert (they never
change), with the indexes the returns, fill-rate and order-to-shipment reports read a
period from (docs/reports.md, "SQL strategy").

Existing rows are filled from their order before the columns become NOT NULL.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Mirrors persistence/tables.py PLACED_*_COLUMNS and DELIVERED_FULFILLMENT_SQL (literal: a
# migration must not change when the code does).
LINE_COLUMNS = [
    "channel_id",
    "position",
    "sku",
    "quantity",
    "quantity_shipped",
    "quantity_cancelled",
    "quantity_returned",
    "quantity_unfilled",
]
FULFILLMENT_COLUMNS = ["channel_id", "location_id", "location_code", "method", "updated_at"]
DELIVERED_SQL = "status IN ('SHIPPED', 'PICKED_UP')"
TABLES = ("order_lines", "fulfillments")
# What 0010's ix_order_lines_order covered (restored on downgrade).
REPORTED_0010 = [
    "sku",
    "quantity",
    "quantity_shipped",
    "quantity_cancelled",
    "quantity_returned",
    "quantity_unfilled",
]


def _backfill(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"UPDATE {table} AS x SET placed_at = o.created_at, channel_id = o.channel_id "
            "FROM orders AS o WHERE o.id = x.order_id"
        )
    else:
        op.execute(
            f"UPDATE {table} SET "
            f"placed_at = (SELECT o.created_at FROM orders AS o WHERE o.id = {table}.order_id), "
            f"channel_id = (SELECT o.channel_id FROM orders AS o WHERE o.id = {table}.order_id)"
        )


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True))
            batch.add_column(sa.Column("channel_id", sa.Integer(), nullable=True))
        _backfill(table)
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "placed_at", existing_type=sa.DateTime(timezone=True), nullable=False
            )
            batch.alter_column("channel_id", existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key(
                f"fk_{table}_channel_id_channels", "channels", ["channel_id"], ["id"]
            )
    # A period's rows, and one channel's (PostgreSQL 15 has no skip scan); fulfillments
    # only once delivered, so placing an order writes neither fulfillment index.
    for prefix, keys in (("", ["placed_at"]), ("_channel", ["channel_id", "placed_at"])):
        op.create_index(
            f"ix_order_lines{prefix}_placed",
            "order_lines",
            keys,
            postgresql_include=[c for c in LINE_COLUMNS if c not in keys],
        )
        op.create_index(
            f"ix_fulfillments{prefix}_placed_delivered",
            "fulfillments",
            keys,
            postgresql_include=[c for c in FULFILLMENT_COLUMNS if c not in keys],
            postgresql_where=sa.text(DELIVERED_SQL),
            sqlite_where=sa.text(DELIVERED_SQL),
        )
    # The reports no longer read lines by order: the 0010 covering columns only cost writes.
    op.drop_index("ix_order_lines_order", table_name="order_lines")
    op.create_index("ix_order_lines_order", "order_lines", ["order_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_order_lines_order", table_name="order_lines")
    op.create_index(
        "ix_order_lines_order",
        "order_lines",
        ["order_id", "position"],
        postgresql_include=REPORTED_0010,
    )
    for prefix in ("", "_channel"):
        op.drop_index(f"ix_fulfillments{prefix}_placed_delivered", table_name="fulfillments")
        op.drop_index(f"ix_order_lines{prefix}_placed", table_name="order_lines")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_channel_id_channels", type_="foreignkey")
            batch.drop_column("channel_id")
            batch.drop_column("placed_at")
