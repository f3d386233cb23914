"""The hold sweeper: expired cart holds return to `available` without anyone calling.

Every `interval` seconds each worker releases expired holds in batches, each batch one
transaction that gives the units back, moves channel ATP and raises the availability
events (domain/orders/handlers/reservations.py). Two workers sweeping at once are safe:
both lock the positions in key order and only the one that deletes a hold row gives its
units back. Between sweeps a checkout that locks a position releases the expired holds on
it itself, so an expired hold never blocks a sale.
"""

from __future__ import annotations

import asyncio
import logging

from domain.orders.handlers.reservations import SWEEP_BATCH, release_expired_holds
from persistence.clock import utcnow
from persistence.database import Database
from persistence.uow import SqlUnitOfWork
from subscriptions.background import Background

log = logging.getLogger("orchestra.holds")


class HoldSweeper:
    def __init__(self, db: Database, interval: float = 5.0) -> None:
        self.db = db
        self.interval = interval
        self._loop = Background()

    def start(self) -> None:
        if self.interval > 0:
            self._loop.start(self._run())

    async def stop(self) -> None:
        await self._loop.stop()  # after the sweep under way, if any

    async def sweep(self) -> int:
        """Release every hold expired by now; returns how many."""
        total = 0
        while True:
            released = await release_expired_holds(SqlUnitOfWork(self.db), utcnow())
            total += released
            if released < SWEEP_BATCH:
                return total

    async def _run(self) -> None:
        while True:
            try:
                released = await self.sweep()
                if released:
                    log.info("released %d expired cart holds", released)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database may be away; the holds wait for the next sweep.
                log.exception("hold sweep failed")
            await self._loop.pause(self.interval)
