"""Scoped idempotency: the idempotency_keys table; inventory event ids unique per caller.

`inventory_movements.event_id` was unique across all callers; it becomes unique per
(scope, event_id), scope being the caller (domain Actor.caller_id). Event ids journaled before
this migration get the scope 'legacy': no caller resends into it, so a retry that spans
the upgrade is applied again (upgrade while tills are quiet).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("result_ref", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "operation", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=100), nullable=True))
    op.execute("UPDATE inventory_movements SET scope = 'legacy' WHERE event_id IS NOT NULL")
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.drop_constraint("uq_inventory_movements_event_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_inventory_movements_scope_event_id", ["scope", "event_id"]
        )


def downgrade() -> None:
    # One global namespace again: where callers reused an id, the first journaled keeps it
    # and the others lose it (their movements stay, only their replay protection goes).
    op.execute(
        "UPDATE inventory_movements SET event_id = NULL WHERE event_id IS NOT NULL AND id NOT IN "
        "(SELECT MIN(id) FROM inventory_movements WHERE event_id IS NOT NULL GROUP BY event_id)"
    )
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.drop_constraint("uq_inventory_movements_scope_event_id", type_="unique")
        batch_op.create_unique_constraint("uq_inventory_movements_event_id", ["event_id"])
        batch_op.drop_column("scope")
    op.drop_table("idempotency_keys")
