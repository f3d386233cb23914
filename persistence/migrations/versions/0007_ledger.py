"""The ledger: append-only journal entries and their lines (docs/ledger.md).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = sa.Numeric(18, 4)


def upgrade() -> None:
    op.create_table(
        "journal_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("reverses", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reverses"],
            ["journal_entries.id"],
            name=op.f("fk_journal_entries_reverses_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("reverses", name=op.f("uq_journal_entries_reverses")),
    )
    op.create_index("ix_journal_entries_reference", "journal_entries", ["reference", "id"])
    op.create_table(
        "journal_lines",
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("debit", Money, nullable=False),
        sa.Column("credit", Money, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_journal_lines_entry_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("entry_id", "position", name=op.f("pk_journal_lines")),
    )
    op.create_index(
        "ix_journal_lines_currency_account", "journal_lines", ["currency", "account"]
    )


def downgrade() -> None:
    op.drop_index("ix_journal_lines_currency_account", table_name="journal_lines")
    op.drop_table("journal_lines")
    op.drop_index("ix_journal_entries_reference", table_name="journal_entries")
    op.drop_table("journal_entries")
