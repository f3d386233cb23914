"""The unit of work: one transaction per use case, its events written to the outbox."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events import RaisedEvents
from domain.ports import UnitOfWork
from persistence.database import Database
from persistence.outbox import write_events
from persistence.repositories.carts import SqlCartRepository
from persistence.repositories.catalog import SqlCatalogRepository
from persistence.repositories.catalog_bulk import SqlCatalogBulkRepository
from persistence.repositories.channel_atp import SqlChannelAtpRepository
from persistence.repositories.channel_settings import SqlChannelSettingsRepository
from persistence.repositories.customers import SqlCustomerRepository
from persistence.repositories.idempotency import SqlIdempotencyStore
from persistence.repositories.inventory import SqlInventoryRepository
from persistence.repositories.ledger import SqlLedgerRepository
from persistence.repositories.locations import SqlLocationRepository
from persistence.repositories.orders import SqlOrderRepository
from persistence.repositories.promotions import SqlPromotionRepository
from persistence.repositories.returns import SqlReturnRepository
from persistence.repositories.stock import SqlStockRepository
from persistence.repositories.tokens import SqlTokenRepository
from persistence.unique import as_user_error


class SqlUnitOfWork:
    catalog: SqlCatalogRepository
    catalog_bulk: SqlCatalogBulkRepository
    locations: SqlLocationRepository
    tokens: SqlTokenRepository
    inventory: SqlInventoryRepository
    channel_atp: SqlChannelAtpRepository
    idempotency: SqlIdempotencyStore
    carts: SqlCartRepository
    orders: SqlOrderRepository
    stock: SqlStockRepository
    channel_settings: SqlChannelSettingsRepository
    customers: SqlCustomerRepository
    ledger: SqlLedgerRepository
    returns: SqlReturnRepository
    promotions: SqlPromotionRepository

    def __init__(self, db: Database) -> None:
        self.db = db
        self.events = RaisedEvents()
        self._conn: AsyncConnection | None = None
        self._published = 0

    async def __aenter__(self) -> SqlUnitOfWork:
        if self.db.write_lock is not None:
            await self.db.write_lock.acquire()
        try:
            conn = await self.db.engine.connect()
        except BaseException:
            self._release()
            raise
        try:
            await conn.begin()
        except BaseException:
            # Closed here or never: its pool permit (persistence/admission.py) goes with it.
            try:
                await conn.close()
            finally:
                self._release()
            raise
        self._conn = conn
        self._published = 0
        self.events = RaisedEvents()
        self.catalog = SqlCatalogRepository(conn, self.db)
        self.catalog_bulk = SqlCatalogBulkRepository(conn)
        self.locations = SqlLocationRepository(conn, self.db)
        self.tokens = SqlTokenRepository(conn)
        self.inventory = SqlInventoryRepository(conn, self.db)
        self.channel_atp = SqlChannelAtpRepository(conn, self.db, defer=True)
        self.idempotency = SqlIdempotencyStore(conn, self.db)
        self.carts = SqlCartRepository(conn, self.db)
        self.orders = SqlOrderRepository(conn, self.db)
        self.stock = SqlStockRepository(conn, self.db, self.channel_atp, self.locations)
        self.channel_settings = SqlChannelSettingsRepository(conn, self.db)
        self.customers = SqlCustomerRepository(conn, self.db)
        self.ledger = SqlLedgerRepository(conn)
        self.returns = SqlReturnRepository(conn)
        self.promotions = SqlPromotionRepository(conn, self.db)
        return self

    async def commit(self) -> None:
        """Write the raised events to the outbox, then commit: both or neither."""
        conn = self._require()
        if self.idempotency.unfinished:
            # Committing a claim without its result would make every retry fail.
            raise RuntimeError(
                f"idempotency keys claimed but not completed: {self.idempotency.unfinished}"
            )
        published = self.channel_atp.take_unpublished()
        self._published += await write_events(conn, self.events.take(), published)
        await conn.commit()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._require()
        self._conn = None
        self.events.discard()
        try:
            try:
                if conn.in_transaction():
                    await conn.rollback()
            finally:
                await conn.close()  # even when the rollback failed: it returns the permit
        finally:
            self._release()
        if self._published and exc_type is None:
            self.db.committed()
        if exc is not None and (lost_race := as_user_error(exc)) is not None:
            raise lost_race from exc  # a unique violation: the loser of a race, not a fault

    def _require(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._conn

    def _release(self) -> None:
        if self.db.write_lock is not None and self.db.write_lock.locked():
            self.db.write_lock.release()


def _satisfies_the_port(uow: SqlUnitOfWork) -> UnitOfWork:
    return uow  # mypy fails here, naming the member, when this drifts from the domain's port
