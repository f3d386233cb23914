"""Journal reads for the API and the export: a page of entries with their lines in one
statement (entry ids limited in a subquery, lines joined to it), counts, one entry by id,
and the entries of an id range for the general-ledger export."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.ledger.model import JournalEntry
from persistence.repositories.ledger import entries_from
from persistence.tables import journal_entries, journal_lines

_e = journal_entries.c
_l = journal_lines.c


def _with_lines(ids: Select[tuple[int]]) -> Select[tuple[object, ...]]:
    """The entries whose ids `ids` selects, each followed by its lines, oldest first."""
    chosen = ids.subquery()
    return (
        select(journal_entries, _l.account, _l.debit, _l.credit, _l.currency)
        .join(chosen, chosen.c.id == _e.id)
        .outerjoin(journal_lines, _l.entry_id == _e.id)
        .order_by(_e.id, _l.position)
    )


async def journal_page(
    conn: AsyncConnection, reference: str | None, after_id: int | None, limit: int
) -> list[JournalEntry]:
    """Up to `limit` entries after `after_id`, oldest first (by id: the order they were
    recorded in), of one reference when given."""
    ids = select(_e.id).order_by(_e.id).limit(limit)
    if reference is not None:
        ids = ids.where(_e.reference == reference)
    if after_id is not None:
        ids = ids.where(_e.id > after_id)
    return entries_from(await conn.execute(_with_lines(ids)))


async def journal_count(conn: AsyncConnection, reference: str | None) -> int:
    query = select(func.count()).select_from(journal_entries)
    if reference is not None:
        query = query.where(_e.reference == reference)
    return int((await conn.execute(query)).scalar_one())


async def journal_entries_by_ids(conn: AsyncConnection, ids: list[int]) -> dict[int, JournalEntry]:
    found = await conn.execute(_with_lines(select(_e.id).where(_e.id.in_(ids))))
    return {entry.id: entry for entry in entries_from(found) if entry.id is not None}


async def journal_range(
    conn: AsyncConnection, after_id: int, up_to_id: int, start: datetime, end: datetime
) -> list[JournalEntry]:
    """Entries with after_id < id <= up_to_id recorded in [start, end), oldest first."""
    ids = select(_e.id).where(_e.id > after_id, _e.id <= up_to_id, _e.at >= start, _e.at < end)
    return entries_from(await conn.execute(_with_lines(ids)))
