"""Order jobs run by every worker's lifespan: pickup expiry and backorder release.

- Pickups: every `pickup_interval` seconds, pickups READY_FOR_PICKUP longer than their
  channel's hold expire and give their units back (domain/orders/handlers/pickups.py).
- Backorders: released when stock arrives for a backordered SKU. The availability feed is
  the trigger (an `AvailabilityChanged` with units for a SKU: a count, an adjustment, a
  cancelled order or an expired hold giving units back), read from the bus after the
  change committed; every `backorder_interval` seconds a sweep retries every SKU still
  backordered, so a release missed by the feed (a worker restarting, stock withheld by a
  buffer) is late by one sweep, never lost. See domain/orders/handlers/backorders.py for
  why this is a job and not part of the inventory write.

Several workers may run the same job at once: each order is locked while it is worked on,
and whoever comes second finds nothing left to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from domain.orders.commands import ExpirePickups, ReleaseBackorders
from domain.orders.handlers.backorders import backordered_skus, release_backorders_of
from domain.orders.handlers.pickups import expire_pickups
from domain.payments.ports import PaymentGateway
from domain.ports import UnitOfWork
from persistence.clock import utcnow
from persistence.database import Database
from persistence.uow import SqlUnitOfWork
from subscriptions.bus import EventBus

log = logging.getLogger("orchestra.orders")
SWEEP_SKUS = 1000
DEBOUNCE_SECONDS = 0.05  # gather the feed's events of one write into one release


class OrderJobs:
    def __init__(
        self,
        db: Database,
        bus: EventBus,
        gateways: Mapping[str, PaymentGateway],
        pickup_interval: float = 60.0,
        backorder_interval: float = 30.0,
    ) -> None:
        self.db = db
        self.bus = bus
        self.gateways = gateways
        self.pickup_interval = pickup_interval
        self.backorder_interval = backorder_interval
        self._arrived: set[str] = set()
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def new_uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self.db)

    def start(self) -> None:
        if self.pickup_interval > 0:
            self._tasks.append(asyncio.create_task(self._every(self.pickup_interval, self.expire)))
        if self.backorder_interval > 0:
            self._tasks.append(asyncio.create_task(self._watch_feed()))
            self._tasks.append(asyncio.create_task(self._release_loop()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def stock_arrived(self, skus: set[str]) -> None:
        """Units became available for these SKUs: release what waits for them soon."""
        self._arrived |= skus
        self._wakeup.set()

    async def expire(self) -> int:
        expired = await expire_pickups(ExpirePickups(utcnow()), self.new_uow, self.gateways)
        if expired:
            log.info("expired %d uncollected pickups", expired)
        return expired

    async def release(self, skus: set[str] | None = None) -> int:
        """Release backorders of these SKUs (None: every SKU still backordered)."""
        wanted = sorted(skus) if skus is not None else None
        if wanted is None:
            wanted = list(await backordered_skus(self.new_uow, SWEEP_SKUS))
        released = await release_backorders_of(
            ReleaseBackorders(wanted), self.new_uow, self.gateways, utcnow()
        )
        if released:
            log.info("released backorders of %d orders", released)
        return released

    async def _watch_feed(self) -> None:
        while True:
            try:
                async for event in self.bus.subscribe("availability"):
                    if int(event.get("available", 0)) > 0:
                        self.stock_arrived({str(event["sku"])})
            except asyncio.CancelledError:
                raise
            except Exception:
                # Cut off (fell behind) or the bus failed: resubscribe and sweep everything,
                # since events may have been missed meanwhile.
                log.exception("availability feed for backorders failed; resubscribing")
                self.stock_arrived(set())
                await asyncio.sleep(1)

    async def _release_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.backorder_interval)
            await asyncio.sleep(DEBOUNCE_SECONDS)
            self._wakeup.clear()
            arrived, self._arrived = self._arrived, set()
            try:
                # A timeout (no ring) is the sweep; an empty ring asks for one too.
                await self.release(arrived or None)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("backorder release failed; the next sweep retries")

    async def _every(self, interval: float, job: Callable[[], Awaitable[int]]) -> None:
        while True:
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("order job failed; retrying in %.0f s", interval)
            await asyncio.sleep(interval)
