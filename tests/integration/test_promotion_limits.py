"""Usage limits hold under concurrency: checkouts race for the last uses of a promotion on
PostgreSQL, each in its own transaction on its own connection (SQLite has one writer at a
time, so nothing races there: these tests skip on it)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.access import SYSTEM, Actor
from domain.catalog.handlers import create_channel, create_product
from domain.catalog.model import CreateChannel, CreateProduct, PriceSpec, VariantSpec
from domain.errors import DomainError
from domain.inventory.handlers import set_inventory
from domain.inventory.ingest import SetUpdate
from domain.inventory.views import ViewSpec, upsert_view
from domain.locations.handlers import create_location
from domain.locations.model import Address, CreateLocation, GeoPoint, LocationKind
from domain.orders.cart import CartLineRequest
from domain.orders.commands import (
    ApplyCartCoupon,
    CompleteCart,
    CreateCart,
    OrderLineRequest,
    PaymentDetails,
    PlaceOrder,
)
from domain.orders.handlers.carts import apply_cart_coupon, create_cart
from domain.orders.handlers.place import complete_cart, place_direct
from domain.payments.builtin_gateway import TestGateway
from domain.promotions.handlers import create_promotion
from domain.promotions.model import PromotionKind
from domain.promotions.validation import CreatePromotion
from persistence.database import Database
from persistence.tables import channels, orders, promotion_redemptions, promotions
from persistence.uow import SqlUnitOfWork
from tests.conftest import unique

ADDRESS = Address("1 Main St", "Paris", "75002", "FR", geo=GeoPoint(48.87, 2.33))


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


@pytest.fixture
def postgresql(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent checkouts race only on PostgreSQL (SQLite has one writer)")
    return database_url


async def _world(db: Database, skus: int) -> tuple[str, list[str], Actor]:
    """A channel selling `skus` SKUs from one warehouse: each checkout below buys its own
    SKU, so no two lock the same inventory position and they reach the promotion's row
    together (one SKU would serialize them on its position first)."""
    channel = unique("ch")
    now = datetime.now(UTC)
    await create_channel(CreateChannel(channel, channel, "EUR"), SqlUnitOfWork(db))
    code = unique("loc")
    cmd = CreateLocation(code, code, LocationKind.WAREHOUSE, True, False, GeoPoint(48.9, 2.3))
    await create_location(cmd, SqlUnitOfWork(db))
    codes = [unique("PROMO").upper() for _ in range(skus)]
    variants = tuple(
        VariantSpec(sku, sku, prices=(PriceSpec(channel, Decimal("20.00")),)) for sku in codes
    )
    await create_product(CreateProduct(unique("h"), "promo", variants), SqlUnitOfWork(db))
    await upsert_view(channel, ViewSpec(channel, (code,)), SqlUnitOfWork(db), now)
    updates = [SetUpdate(sku, code, 5, now - timedelta(seconds=1)) for sku in codes]
    assert not (await set_inventory(updates, SYSTEM, SqlUnitOfWork(db), now)).errors
    actor = Actor(name="storefront:promo", channel=channel, token_id=4343, kind="storefront")
    return channel, codes, actor


async def _promotion(db: Database, channel: str, code: str | None, limit: int) -> int:
    cmd = CreatePromotion(
        "Limited", PromotionKind.ORDER_PERCENT, Decimal(50), (channel,), code, usage_limit=limit
    )
    return (await create_promotion(cmd, SYSTEM, SqlUnitOfWork(db), datetime.now(UTC))).id


async def _outcome(db: Database, promotion_id: int, channel: str) -> dict[str, Any]:
    async with db.read() as conn:
        used = (
            await conn.execute(
                select(promotions.c.times_used).where(promotions.c.id == promotion_id)
            )
        ).scalar_one()
        redeemed = (
            await conn.execute(
                select(func.count())
                .select_from(promotion_redemptions)
                .where(promotion_redemptions.c.promotion_id == promotion_id)
            )
        ).scalar_one()
        rows = (
            await conn.execute(
                select(orders.c.discount_total, orders.c.total)
                .where(orders.c.channel_id == select_channel_id(channel))
                .order_by(orders.c.id)
            )
        ).all()
    return {
        "times_used": used,
        "redemptions": redeemed,
        "discounted": sum(1 for d, _ in rows if d > 0),
        "full_price": sum(1 for d, _ in rows if d == 0),
        "totals": Counter(str(Decimal(t).quantize(Decimal("0.01"))) for _, t in rows),
    }


def select_channel_id(code: str) -> Any:
    return select(channels.c.id).where(channels.c.code == code).scalar_subquery()


def test_100_concurrent_checkouts_with_a_coupon_limited_to_10_uses_give_10_discounted_orders(
    postgresql: str,
) -> None:
    async def scenario() -> tuple[Counter[str], dict[str, Any]]:
        db = Database(postgresql, pool_size=30)
        gateways = {"test": TestGateway()}
        try:
            channel, skus, actor = await _world(db, 100)
            code = unique("TEN").replace("-", "_").upper()
            promotion_id = await _promotion(db, channel, code, limit=10)
            now = datetime.now(UTC)
            carts = []
            for i, sku in enumerate(skus):
                cart = await create_cart(
                    CreateCart(channel, (CartLineRequest(sku, 1),), f"c{i}@example.com", ADDRESS),
                    actor,
                    SqlUnitOfWork(db),
                    now,
                )
                # Every cart takes the coupon while no use is counted yet.
                await apply_cart_coupon(
                    ApplyCartCoupon(cart.cart.id, code), actor, SqlUnitOfWork(db), now
                )
                carts.append(cart.cart.id)

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
                f"100 checkouts in {time.perf_counter() - started:.2f}s, "
                f"at most {Counted.most} transactions open at once"
            )
            # Not a serial run: many checkouts were in their transactions at the same time.
            assert Counted.most >= 10
            return outcomes, await _outcome(db, promotion_id, channel)
        finally:
            await db.dispose()

    outcomes, found = asyncio.run(scenario())
    assert outcomes == Counter({"ORDER": 10, "COUPON_EXHAUSTED": 90})
    assert found["times_used"] == found["redemptions"] == 10
    assert found["discounted"] == 10
    assert found["full_price"] == 0  # a refused checkout placed nothing
    assert found["totals"] == Counter({"10.00": 10})  # 50 % of 20.00


def test_an_automatic_promotion_limited_to_5_uses_discounts_exactly_5_concurrent_orders(
    postgresql: str,
) -> None:
    """Without a coupon the shopper asked for nothing: a checkout that loses the race for the
    last use is refused as CONFLICT (its price changed); sent again it pays full price."""

    async def scenario() -> tuple[Counter[str], dict[str, Any]]:
        db = Database(postgresql, pool_size=20)
        try:
            channel, skus, _ = await _world(db, 30)
            promotion_id = await _promotion(db, channel, None, limit=5)
            now = datetime.now(UTC)

            async def place(i: int) -> str:
                cmd = PlaceOrder(
                    channel,
                    (OrderLineRequest(skus[i], 1),),
                    email=f"m{i}@example.com",
                    shipping_address=ADDRESS,
                )
                for _ in range(3):
                    try:
                        order = await place_direct(cmd, SYSTEM, SqlUnitOfWork(db), {}, now)
                    except DomainError as error:
                        if [e.code.value for e in error.errors] != ["CONFLICT"]:
                            return ",".join(e.code.value for e in error.errors)
                        continue
                    return "DISCOUNTED" if order.totals.discount_total > 0 else "FULL_PRICE"
                return "GAVE_UP"

            outcomes = Counter(await asyncio.gather(*(place(i) for i in range(30))))
            return outcomes, await _outcome(db, promotion_id, channel)
        finally:
            await db.dispose()

    outcomes, found = asyncio.run(scenario())
    assert outcomes == Counter({"DISCOUNTED": 5, "FULL_PRICE": 25})
    assert found["times_used"] == found["redemptions"] == found["discounted"] == 5
    assert found["full_price"] == 25
