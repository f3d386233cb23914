"""The unit of work the use cases run in, composed from each area's ports.

Each area declares its repositories and its part of the unit of work in its own
`domain/<area>/ports.py` (`CatalogPorts`, `InventoryPorts`, ...). `UnitOfWork` is their
union plus what every use case shares (`Transaction`): the transaction itself, the events
raised in it, and the idempotency store. A new area adds its `...Ports` to the bases below;
persistence/uow.py implements it and tests/unit/handlers/fakes/ fakes it, and mypy (which
checks tests/) fails the build when either drifts from the port.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from domain.catalog.ports import CatalogPorts
from domain.customers.ports import CustomerPorts
from domain.events import RaisedEvents
from domain.idempotency import IdempotencyStore
from domain.inventory.ports import InventoryPorts
from domain.ledger.ports import LedgerPorts
from domain.locations.ports import LocationPorts
from domain.orders.ports import OrderPorts
from domain.promotions.ports import PromotionPorts
from domain.returns.ports import ReturnPorts
from domain.tokens.ports import TokenPorts


class Transaction(Protocol):
    """One atomic use case: everything it writes, its events included, commits together.

    `async with uow:` opens the transaction; `await uow.commit()` writes the raised events
    to the outbox and commits; leaving the block without commit rolls everything back.
    """

    @property
    def events(self) -> RaisedEvents: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWork(
    CatalogPorts,
    InventoryPorts,
    LocationPorts,
    TokenPorts,
    OrderPorts,
    CustomerPorts,
    LedgerPorts,
    ReturnPorts,
    PromotionPorts,
    Transaction,
    Protocol,
):
    """Everything a use case may reach, inside one transaction."""
