"""Relay connections as plain read models; totalCount is only counted when asked for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

MAX_PAGE = 100


def page_size(first: int | None, default: int) -> int:
    """Page sizes are capped at 100 (clamped, not an error); negatives read as zero."""
    size = default if first is None else first
    return max(0, min(size, MAX_PAGE))


@dataclass(frozen=True, slots=True)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


class Edge(Generic[T]):
    """An edge whose cursor is encoded only when read: a storefront listing selects
    nodes and rarely the cursors of every edge."""

    __slots__ = ("_cursor", "_cursor_of", "node")

    def __init__(self, cursor_of: Callable[[T], str], node: T) -> None:
        self._cursor_of = cursor_of
        self._cursor: str | None = None
        self.node = node

    @property
    def cursor(self) -> str:
        found = self._cursor
        if found is None:
            found = self._cursor = self._cursor_of(self.node)
        return found

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Edge):
            return NotImplemented
        return (self.cursor, self.node) == (other.cursor, other.node)

    def __hash__(self) -> int:
        return hash((self.cursor, self.node))

    def __repr__(self) -> str:
        return f"Edge(cursor={self.cursor!r}, node={self.node!r})"


@dataclass(frozen=True, slots=True)
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count: Callable[[], Awaitable[int]]


def connection(
    rows: Sequence[T],
    limit: int,
    cursor_of: Callable[[T], str],
    has_previous: bool,
    count: Callable[[], Awaitable[int]],
) -> Connection[T]:
    """Build a connection from `limit + 1` fetched rows (the extra one tells hasNextPage)."""
    items = list(rows[:limit])
    edges = [Edge(cursor_of, item) for item in items]
    info = PageInfo(
        has_next_page=len(rows) > limit,
        has_previous_page=has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges, info, count)


async def _zero() -> int:
    return 0


def empty_connection() -> Connection[Any]:
    """No rows (e.g. a filter on a code that does not exist)."""
    return connection([], 0, lambda _: "", False, _zero)
