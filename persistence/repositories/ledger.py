"""The journal: entries appended in the caller's transaction, trails and sums in SQL."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, bindparam, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.ledger.accounts import Account
from domain.ledger.model import JournalEntry, JournalLine, TrialBalance, TrialBalanceRow
from domain.money import round_money
from persistence import direct
from persistence.clock import aware
from persistence.tables import journal_entries, journal_lines

_e = journal_entries.c
_l = journal_lines.c

_APPEND = text(
    """
WITH entry AS (
  INSERT INTO journal_entries (at, event, reference, memo, reverses)
  VALUES (:at, :event, :reference, :memo, :reverses)
  RETURNING id
), lines AS (
  INSERT INTO journal_lines (entry_id, position, account, debit, credit, currency)
  SELECT entry.id, l.position, l.account, l.debit, l.credit, l.currency
  FROM entry, jsonb_to_recordset(CAST(CAST(:lines AS text) AS jsonb))
    AS l(position int, account text, debit numeric, credit numeric, currency text)
)
SELECT id FROM entry
"""
).bindparams(bindparam("at", type_=DateTime(timezone=True)))


class SqlLedgerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def append(self, entry: JournalEntry) -> JournalEntry:
        if self.conn.dialect.name == "postgresql":
            return await self._append_in_one_statement(entry)
        result = await self.conn.execute(
            insert(journal_entries)
            .values(
                at=entry.at,
                event=entry.event,
                reference=entry.reference,
                memo=entry.memo,
                reverses=entry.reverses,
            )
            .returning(_e.id)
        )
        entry_id = int(result.scalar_one())
        if not entry.lines:
            return entry.with_id(entry_id)  # an event worth nothing: the trail still shows it
        await self.conn.execute(
            insert(journal_lines),
            [
                {
                    "entry_id": entry_id,
                    "position": position,
                    "account": line.account.value,
                    "debit": line.debit,
                    "credit": line.credit,
                    "currency": line.currency,
                }
                for position, line in enumerate(entry.lines)
            ],
        )
        return entry.with_id(entry_id)

    async def _append_in_one_statement(self, entry: JournalEntry) -> JournalEntry:
        """PostgreSQL: the entry and its lines in one round trip (checkout and shipments
        post on their hot path), the lines read from one JSON document."""
        lines = [
            {
                "position": position,
                "account": line.account.value,
                "debit": str(line.debit),
                "credit": str(line.credit),
                "currency": line.currency,
            }
            for position, line in enumerate(entry.lines)
        ]
        params = {
            "at": entry.at,
            "event": entry.event,
            "reference": entry.reference,
            "memo": entry.memo,
            "reverses": entry.reverses,
            "lines": json.dumps(lines),
        }
        found = await direct.rows(self.conn, _APPEND, params)
        return entry.with_id(int(found[0][0]))

    async def trail(self, reference: str) -> list[JournalEntry]:
        rows = await self.conn.execute(
            select(journal_entries, _l.account, _l.debit, _l.credit, _l.currency)
            .outerjoin(journal_lines, _l.entry_id == _e.id)
            .where(_e.reference == reference)
            .order_by(_e.id, _l.position)
        )
        return entries_from(rows)

    async def trial_balance(self, currency: str) -> TrialBalance:
        rows = await self.conn.execute(
            select(_l.account, func.sum(_l.debit), func.sum(_l.credit))
            .where(_l.currency == currency)
            .group_by(_l.account)
        )
        zero = round_money(Decimal(0), currency)
        # Every stored amount is on the currency's grid, so rounding the sums only drops the
        # column's padding (Numeric(18, 4)): 345.85, not 345.8500.
        sums = {
            Account(account): (
                round_money(Decimal(debit), currency),
                round_money(Decimal(credit), currency),
            )
            for account, debit, credit in rows
        }
        ordered = sorted(sums.items(), key=lambda item: item[0].number)
        table = tuple(TrialBalanceRow(account, d, c) for account, (d, c) in ordered)
        return TrialBalance(
            currency,
            table,
            sum((row.debit for row in table), zero),
            sum((row.credit for row in table), zero),
        )


def entries_from(rows: Any) -> list[JournalEntry]:
    """Entries from rows of (entry columns, account, debit, credit, currency), grouped by id
    in the order the rows come; an entry without lines comes as one row without an account."""
    heads: dict[int, Any] = {}
    lines: dict[int, list[JournalLine]] = defaultdict(list)
    for row in rows:
        heads.setdefault(row.id, row)
        if row.account is None:
            continue  # an entry without lines (outer join)
        amount = (Decimal(row.debit), Decimal(row.credit))
        debit, credit = (round_money(a, row.currency) for a in amount)
        lines[row.id].append(JournalLine(Account(row.account), debit, credit, row.currency))
    return [
        JournalEntry(
            aware(head.at),
            head.event,
            head.reference,
            tuple(lines[entry_id]),
            entry_id,
            head.reverses,
            head.memo,
        )
        for entry_id, head in heads.items()
    ]
