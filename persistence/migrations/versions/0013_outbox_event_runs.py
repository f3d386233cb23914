"""Outbox rows that carry a run of events: `events` says how many (1: `payload` is the
event; more: `payload` is a JSON array of the events' payloads, all of the row's topic).
The relay hands a row that many sequence numbers and its `seq` is the last of them, so the
event log readers see is unchanged: one gapless number per event (persistence/outbox_log.py).

A batch of 1,000 counts raised ~560 AvailabilityChanged events, each its own row inserted,
stamped by the relay (three index entries each time) and purged: about a quarter of the
batch's CPU, server and PostgreSQL together (bench/README.md, "Outbox event runs").

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("events", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    # Rows of several events cannot be represented one event per row without renumbering
    # what readers have seen; a downgrade keeps only single-event rows.
    op.execute("DELETE FROM outbox WHERE events <> 1")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("events")
