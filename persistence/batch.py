"""Sending a batch of rows as one statement.

Batches are parameters of a statement SQLAlchemy compiles once and caches, never a
`.values([...])` literal (a 2,000-row literal was recompiled on every call, ~0.2 s). On
PostgreSQL a batch is one array per column, turned back into rows by `unnest`: one
statement and a few parameters for 5,000 rows, where executemany costs a round trip per
row (~30 ms per 1,000). SQLite, in-process, takes executemany.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, column, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from persistence.database import Database

T = TypeVar("T")
CHUNK = 2000


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unnest(table: Table, names: Sequence[str]) -> Any:
    """PostgreSQL rows from arrays: `unnest($1::bigint[], ...) AS anon(name, ...)`.

    Array parameters are named `<column>_list`: SQLAlchemy reserves bare column names
    for the VALUES/SET clause of the statement.
    """
    types = [table.c[name].type for name in names]
    arrays = (bindparam(f"{n}_list", type_=ARRAY(t)) for n, t in zip(names, types, strict=True))
    columns = (column(n, t) for n, t in zip(names, types, strict=True))
    return func.unnest(*arrays).table_valued(*columns).render_derived()


def pg_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], Any]:
    """PostgreSQL: the rows as SQL expressions per column, and the parameters to bind.

    A column holding one value in every row (a timestamp, a reason) is sent once, not as
    an array: asyncpg inspects every array element, about 0.3 µs each. The first column
    always stays an array, so that there are rows to unnest.
    """
    names = list(rows[0])
    values = {name: [row[name] for row in rows] for name in names}
    varying = [names[0]] + [n for n in names[1:] if any(v != values[n][0] for v in values[n])]
    rows_in = unnest(table, varying)
    columns = {
        n: rows_in.c[n] if n in varying else bindparam(f"{n}_one", type_=table.c[n].type)
        for n in names
    }
    params = {f"{n}_list": values[n] for n in varying}
    params.update({f"{n}_one": values[n][0] for n in names if n not in varying})
    return columns, params


def insert_rows(db: Database, table: Table, rows: Sequence[Mapping[str, Any]]) -> tuple[Any, Any]:
    """An INSERT of many rows (ready for ON CONFLICT) and the parameters to execute it."""
    stmt = db.insert(table)
    if db.is_sqlite:
        return stmt, list(rows)
    columns, params = pg_rows(table, rows)
    return stmt.from_select(list(columns), select(*columns.values())), params
