"""Leave room on each page of the hot, constantly updated tables (PostgreSQL only).

Ingest rewrites positions and channel ATP rows all day; the columns it changes are not
indexed, so with free space on the page PostgreSQL can update in place (HOT) without
touching the indexes. SQLite has no such setting.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("inventory_positions", "channel_atp")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
