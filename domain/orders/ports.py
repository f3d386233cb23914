"""What the orders handlers will need from persistence: the shape, as Protocols. Nothing
implements them yet; the wiring step does (and may adjust them to domain/ports.py's split)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from domain.locations.model import Location
from domain.orders.cart import Cart
from domain.orders.delivery import DeliveryOptionConfig, PickupConfig
from domain.orders.effects import Effects
from domain.orders.model import Order
from domain.orders.plan import StockSnapshot
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


class ChannelSettingsRepository(Protocol):
    async def settings(self, channel: str) -> ChannelOrderSettings | None: ...
    async def prices(self, channel: str, skus: Iterable[str]) -> dict[str, Decimal]: ...
    async def pickup_locations(self, channel: str) -> dict[str, Location]: ...


class StockRepository(Protocol):
    async def snapshot(self, channel: str, skus: Iterable[str], *, lock: bool) -> StockSnapshot:
        """The channel's view of these SKUs; `lock=True` locks the positions (sorted key
        order) until commit, so a plan made from it cannot oversell."""
        ...

    async def apply(self, effects: Effects) -> None:
        """Allocate, release and ship (movement journal) as the effects say."""
        ...


class CartRepository(Protocol):
    async def get(self, cart_id: str, *, for_update: bool = False) -> Cart | None: ...
    async def add(self, cart: Cart) -> None: ...
    async def save(self, cart: Cart) -> None: ...


class OrderRepository(Protocol):
    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None: ...
    async def by_fulfillment(
        self, fulfillment_id: str, *, for_update: bool = False
    ) -> Order | None: ...
    async def next_number(self, channel: str) -> str: ...
    async def add(self, order: Order) -> None: ...
    async def save(self, order: Order) -> None: ...


class OrderPorts(Protocol):
    """The orders area of the unit of work (docs/events.md): the wiring step adds it to
    UnitOfWork's bases, implements it in persistence and fakes it in tests."""

    @property
    def carts(self) -> CartRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def stock(self) -> StockRepository: ...

    @property
    def channel_settings(self) -> ChannelSettingsRepository: ...
