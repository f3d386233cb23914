"""No oversell, ever: concurrent checkouts on the real database (meaningful on PostgreSQL,
where they run in parallel on separate connections; SQLite has one writer at a time).

200 checkouts race for 50 units of one SKU spread over 3 locations: exactly 50 allocated,
the rest INSUFFICIENT_STOCK, positions and channel ATP sums equal to a full recompute.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from domain.access import SYSTEM, Actor
from domain.catalog.handlers import create_channel, create_product
from domain.catalog.model import CreateChannel, CreateProduct, PriceSpec, VariantSpec
from domain.errors import DomainError
from domain.inventory.feed import channel_sums, published_value
from domain.inventory.handlers import set_inventory
from domain.inventory.ingest import SetUpdate
from domain.inventory.views import ViewSpec, upsert_view
from domain.locations.handlers import create_location
from domain.locations.model import Address, CreateLocation, GeoPoint, LocationKind
from domain.orders.cart import CartLineRequest
from domain.orders.commands import CompleteCart, CreateCart, PaymentDetails, ReserveCart
from domain.orders.handlers.carts import create_cart
from domain.orders.handlers.place import complete_cart
from domain.orders.handlers.reservations import release_expired_holds, reserve_cart
from domain.payments.builtin_gateway import TestGateway
from persistence.database import Database
from persistence.tables import channel_atp, fulfillment_lines, fulfillments, orders, reservations
from persistence.uow import SqlUnitOfWork
from tests.conftest import unique

ADDRESS = Address("1 Main St", "Paris", "75002", "FR", geo=GeoPoint(48.87, 2.33))
STOCK = (20, 20, 10)
CHECKOUTS = 200


class Counted(SqlUnitOfWork):
    """Counts the units of work open at the same time (each holds its own connection)."""

    open = 0
    most = 0

    async def __aenter__(self) -> Counted:
        await super().__aenter__()
        Counted.open += 1
        Counted.most = max(Counted.most, Counted.open)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        Counted.open -= 1
        await super().__aexit__(*exc)


async def _world(db: Database) -> tuple[str, str, list[str], Actor]:
    channel, sku = unique("ch"), unique("HOT").upper()
    now = datetime.now(UTC)
    await create_channel(CreateChannel(channel, channel, "EUR"), SqlUnitOfWork(db))
    codes = []
    for lat in (48.9, 45.7, 50.6):
        code = unique("loc")
        cmd = CreateLocation(code, code, LocationKind.WAREHOUSE, True, False, GeoPoint(lat, 2.3))
        await create_location(cmd, SqlUnitOfWork(db))
        codes.append(code)
    variant = VariantSpec(sku, sku, prices=(PriceSpec(channel, Decimal("9.90")),))
    await create_product(CreateProduct(unique("h"), "hot", (variant,)), SqlUnitOfWork(db))
    await upsert_view(channel, ViewSpec(channel, tuple(codes)), SqlUnitOfWork(db), now)
    counts = [
        SetUpdate(sku, code, n, now - timedelta(seconds=1))
        for code, n in zip(codes, STOCK, strict=True)
    ]
    assert not (await set_inventory(counts, SYSTEM, SqlUnitOfWork(db), now)).errors
    actor = Actor(name="storefront:bench", channel=channel, token_id=4242, kind="storefront")
    return channel, sku, codes, actor


async def _state(db: Database, sku: str, channel: str) -> dict[str, Any]:
    """Positions, channel ATP kept incrementally, and the same recomputed from scratch."""
    async with SqlUnitOfWork(db) as uow:
        variant = (await uow.catalog.variants_by_sku([sku]))[sku]
        views = {code: view for view, code in await uow.channel_atp.views()}
        view = views[channel]
        locations = {loc.id: loc for loc in await uow.locations.all()}
        rows = await uow.channel_atp.position_availability(list(view.location_ids))
        mine = [(v, s, loc, state) for v, s, loc, state in rows if v == variant.id]
        sums = channel_sums([(v, s, loc, st.available) for v, s, loc, st in mine], view, locations)
    async with db.read() as conn:
        kept = (
            await conn.execute(
                select(channel_atp).where(
                    channel_atp.c.channel_id == view.channel_id,
                    channel_atp.c.variant_id == variant.id,
                )
            )
        ).one()
        units = (
            await conn.execute(
                select(func.coalesce(func.sum(fulfillment_lines.c.quantity), 0))
                .join(fulfillments, fulfillments.c.id == fulfillment_lines.c.fulfillment_id)
                .where(fulfillment_lines.c.sku == sku)
            )
        ).scalar_one()
        held = (
            await conn.execute(
                select(func.coalesce(func.sum(reservations.c.quantity), 0)).where(
                    reservations.c.variant_id == variant.id
                )
            )
        ).scalar_one()
    expected = sums.get(variant.id, (0, 0, 0))
    return {
        "allocated": sum(st.allocated for *_, st in mine),
        "reserved": sum(st.reserved for *_, st in mine),
        "on_hand": sum(st.on_hand for *_, st in mine),
        "overdrawn": [st for *_, st in mine if st.allocated + st.reserved > st.on_hand],
        "fulfilled_units": int(units),
        "held_units": int(held),
        "kept": (kept.raw_total, kept.raw_ship, kept.raw_pickup, kept.available),
        "recomputed": (*expected, published_value(expected[0], view)),
    }


def test_200_concurrent_checkouts_for_50_units_allocate_exactly_50(database_url: str) -> None:
    async def scenario() -> tuple[Counter[str], dict[str, Any], int]:
        db = Database(database_url, pool_size=25)
        gateways = {"test": TestGateway()}
        try:
            channel, sku, _, actor = await _world(db)
            now = datetime.now(UTC)
            carts = [
                (
                    await create_cart(
                        CreateCart(
                            channel, (CartLineRequest(sku, 1),), f"s{i}@example.com", ADDRESS
                        ),
                        actor,
                        SqlUnitOfWork(db),
                        now,
                    )
                ).cart.id
                for i in range(CHECKOUTS)
            ]

            async def checkout(cart_id: str) -> str:
                cmd = CompleteCart(cart_id, PaymentDetails("test", "tok_ok"), "standard")
                try:
                    await complete_cart(cmd, actor, Counted(db), gateways, now)
                except DomainError as error:
                    return ",".join(e.code.value for e in error.errors)
                return "ORDER"

            started = time.perf_counter()
            outcomes = Counter(await asyncio.gather(*(checkout(c) for c in carts)))
            print(
                f"200 checkouts in {time.perf_counter() - started:.2f}s, "
                f"at most {Counted.most} transactions open at once"
            )
            # Not a serial run: many transactions were open at the same time, each on its
            # own connection (on SQLite the single writer makes that one).
            assert Counted.most >= (1 if db.is_sqlite else 10)
            state = await _state(db, sku, channel)
            async with db.read() as conn:
                placed = (
                    await conn.execute(
                        select(func.count()).select_from(orders).where(orders.c.cart_id.in_(carts))
                    )
                ).scalar_one()
            return outcomes, state, int(placed)
        finally:
            await db.dispose()

    outcomes, state, placed = asyncio.run(scenario())
    assert outcomes == Counter({"ORDER": 50, "INSUFFICIENT_STOCK": 150})
    assert placed == 50
    assert state["allocated"] == state["fulfilled_units"] == 50
    assert state["reserved"] == state["held_units"] == 0
    assert state["overdrawn"] == []
    assert state["kept"] == state["recomputed"] == (0, 0, 0, 0)


def test_expired_holds_return_to_available_without_any_call(database_url: str) -> None:
    """A short hold expires; the sweeper step (what the server runs every few seconds)
    gives the units back and the channel ATP with them, while checkouts race for them."""

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], Counter[str]]:
        db = Database(database_url, pool_size=10)
        gateways = {"test": TestGateway()}
        try:
            channel, sku, _, actor = await _world(db)
            now = datetime.now(UTC)
            holder = await create_cart(
                CreateCart(channel, (CartLineRequest(sku, 45),), "h@example.com", ADDRESS),
                actor,
                SqlUnitOfWork(db),
                now,
            )
            await reserve_cart(ReserveCart(holder.cart.id, 60), actor, SqlUnitOfWork(db), now)
            held = await _state(db, sku, channel)
            expired_at = now + timedelta(seconds=61)
            buyers = [
                (
                    await create_cart(
                        CreateCart(channel, (CartLineRequest(sku, 1),), f"b{i}@x.com", ADDRESS),
                        actor,
                        SqlUnitOfWork(db),
                        now,
                    )
                ).cart.id
                for i in range(20)
            ]

            async def checkout(cart_id: str) -> str:
                cmd = CompleteCart(cart_id, PaymentDetails("test", "tok_ok"), "standard")
                try:
                    await complete_cart(cmd, actor, SqlUnitOfWork(db), gateways, expired_at)
                except DomainError as error:
                    return ",".join(e.code.value for e in error.errors)
                return "ORDER"

            async def sweep() -> str:
                await release_expired_holds(SqlUnitOfWork(db), expired_at)
                return "SWEPT"

            outcomes = Counter(await asyncio.gather(sweep(), *(checkout(c) for c in buyers)))
            swept = await _state(db, sku, channel)
            await release_expired_holds(SqlUnitOfWork(db), expired_at)
            return held, swept, await _state(db, sku, channel), outcomes
        finally:
            await db.dispose()

    held, swept, final, outcomes = asyncio.run(scenario())
    assert held["reserved"] == held["held_units"] == 45
    assert held["kept"] == held["recomputed"] == (5, 5, 0, 5)
    # Whichever ran first released the hold (sweeper or a checkout locking the position),
    # exactly once: every buyer got a unit, nothing is reserved, sums match a recompute.
    assert outcomes == Counter({"SWEPT": 1, "ORDER": 20})
    assert swept["reserved"] == swept["held_units"] == 0
    assert final["allocated"] == 20
    assert final["overdrawn"] == []
    assert final["kept"] == final["recomputed"] == (30, 30, 0, 30)
