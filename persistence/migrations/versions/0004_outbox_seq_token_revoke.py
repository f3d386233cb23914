"""The outbox becomes the event log; tokens can be revoked.

`outbox.seq` is stamped by the relay in commit order, relays serialised by a lock (see
persistence/outbox_log.py); every worker tails `seq > last_seen`. The counter lives in its
own row (`outbox_sequence`) so purging old outbox rows never lets a number be reused.

Revision ID: 0004
Revises: 0003
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.create_index("ix_outbox_seq", ["seq"], unique=True)
    op.create_table(
        "outbox_sequence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("log_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_sequence")),
    )
    # Start above every id handed out so far: sequence numbers never go backwards, even
    # for a process that was tailing before a downgrade and upgrade. log_id names this
    # log on the Redis doorbell, so databases that share a Redis never hear each other.
    op.execute(
        "INSERT INTO outbox_sequence (id, last_seq, log_id) "
        f"SELECT 1, COALESCE(MAX(id), 0), '{uuid.uuid4().hex}' FROM outbox"
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("revoked_at")
    op.drop_table("outbox_sequence")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_seq")
        batch.drop_column("seq")
