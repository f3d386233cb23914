"""Sending a batch of rows as one statement.

Batches are parameters of a statement SQLAlchemy compiles once and caches, never a
`.values([...])` literal (a 2,000-row literal was recompiled on every call, ~0.2 s). On
PostgreSQL a batch is one array per column, turned back into rows by `unnest`: one
statement and a few parameters for 5,000 rows, where executemany costs a round trip per
row (~30 ms per 1,000). SQLite, in-process, takes executemany.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, column, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from persistence.database import Database

T = TypeVar("T")
CHUNK = 2000


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@cache
def unnest(table: Table, names: Sequence[str]) -> Any:
    """PostgreSQL rows from arrays: `unnest($1::bigint[], ...) AS anon(name, ...)`.

    Array parameters are named `<column>_list`: SQLAlchemy reserves bare column names
    for the VALUES/SET clause of the statement. Built once per table and columns (and
    `names` must then be a tuple): building the table-valued function made a dozen
    SQLAlchemy objects per call, a hot path's statement cost more to build than to run.
    """
    types = [table.c[name].type for name in names]
    arrays = (bindparam(f"{n}_list", type_=ARRAY(t)) for n, t in zip(names, types, strict=True))
    columns = (column(n, t) for n, t in zip(names, types, strict=True))
    return func.unnest(*arrays).table_valued(*columns).render_derived()


def pg_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], Any]:
    """PostgreSQL: the rows as SQL expressions per column, and the parameters to bind.

    A column holding one value in every row (a timestamp, a reason) is sent once, not as
    an array: asyncpg inspects every array element, about 0.3 µs each. The first column
    always stays an array, so that there are rows to unnest. The expressions are the same
    objects for the same columns, so statements built from them can be cached.
    """
    names, varying, params = row_parameters(rows)
    return pg_columns(table, names, varying), params


def row_parameters(
    rows: Sequence[Mapping[str, Any]],
) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, Any]]:
    """(columns, the columns sent as arrays, parameters) of a batch for `pg_rows`."""
    names = tuple(rows[0])
    values = {name: [row[name] for row in rows] for name in names}
    varying = (names[0], *(n for n in names[1:] if any(v != values[n][0] for v in values[n])))
    params = {f"{n}_list": values[n] for n in varying}
    params.update({f"{n}_one": values[n][0] for n in names if n not in varying})
    return names, varying, params


@cache
def pg_columns(table: Table, names: tuple[str, ...], varying: tuple[str, ...]) -> dict[str, Any]:
    """`pg_rows`'s expressions for a shape given by `row_parameters` (the same objects for
    the same shape: a statement built from them can be cached by that shape)."""
    rows_in = unnest(table, varying)
    return {
        n: rows_in.c[n] if n in varying else bindparam(f"{n}_one", type_=table.c[n].type)
        for n in names
    }


def insert_rows(db: Database, table: Table, rows: Sequence[Mapping[str, Any]]) -> tuple[Any, Any]:
    """An INSERT of many rows (ready for ON CONFLICT) and the parameters to execute it.
    The statement is the same object for the same table and columns (cacheable)."""
    if db.is_sqlite:
        return _insert(True, table), list(rows)
    names, varying, params = row_parameters(rows)
    return _insert_from_arrays(table, names, varying), params


@cache
def _insert(is_sqlite: bool, table: Table) -> Any:
    return (sqlite if is_sqlite else postgresql).insert(table)


@cache
def _insert_from_arrays(table: Table, names: tuple[str, ...], varying: tuple[str, ...]) -> Any:
    columns = pg_columns(table, names, varying)
    return _insert(False, table).from_select(list(columns), select(*columns.values()))
