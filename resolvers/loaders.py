"""Per-request dataloaders: one class of lookup per key, one SQL statement per batch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from datetime import date
from functools import cached_property
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.inventory.model import IncomingSupply
from persistence.database import Database
from persistence.reads import catalog as catalog_reads
from persistence.reads import inventory as inventory_reads
from persistence.reads import orders as order_reads
from persistence.repositories import returns as return_reads

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Fetch = Callable[[AsyncConnection, Sequence[K]], Awaitable[Mapping[K, V]]]


def _loader(db: Database, fetch: Fetch[K, V], default: Any = None) -> DataLoader[Any, Any]:
    async def batch(keys: Sequence[K]) -> list[V | None]:
        async with db.read() as conn:
            found = await fetch(conn, list(keys))
        return [found.get(key, default) for key in keys]

    return DataLoader(batch)


class Loaders:
    """Created per request in the GraphQL context, so caches never outlive a request.

    Each loader is made on first use: a request touches two or three of them, and making
    all of them up front cost the storefront listing about as much as one of its fields.
    """

    def __init__(self, db: Database, today: date) -> None:
        self._db = db
        self._today = today

    @cached_property
    def product(self) -> DataLoader[Any, Any]:
        return _loader(self._db, catalog_reads.products_by_ids)

    @cached_property
    def product_by_handle(self) -> DataLoader[Any, Any]:
        return _loader(self._db, catalog_reads.products_by_handles)

    @cached_property
    def variants_of_product(self) -> DataLoader[Any, Any]:
        return _loader(self._db, catalog_reads.variants_by_product, [])

    @cached_property
    def variant(self) -> DataLoader[Any, Any]:
        return _loader(self._db, catalog_reads.variants_by_ids)

    @cached_property
    def variant_by_sku(self) -> DataLoader[Any, Any]:
        return _loader(self._db, catalog_reads.variants_by_skus)

    @cached_property
    def price(self) -> DataLoader[Any, Any]:
        return _loader(self._db, catalog_reads.prices_for)

    @cached_property
    def category(self) -> DataLoader[Any, Any]:
        return _loader(self._db, catalog_reads.categories_by_ids)

    @cached_property
    def category_by_code(self) -> DataLoader[Any, Any]:
        return _loader(self._db, catalog_reads.categories_by_codes)

    @cached_property
    def kit_components(self) -> DataLoader[Any, Any]:
        return _loader(self._db, catalog_reads.kit_components_of, [])

    @cached_property
    def incoming(self) -> DataLoader[Any, Any]:
        today = self._today

        async def incoming(
            conn: AsyncConnection, keys: Sequence[tuple[int, int]]
        ) -> dict[tuple[int, int], list[IncomingSupply]]:
            return await inventory_reads.incoming_for(conn, keys, today)

        return _loader(self._db, incoming, [])

    # Orders: the row, and each part batched by order id (one statement per part).
    @cached_property
    def order(self) -> DataLoader[Any, Any]:
        return _loader(self._db, order_reads.orders_by_ids)

    @cached_property
    def order_by_number(self) -> DataLoader[Any, Any]:
        return _loader(self._db, order_reads.orders_by_numbers)

    @cached_property
    def order_lines(self) -> DataLoader[Any, Any]:
        return _loader(self._db, order_reads.lines_of, [])

    @cached_property
    def order_fulfillments(self) -> DataLoader[Any, Any]:
        return _loader(self._db, order_reads.fulfillments_of, [])

    @cached_property
    def order_payments(self) -> DataLoader[Any, Any]:
        return _loader(self._db, order_reads.payments_of, [])

    @cached_property
    def order_history(self) -> DataLoader[Any, Any]:
        return _loader(self._db, order_reads.history_of, [])

    @cached_property
    def fulfillment(self) -> DataLoader[Any, Any]:
        return _loader(self._db, order_reads.fulfillments_by_ids)

    @cached_property
    def customer(self) -> DataLoader[Any, Any]:
        return _loader(self._db, order_reads.customers_by_ids)

    @cached_property
    def customer_by_email(self) -> DataLoader[Any, Any]:
        return _loader(self._db, order_reads.customers_by_emails)

    # Returns: by id (node), and every return of a page of orders or customers.
    @cached_property
    def return_(self) -> DataLoader[Any, Any]:
        return _loader(self._db, return_reads.returns_by_ids)

    @cached_property
    def order_returns(self) -> DataLoader[Any, Any]:
        return _loader(self._db, return_reads.returns_of_orders, [])

    @cached_property
    def customer_returns(self) -> DataLoader[Any, Any]:
        return _loader(self._db, return_reads.returns_of_customers, [])
