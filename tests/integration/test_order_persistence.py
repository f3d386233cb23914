"""The orders repositories on the real database: the whole Order aggregate round-trips, saves
write what changed, carts, holds, capacity counters, settings and customers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select

from domain.catalog.model import CreateChannel, CreateProduct, VariantSpec
from domain.ids import new_id
from domain.inventory.ingest import PositionState
from domain.locations.model import Address, CreateLocation, GeoPoint, Location, LocationKind
from domain.orders import care, fulfillment_ops
from domain.orders.cart import Cart, CartLine
from domain.orders.delivery import DeliveryOptionConfig, PickupConfig, TransitBand
from domain.orders.lifecycle import FulfillmentMethod, OrderStatus
from domain.orders.model import Order
from domain.orders.placement import LineChoice, NewOrder, place_order
from domain.orders.plan import IncomingStock, SourcingLine, StockSnapshot
from domain.orders.ports import ChannelOrderSettings, PositionDelta
from domain.orders.pricing import PricingLine, price_lines
from domain.orders.settings import default_settings
from domain.orders.sourcing import source
from domain.orders.sourcing_rules import SkuRule, SourcingConfig, SourcingStrategy
from domain.orders.tax import TaxRule, TaxTable
from domain.payments.model import authorized_payment, record_capture
from domain.payments.ports import GatewayOutcome, GatewayResult
from persistence.database import Database
from persistence.tables import orders
from persistence.uow import SqlUnitOfWork
from tests.conftest import unique

T = TypeVar("T")
AT = datetime(2030, 1, 7, 9, tzinfo=UTC)
HOME = Address("1 Main St", "Paris", "75002", "FR", geo=GeoPoint(48.87, 2.33))
OK = GatewayResult(GatewayOutcome.APPROVED, "test_auth_x")


def run(database_url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


async def _world(db: Database) -> tuple[int, str, list[Location]]:
    async with SqlUnitOfWork(db) as uow:
        code = unique("ch")
        channel = await uow.catalog.add_channel(CreateChannel(code, code, "EUR"))
        locations = [
            await uow.locations.add(
                CreateLocation(
                    unique("loc"), "L", LocationKind.WAREHOUSE, True, True, GeoPoint(48.9, 2.3), 5
                )
            )
            for _ in range(2)
        ]
        await uow.commit()
    return channel.id, code, locations


def _order(channel: str, locations: list[Location]) -> Order:
    """Two lines: A from the first location, B backordered (supply at the second)."""
    totals = price_lines(
        [PricingLine("1", "A", 2, Decimal("19.99")), PricingLine("2", "B", 1, Decimal("5.00"))],
        currency="EUR",
        taxes=TaxTable(True, (TaxRule("FR", Decimal("0.20")),)),
        destination_country="FR",
        shipping=Decimal("4.90"),
    )
    snapshot = StockSnapshot(
        {loc.id: loc for loc in locations},
        {("A", locations[0].id): 5},
        (IncomingStock("B", locations[1].id, 3, date(2030, 2, 1)),),
    )
    plan = source(
        [SourcingLine("1", "A", 2), SourcingLine("2", "B", 1)],
        snapshot,
        SourcingConfig(allow_backorder=True),
        HOME.geo,
    )
    order_id = new_id()
    payment = authorized_payment(new_id(), order_id, "test", "EUR", totals.total, OK, AT)
    new = NewOrder(
        order_id,
        unique("N"),
        channel,
        AT,
        "token:1",
        email="a@example.com",
        shipping_address=HOME,
        delivery_option="standard",
        coupon_codes=("SAVE",),
        source_code="summer",
        external_reference=unique("ext"),
    )
    choices = {"1": LineChoice(), "2": LineChoice()}
    order, _ = place_order(new, totals, choices, plan, new_id, payment)
    order.pop_events()
    return order


def _comparable(order: Order | None) -> Order:
    assert order is not None
    order.pop_events()
    return order


def test_an_order_round_trips_and_a_save_writes_its_changes(database_url: str) -> None:
    async def work(db: Database) -> None:
        channel_id, code, locations = await _world(db)
        order = _order(code, locations)
        assert order.backorders
        assert order.payment is not None
        assert order.fulfillments
        async with SqlUnitOfWork(db) as uow:
            await uow.orders.add(order, channel_id=channel_id, cart_id=None)
            await uow.commit()
        async with SqlUnitOfWork(db) as uow:
            loaded = _comparable(await uow.orders.get(order.id, for_update=True))
            assert loaded == order
            assert _comparable(await uow.orders.by_number(order.number)) == order
            assert order.external_reference is not None
            ext = await uow.orders.by_external_reference(channel_id, order.external_reference)
            assert _comparable(ext) == order
            fid = order.fulfillments[0].id
            assert _comparable(await uow.orders.by_fulfillment(fid)) == order
            # Operations of every part: a fulfillment moves, a line is cancelled (the
            # backorder goes), a capture is recorded, history grows.
            later = AT + timedelta(hours=1)
            fulfillment_ops.accept(loaded, fid, later, "token:2")
            care.cancel_line(loaded, loaded.lines[1].id, 1, "no longer wanted", later, "token:2")
            assert loaded.payment is not None
            record_capture(loaded.payment, Decimal("10.00"), OK, later)
            care.hold(loaded, "fraud check", later, "token:2")
            await uow.orders.save(loaded)
            await uow.commit()
        async with SqlUnitOfWork(db) as uow:
            again = _comparable(await uow.orders.get(order.id))
            assert again == _comparable(loaded)
            assert again.status is OrderStatus.ON_HOLD
            assert again.backorders == []
            async with db.read() as conn:
                changed_at = (
                    await conn.execute(
                        select(orders.c.status_changed_at).where(orders.c.id == order.id)
                    )
                ).scalar_one()
            assert changed_at.replace(tzinfo=UTC) == later

    run(database_url, work)


def test_order_numbers_count_up_per_channel(database_url: str) -> None:
    async def work(db: Database) -> list[int]:
        channel_id, _, _ = await _world(db)
        numbers = []
        for _ in range(3):
            async with SqlUnitOfWork(db) as uow:
                numbers.append(await uow.orders.next_number(channel_id))
                await uow.commit()
        return numbers

    assert run(database_url, work) == [1001, 1002, 1003]


def test_a_cart_round_trips_and_its_lines_are_rewritten(database_url: str) -> None:
    async def work(db: Database) -> None:
        _, code, locations = await _world(db)
        cart = Cart(
            new_id(),
            code,
            "EUR",
            lines=(
                CartLine("1", "A", 2, FulfillmentMethod.SHIP),
                CartLine("2", "B", 1, FulfillmentMethod.PICKUP, locations[0].id),
            ),
            coupon_codes=("SAVE10",),
            shipping_address=HOME,
            email="a@example.com",
            reserved_until=AT,
            next_line_number=3,
        )
        async with SqlUnitOfWork(db) as uow:
            await uow.carts.add(cart, AT)
            await uow.commit()
        async with SqlUnitOfWork(db) as uow:
            assert await uow.carts.get(cart.id, for_update=True) == cart
            edited = replace(cart, lines=cart.lines[1:], order_id="o-1", completed=True)
            await uow.carts.save(edited, AT)
            await uow.commit()
        async with SqlUnitOfWork(db) as uow:
            assert await uow.carts.get(cart.id) == edited
            assert await uow.carts.get(new_id()) is None

    run(database_url, work)


async def _positions(db: Database) -> tuple[list[int], list[Location]]:
    """Two variants with stock at two locations; returns variant ids and locations."""
    _, _code, locations = await _world(db)
    skus = [unique("S"), unique("S")]
    async with SqlUnitOfWork(db) as uow:
        await uow.catalog.add_product(
            CreateProduct(unique("h"), "t", tuple(VariantSpec(s, s) for s in skus)), None, {}, {}
        )
        variants = await uow.catalog.variants_by_sku(skus)
        ids = [variants[s].id for s in skus]
        keys = [(v, loc.id) for v in ids for loc in locations]
        states = await uow.inventory.lock_positions(keys)
        await uow.inventory.save_positions(
            {k: replace(s, on_hand=10) for k, s in states.items()}, AT
        )
        await uow.commit()
    return ids, locations


def test_positions_holds_and_allocation_deltas(database_url: str) -> None:
    async def work(db: Database) -> None:
        ids, locations = await _positions(db)
        loc_ids = [loc.id for loc in locations]
        a, b = (ids[0], loc_ids[0]), (ids[0], loc_ids[1])
        async with SqlUnitOfWork(db) as uow:
            found = await uow.stock.positions(ids, loc_ids, lock=True)
            assert found[a] == PositionState(10)
            await uow.stock.adjust(
                {a: PositionDelta(allocated=3), b: PositionDelta(reserved=10)}, AT
            )
            await uow.stock.add_holds("cart-1", {b: 10}, AT + timedelta(minutes=5))
            await uow.commit()
        async with SqlUnitOfWork(db) as uow:
            found = await uow.stock.positions(ids, loc_ids, lock=True)
            # b has nothing available but holds units: it is still among the positions.
            assert found[a] == PositionState(10, 3)
            assert found[b] == PositionState(10, 0, 10)
            assert [h.quantity for h in await uow.stock.holds("cart-1")] == [10]
            # Neither another cart's hold nor an unexpired one is released...
            assert await uow.stock.release_holds([a, b], "cart-2", AT) == []
            assert await uow.stock.expired_holds(AT, 10) == []
            # ...the cart's own is, once.
            released = await uow.stock.release_holds([a, b], "cart-1", AT)
            assert [(h.key, h.quantity) for h in released] == [(b, 10)]
            assert await uow.stock.release_holds([a, b], "cart-1", AT) == []

    run(database_url, work)


def test_expired_holds_are_found_and_deleted_exactly_once(database_url: str) -> None:
    async def work(db: Database) -> None:
        ids, locations = await _positions(db)
        key = (ids[1], locations[0].id)
        async with SqlUnitOfWork(db) as uow:
            await uow.stock.add_holds("cart-x", {key: 2}, AT)
            await uow.commit()
        async with SqlUnitOfWork(db) as uow:
            expired = [h for h in await uow.stock.expired_holds(AT, 1000) if h.cart_id == "cart-x"]
            assert [h.quantity for h in expired] == [2]
            gone = await uow.stock.delete_expired([h.id for h in expired], AT)
            assert gone == expired
            assert await uow.stock.delete_expired([h.id for h in expired], AT) == []

    run(database_url, work)


def test_capacity_counters_take_all_or_nothing(database_url: str) -> None:
    async def work(db: Database) -> None:
        _, _, locations = await _world(db)
        first, second = (loc.id for loc in locations)
        day = date(2030, 1, 7)
        caps = {first: 2, second: 1}
        async with SqlUnitOfWork(db) as uow:
            assert await uow.stock.take_capacity({first: 1, second: 1}, caps, day) == set()
            assert await uow.stock.take_capacity({first: 1, second: 1}, caps, day) == {second}
            # The refused attempt counted nothing, not even at `first`.
            assert await uow.stock.capacity_used([first, second], day) == {first: 1, second: 1}
            assert await uow.stock.take_capacity({first: 1}, caps, day) == set()
            await uow.stock.return_capacity({first: 5}, day)
            assert await uow.stock.capacity_used([first], day) == {first: 0}
            await uow.commit()

    run(database_url, work)


def test_channel_settings_round_trip_and_default(database_url: str) -> None:
    async def work(db: Database) -> None:
        channel_id, code, locations = await _world(db)
        async with SqlUnitOfWork(db) as uow:
            assert await uow.channel_settings.settings(code) == default_settings(
                code, "EUR", channel_id
            )
            assert await uow.channel_settings.settings(unique("nope")) is None
            configured = ChannelOrderSettings(
                channel=code,
                currency="EUR",
                channel_id=channel_id,
                number_prefix="WEB-",
                taxes=TaxTable(
                    True,
                    (TaxRule("FR", Decimal("0.20"), False, (("books", Decimal("0.055")),)),),
                    "FR",
                ),
                sourcing=SourcingConfig(
                    strategy=SourcingStrategy.PRIORITY,
                    priority=(locations[1].id,),
                    max_shipments=2,
                    allow_backorder=True,
                    excluded_kinds=frozenset({LocationKind.DROPSHIP_VENDOR}),
                    sku_rules=(SkuRule("A", frozenset({locations[0].id})),),
                    distance_band_km=25.0,
                ),
                delivery_options=(
                    DeliveryOptionConfig(
                        "express",
                        "Express",
                        Decimal("9.90"),
                        0,
                        datetime(2030, 1, 1, 15, 30).time(),
                        "Europe/Paris",
                        (TransitBand(100.0, 1, 1), TransitBand(None, 1, 2)),
                        frozenset({"FR"}),
                        frozenset({0, 1, 2, 3, 4, 5}),
                    ),
                ),
                pickup=PickupConfig("Europe/Paris", 60, radius_km=20.0, hold_days=5),
            )
            await uow.channel_settings.save(configured, AT)
            await uow.commit()
        async with SqlUnitOfWork(db) as uow:
            assert await uow.channel_settings.settings(code) == configured

    run(database_url, work)


def test_one_customer_per_email_even_when_two_checkouts_race(database_url: str) -> None:
    email = f"{unique('c')}@example.com"

    async def ensure(db: Database) -> Any:
        async with SqlUnitOfWork(db) as uow:
            found = await uow.customers.ensure(email, None, AT)
            await uow.commit()
        return found

    async def work(db: Database) -> None:
        first, second = await asyncio.gather(ensure(db), ensure(db))
        assert first == second
        async with SqlUnitOfWork(db) as uow:
            assert await uow.customers.by_email(email) == first
            assert await uow.customers.by_ids([first.id]) == {first.id: first}

    run(database_url, work)


def test_incoming_and_backordered_units(database_url: str) -> None:
    async def work(db: Database) -> None:
        ids, locations = await _positions(db)
        async with SqlUnitOfWork(db) as uow:
            await uow.inventory.add_incoming((ids[0], locations[0].id), 7, date(2030, 2, 1), "po")
            await uow.inventory.add_incoming((ids[0], locations[0].id), 9, date(2029, 2, 1), "old")
            found = await uow.stock.incoming(ids, [locations[0].id], date(2030, 1, 7), lock=True)
            assert [(s.quantity, s.expected_on) for s in found] == [(7, date(2030, 2, 1))]
            assert await uow.stock.backordered([unique("S")]) == {}

    run(database_url, work)
