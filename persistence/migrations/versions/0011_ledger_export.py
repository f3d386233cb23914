"""General-ledger export batches: each journal entry exported exactly once (docs/ledger.md,
"Export").

`ledger_exports` records each batch (the date range asked for, the entry ids it took, the
checksum of its file); `ledger_export_entries` says which batch took each entry, with the
entry id as primary key, so no entry can ever be in two batches, whatever runs concurrently.

Revision ID: 0011
Revises: 0007

Written against 0007 (the ledger) on the `ledger` branch; the lead re-chains `down_revision`
at merge, after the returns (0008), promotions (0009) and reports (0010) migrations.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_exports",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("first_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("last_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_exports")),
        sa.UniqueConstraint("date_from", "date_to", name=op.f("uq_ledger_exports_date_from")),
    )
    op.create_table(
        "ledger_export_entries",
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_ledger_export_entries_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ledger_exports.id"],
            name=op.f("fk_ledger_export_entries_batch_id_ledger_exports"),
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_ledger_export_entries")),
    )
    op.create_index(
        "ix_ledger_export_entries_batch", "ledger_export_entries", ["batch_id", "entry_id"]
    )
    op.create_index("ix_journal_entries_at", "journal_entries", ["at"])


def downgrade() -> None:
    op.drop_index("ix_journal_entries_at", table_name="journal_entries")
    op.drop_index("ix_ledger_export_entries_batch", table_name="ledger_export_entries")
    op.drop_table("ledger_export_entries")
    op.drop_table("ledger_exports")
