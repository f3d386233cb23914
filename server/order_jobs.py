"""Order jobs run by every worker's lifespan: pickup expiry and backorder release.

- Pickups: every `pickup_interval` seconds, pickups READY_FOR_PICKUP longer than their
  channel's hold expire and give their units back (domain/orders/handlers/pickups.py).
- Backorders: released when stock arrives for a backordered SKU. Every worker knows which
  SKUs orders wait for (read at start and at each sweep, and from `OrderBackordered` on
  the event log); an `AvailabilityChanged` with units for one of them (a count, an
  adjustment, a cancelled order or an expired hold giving units back) triggers a release,
  after the change committed. Every `backorder_interval` seconds a sweep retries every SKU
  still backordered, so a release the feed missed (a worker restarting, stock withheld by
  a buffer) is late by one sweep, never lost. See domain/orders/handlers/backorders.py
  for why this is a job and not part of the inventory write.

Several workers may run the same job at once: each order is locked while it is worked on,
and whoever comes second finds nothing left to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from domain.codec import CodecError, decode
from domain.inventory.events import AvailabilityChanged
from domain.orders.commands import ExpirePickups, ReleaseBackorders
from domain.orders.events import OrderBackordered
from domain.orders.handlers.backorders import backordered_skus, release_backorders_of
from domain.orders.handlers.pickups import expire_pickups
from domain.payments.ports import PaymentGateway
from domain.ports import UnitOfWork
from persistence.clock import utcnow
from persistence.database import Database
from persistence.uow import SqlUnitOfWork
from subscriptions.background import Background
from subscriptions.bus import OutboxBus

log = logging.getLogger("orchestra.orders")
SWEEP_SKUS = 1000
DEBOUNCE_SECONDS = 0.05  # gather the feed's events of one write into one release


class OrderJobs:
    def __init__(
        self,
        db: Database,
        bus: OutboxBus,
        gateways: Mapping[str, PaymentGateway],
        pickup_interval: float = 60.0,
        backorder_interval: float = 30.0,
    ) -> None:
        self.db = db
        self.bus = bus
        self.gateways = gateways
        self.pickup_interval = pickup_interval
        self.backorder_interval = backorder_interval
        self.waiting: set[str] = set()  # SKUs some order waits for
        self._arrived: set[str] = set()
        self._wakeup = asyncio.Event()
        self._loops: list[Background] = []

    def new_uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self.db)

    def start(self) -> None:
        if self.pickup_interval > 0:
            pickups = Background()
            pickups.start(self._every(pickups, self.pickup_interval, self.expire))
            self._loops.append(pickups)
        if self.backorder_interval > 0:
            # Listeners run in the log's order, as each event is delivered on this worker:
            # a backorder is known before the stock that arrives after it.
            self.bus.listen(OrderBackordered.topic, self._on_activity)
            self.bus.listen(AvailabilityChanged.topic, self._on_availability)
            releases = Background()
            releases.start(self._release_loop(releases))
            self._loops.append(releases)

    async def stop(self) -> None:
        """After the passes under way, if any (subscriptions/background.py)."""
        await asyncio.gather(*(loop.stop() for loop in self._loops))
        self._loops.clear()

    def stock_arrived(self, skus: set[str]) -> None:
        """Units became available for these SKUs: release what waits for them soon."""
        self._arrived |= skus
        self._wakeup.set()

    def _on_activity(self, payload: dict[str, Any]) -> None:
        if "expected_on" not in payload:
            return  # placed, cancelled, appeased...: not a backorder
        with contextlib.suppress(CodecError, TypeError, ValueError):
            self.waiting.add(decode(OrderBackordered, payload).sku)

    def _on_availability(self, payload: dict[str, Any]) -> None:
        sku = payload.get("sku")
        if sku in self.waiting and int(payload.get("available", 0)) > 0:
            self.stock_arrived({str(sku)})

    async def expire(self) -> int:
        expired = await expire_pickups(ExpirePickups(utcnow()), self.new_uow, self.gateways)
        if expired:
            log.info("expired %d uncollected pickups", expired)
        return expired

    async def release(self, skus: set[str] | None = None) -> int:
        """Release backorders of these SKUs (None: a sweep of every SKU still backordered)."""
        if skus is None:
            self.waiting = set(await backordered_skus(self.new_uow, SWEEP_SKUS))
            skus = self.waiting
        released = await release_backorders_of(
            ReleaseBackorders(sorted(skus)), self.new_uow, self.gateways, utcnow()
        )
        if released:
            log.info("released backorders of %d orders", released)
        return released

    async def _release_loop(self, loop: Background) -> None:
        sweep = True  # at start: learn which SKUs are waiting, release what can be
        while True:
            arrived, self._arrived = self._arrived, set()
            try:
                await self.release(None if sweep else arrived)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("backorder release failed; the next sweep retries")
            sweep = not await loop.pause(self.backorder_interval, self._wakeup)
            if not sweep:
                await loop.pause(DEBOUNCE_SECONDS)  # gather one write's events
            self._wakeup.clear()

    async def _every(
        self, loop: Background, interval: float, job: Callable[[], Awaitable[int]]
    ) -> None:
        while True:
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("order job failed; retrying in %.0f s", interval)
            await loop.pause(interval)
