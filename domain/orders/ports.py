"""What the orders handlers need from persistence (docs/events.md: ports per area).

Lock order, for every use case that takes more than one of these locks (so concurrent use
cases never deadlock): cart row -> order row -> inventory positions (sorted by key) ->
reservation rows -> incoming supply rows -> capacity counters (sorted by location) ->
order number. The cheap rows first, the contended ones (positions, counters) held as
briefly as possible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from domain.catalog.model import Variant
from domain.inventory.ingest import PositionKey, PositionState
from domain.inventory.model import InventoryView
from domain.orders.cart import Cart
from domain.orders.delivery import DeliveryOptionConfig, PickupConfig
from domain.orders.model import Order
from domain.orders.plan import IncomingStock
from domain.orders.sourcing_rules import SourcingConfig
from domain.orders.tax import TaxTable


@dataclass(frozen=True, slots=True)
class ChannelOrderSettings:
    """Everything a channel configures for carts and orders."""

    channel: str
    currency: str
    taxes: TaxTable
    sourcing: SourcingConfig
    delivery_options: tuple[DeliveryOptionConfig, ...]
    pickup: PickupConfig
    channel_id: int = 0
    number_prefix: str = ""  # order numbers read `<prefix><n>`; "" -> `<CHANNEL CODE>-`


@dataclass(frozen=True, slots=True)
class Hold:
    """Units a cart holds at one position until `expires_at` (cartReserve)."""

    id: int
    cart_id: str
    key: PositionKey
    quantity: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PositionDelta:
    """A relative change to a locked position's counters."""

    allocated: int = 0
    reserved: int = 0
    on_hand: int = 0


class ChannelSettingsRepository(Protocol):
    async def settings(self, channel: str) -> ChannelOrderSettings | None:
        """The channel's settings (defaults where it configured none); None: no such channel."""
        ...

    async def save(self, settings: ChannelOrderSettings, now: datetime) -> None: ...

    async def prices(self, channel_id: int, skus: Iterable[str]) -> dict[str, Decimal]:
        """Unit prices of the SKUs the channel sells (has a price for)."""
        ...

    async def sellable(
        self, channel_id: int, skus: Iterable[str]
    ) -> dict[str, tuple[Variant, Decimal]]:
        """The variant and unit price of each SKU the channel sells, in one read."""
        ...


class StockRepository(Protocol):
    """Positions as orders use them: locked for sourcing, held by carts, allocated."""

    async def view(self, channel_id: int) -> InventoryView | None: ...

    async def positions(
        self,
        variant_ids: Sequence[int],
        location_ids: Sequence[int],
        *,
        lock: bool,
        include: Iterable[PositionKey] = (),
    ) -> dict[PositionKey, PositionState]:
        """Positions of these variants at these locations that have units to offer or to
        give back (available > 0 or reserved > 0), plus the `include` keys. With `lock`,
        locked FOR UPDATE in key order until commit: a plan made from them cannot oversell."""
        ...

    async def adjust(self, deltas: Mapping[PositionKey, PositionDelta], now: datetime) -> None:
        """Add the deltas to positions this unit of work locked."""
        ...

    async def holds(self, cart_id: str) -> list[Hold]: ...

    async def release_holds(
        self, keys: Iterable[PositionKey], cart_id: str | None, now: datetime
    ) -> list[Hold]:
        """Delete, among holds at these (locked) positions, the cart's own and every expired
        one; returns what was deleted, so the caller gives the units back exactly once."""
        ...

    async def add_holds(
        self, cart_id: str, holds: Mapping[PositionKey, int], expires_at: datetime
    ) -> None: ...

    async def expired_holds(self, now: datetime, limit: int) -> list[Hold]:
        """Holds past their expiry, oldest first (not locked: the sweeper locks positions,
        then deletes with `delete_expired`)."""
        ...

    async def delete_expired(self, ids: Sequence[int], now: datetime) -> list[Hold]:
        """Delete these holds if still there and expired; returns the ones deleted."""
        ...

    async def incoming(
        self, variant_ids: Sequence[int], location_ids: Sequence[int], today: date, *, lock: bool
    ) -> list[IncomingStock]:
        """Supply expected from `today` on; with `lock`, its rows are locked so two
        backorders never promise the same units."""
        ...

    async def backordered(self, skus: Iterable[str]) -> dict[str, int]:
        """Units of each SKU open orders wait for (they have a claim on incoming supply)."""
        ...

    async def capacity_used(self, location_ids: Sequence[int], day: date) -> dict[int, int]:
        """Fulfillments assigned today per location (locations with a daily capacity)."""
        ...

    async def take_capacity(
        self, counts: Mapping[int, int], capacities: Mapping[int, int], day: date
    ) -> set[int]:
        """Count new fulfillments against each location's daily capacity, locking its
        counter until commit. All or nothing: returns the locations that are full (then
        nothing was counted and no counter stays locked)."""
        ...

    async def return_capacity(self, counts: Mapping[int, int], day: date) -> None:
        """Give back fulfillments counted on `day` (re-sourced or cancelled before work)."""
        ...


class CartRepository(Protocol):
    async def get(self, cart_id: str, *, for_update: bool = False) -> Cart | None: ...
    async def add(self, cart: Cart, now: datetime) -> None: ...
    async def save(self, cart: Cart, now: datetime) -> None: ...


class OrderRepository(Protocol):
    """The whole Order aggregate: lines, fulfillments and their lines, backorders, payment
    and its transactions, history. `save` writes what changed since `get`/`add`."""

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None: ...

    async def by_number(self, number: str) -> Order | None: ...

    async def by_fulfillment(
        self, fulfillment_id: str, *, for_update: bool = False
    ) -> Order | None: ...

    async def by_external_reference(self, channel_id: int, reference: str) -> Order | None: ...

    async def next_number(self, channel_id: int) -> int:
        """The channel's next order number (1001, 1002, ...)."""
        ...

    async def add(self, order: Order, *, channel_id: int, cart_id: str | None = None) -> None: ...

    async def save(self, order: Order) -> None: ...

    async def with_backorders(self, skus: Iterable[str], limit: int) -> list[str]:
        """Ids of orders with open backorders of these SKUs, oldest first."""
        ...

    async def ready_pickups(
        self, ready_before: datetime, limit: int, *, channel_id: int | None = None
    ) -> list[str]:
        """Ids of pickup fulfillments READY_FOR_PICKUP since before `ready_before`, oldest
        first (of orders of `channel_id` when given: hold days are per channel)."""
        ...

    async def backordered_skus(self, limit: int) -> list[str]:
        """SKUs some open order waits for (backorder release sweeps these)."""
        ...


class OrderPorts(Protocol):
    """The orders area of the unit of work."""

    @property
    def carts(self) -> CartRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def stock(self) -> StockRepository: ...

    @property
    def channel_settings(self) -> ChannelSettingsRepository: ...
