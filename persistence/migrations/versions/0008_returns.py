"""Returns: returns and their lines; locations.accepts_returns (docs/returns.md).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = sa.Numeric(18, 4)
Uid = sa.String(36)


def upgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.add_column(sa.Column("accepts_returns", sa.Boolean(), nullable=True))
    op.create_table(
        "returns",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("order_id", Uid, nullable=False),
        sa.Column("order_number", sa.String(length=80), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("location_code", sa.String(length=64), nullable=True),
        sa.Column("received_at_location", sa.String(length=64), nullable=True),
        sa.Column("refund", Money, nullable=True),
        sa.Column("exchange_order_id", Uid, nullable=True),
        sa.Column("exchange_lines", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["exchange_order_id"], ["orders.id"], name=op.f("fk_returns_exchange_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
    )
    op.create_index("ix_returns_order", "returns", ["order_id", "id"])
    op.create_table(
        "return_lines",
        sa.Column("return_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("order_line_id", Uid, nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("received", sa.Integer(), nullable=True),
        sa.Column("disposition", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_lines_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("return_id", "position", name=op.f("pk_return_lines")),
    )


def downgrade() -> None:
    op.drop_table("return_lines")
    op.drop_index("ix_returns_order", table_name="returns")
    op.drop_table("returns")
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("accepts_returns")
