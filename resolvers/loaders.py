"""Per-request dataloaders: one class of lookup per key, one SQL statement per batch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from datetime import date
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
    """Created per request in the GraphQL context, so caches never outlive a request."""

    def __init__(self, db: Database, today: date) -> None:
        self.product: DataLoader[Any, Any] = _loader(db, catalog_reads.products_by_ids)
        self.product_by_handle: DataLoader[Any, Any] = _loader(
            db, catalog_reads.products_by_handles
        )
        self.variants_of_product: DataLoader[Any, Any] = _loader(
            db, catalog_reads.variants_by_product, []
        )
        self.variant: DataLoader[Any, Any] = _loader(db, catalog_reads.variants_by_ids)
        self.variant_by_sku: DataLoader[Any, Any] = _loader(db, catalog_reads.variants_by_skus)
        self.price: DataLoader[Any, Any] = _loader(db, catalog_reads.prices_for)
        self.category: DataLoader[Any, Any] = _loader(db, catalog_reads.categories_by_ids)
        self.category_by_code: DataLoader[Any, Any] = _loader(db, catalog_reads.categories_by_codes)
        self.kit_components: DataLoader[Any, Any] = _loader(db, catalog_reads.kit_components_of, [])

        async def incoming(
            conn: AsyncConnection, keys: Sequence[tuple[int, int]]
        ) -> dict[tuple[int, int], list[IncomingSupply]]:
            return await inventory_reads.incoming_for(conn, keys, today)

        self.incoming: DataLoader[Any, Any] = _loader(db, incoming, [])

        # Orders: the row, and each part batched by order id (one statement per part).
        self.order: DataLoader[Any, Any] = _loader(db, order_reads.orders_by_ids)
        self.order_by_number: DataLoader[Any, Any] = _loader(db, order_reads.orders_by_numbers)
        self.order_lines: DataLoader[Any, Any] = _loader(db, order_reads.lines_of, [])
        self.order_fulfillments: DataLoader[Any, Any] = _loader(db, order_reads.fulfillments_of, [])
        self.order_payments: DataLoader[Any, Any] = _loader(db, order_reads.payments_of, [])
        self.order_history: DataLoader[Any, Any] = _loader(db, order_reads.history_of, [])
        self.fulfillment: DataLoader[Any, Any] = _loader(db, order_reads.fulfillments_by_ids)
        self.customer: DataLoader[Any, Any] = _loader(db, order_reads.customers_by_ids)
        self.customer_by_email: DataLoader[Any, Any] = _loader(db, order_reads.customers_by_emails)
        # Returns: by id (node), and every return of a page of orders or customers.
        self.return_: DataLoader[Any, Any] = _loader(db, return_reads.returns_by_ids)
        self.order_returns: DataLoader[Any, Any] = _loader(db, return_reads.returns_of_orders, [])
        self.customer_returns: DataLoader[Any, Any] = _loader(
            db, return_reads.returns_of_customers, []
        )
