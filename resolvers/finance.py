"""The journal and the trial balance for finance (docs/ledger.md, "Wiring").

Only unbound tokens holding `finance:read` reach these (the schema's policies): the ledger
spans every channel, and a trial balance is a sum over all of them, so a channel-bound
token is refused rather than shown a partial, misleading set of books (docs/access.md).
"""

from __future__ import annotations

from domain.ledger.model import JournalEntry, TrialBalance
from domain.money import is_currency_code
from persistence.reads import ledger as reads
from persistence.repositories.ledger import SqlLedgerRepository
from resolvers import ids
from resolvers.context import Context
from resolvers.errors import ApiError
from resolvers.pagination import Connection, connection, page_size

ENTRY = "JournalEntry"
DEFAULT_PAGE = 50


def entry_id(entry: JournalEntry) -> str:
    return ids.global_id(ENTRY, entry.id or 0)


def reversed_id(entry: JournalEntry) -> str | None:
    return None if entry.reverses is None else ids.global_id(ENTRY, entry.reverses)


async def journal_entries(
    ctx: Context, reference: str | None, first: int | None, after: str | None
) -> Connection[JournalEntry]:
    """Oldest first, by id (the order they were recorded in): a trail reads as it happened,
    and entries recorded while a client pages land after its last page, never shift it."""
    try:
        parsed = ids.parse_cursor(after)
    except ValueError as exc:
        raise ApiError("Malformed cursor in `after`.", "INVALID") from exc
    after_id = parsed[0] if parsed else None
    limit = page_size(first, DEFAULT_PAGE)
    async with ctx.db.read() as conn:
        rows = await reads.journal_page(conn, reference, after_id, limit + 1)

    async def count() -> int:
        async with ctx.db.read() as conn:
            return await reads.journal_count(conn, reference)

    return connection(rows, limit, lambda e: ids.cursor(e.id or 0), after_id is not None, count)


async def journal_entry(ctx: Context, key: int) -> JournalEntry | None:
    """For `node(id:)`: its policy (the type's `id`) already required an unbound finance
    token, which sees every entry."""
    async with ctx.db.read() as conn:
        return (await reads.journal_entries_by_ids(conn, [key])).get(key)


async def trial_balance(ctx: Context, currency: str) -> TrialBalance:
    """Every account that moved in `currency` (none: no rows, zero totals)."""
    code = currency.strip().upper()
    if not is_currency_code(code):
        raise ApiError(f"{currency!r} is not an ISO 4217 currency code.", "INVALID")
    async with ctx.db.read() as conn:
        return await SqlLedgerRepository(conn).trial_balance(code)
