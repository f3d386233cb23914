"""The fake unit of work: every area's fakes, events and idempotency, with rollback.

State lives in the fakes and is shared across units of work, as a database would keep it.
Leaving `async with` without `commit()` restores what the fakes held on entry, so a test
can assert that a refused use case changed nothing.
"""

from __future__ import annotations

import copy
from types import TracebackType
from typing import Any

from domain.events import DomainEvent, RaisedEvents
from domain.ports import UnitOfWork
from persistence.outbox import OutboxRow, outbox_rows
from tests.unit.handlers.fakes.catalog import FakeCatalog, FakeCatalogBulk
from tests.unit.handlers.fakes.customers import FakeCustomers
from tests.unit.handlers.fakes.idempotency import FakeIdempotencyStore
from tests.unit.handlers.fakes.inventory import FakeChannelAtp, FakeInventory
from tests.unit.handlers.fakes.ledger import FakeLedger
from tests.unit.handlers.fakes.locations import FakeLocations
from tests.unit.handlers.fakes.orders import FakeCarts, FakeChannelSettings, FakeOrders, FakeStock
from tests.unit.handlers.fakes.promotions import FakePromotions
from tests.unit.handlers.fakes.returns import FakeReturns
from tests.unit.handlers.fakes.tokens import FakeTokens


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.catalog = FakeCatalog()
        self.catalog_bulk = FakeCatalogBulk(self.catalog)
        self.locations = FakeLocations()
        self.tokens = FakeTokens()
        self.inventory = FakeInventory(self.catalog)
        self.channel_atp = FakeChannelAtp(self.catalog, self.inventory)
        self.idempotency = FakeIdempotencyStore()
        self.carts = FakeCarts()
        self.orders = FakeOrders()
        self.stock = FakeStock(self.catalog, self.inventory, self.channel_atp, self.orders)
        self.channel_settings = FakeChannelSettings(self.catalog)
        self.customers = FakeCustomers()
        self.ledger = FakeLedger()
        self.returns = FakeReturns()
        self.promotions = FakePromotions()
        self.events = RaisedEvents()
        self.commits = 0
        self.published: list[DomainEvent] = []  # committed events, in order
        self.outbox: list[OutboxRow] = []  # the rows the real one writes
        self._saved: list[tuple[Any, dict[str, Any]]] | None = None

    def _fakes(self) -> list[Any]:
        return [
            self.catalog,
            self.catalog_bulk,
            self.locations,
            self.tokens,
            self.inventory,
            self.channel_atp,
            self.idempotency,
            self.carts,
            self.orders,
            self.stock,
            self.channel_settings,
            self.customers,
            self.ledger,
            self.returns,
            self.promotions,
        ]

    def _save(self) -> None:
        self._saved = [
            (fake, {name: copy.deepcopy(getattr(fake, name)) for name in fake.STATE})
            for fake in self._fakes()
        ]

    async def __aenter__(self) -> FakeUnitOfWork:
        self._save()
        self.events = RaisedEvents()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._saved is not None
        for fake, state in self._saved:
            for name, value in state.items():
                setattr(fake, name, value)
        self._saved = None
        self.idempotency.unfinished.clear()
        self.events.discard()

    async def commit(self) -> None:
        if self.idempotency.unfinished:
            raise RuntimeError(
                f"idempotency keys claimed but not completed: {self.idempotency.unfinished}"
            )
        events = self.events.take()
        # The real unit of work's serialisation, so a handler test fails on an event the
        # outbox could not write.
        self.outbox.extend(outbox_rows(events))
        self.published.extend(events)
        self.commits += 1
        self._save()


def _satisfies_the_port(uow: FakeUnitOfWork) -> UnitOfWork:
    return uow  # mypy fails here, naming the member, as soon as a fake drifts from its port
