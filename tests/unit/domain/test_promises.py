"""Cart promises: delivery dates and shipment counts, pickup options, per-line promises."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, ErrorCode
from domain.locations.model import Address, GeoPoint, Location, LocationKind
from domain.orders.delivery import (
    DeliveryOptionConfig,
    PickupConfig,
    TransitBand,
    delivery_option_errors,
    delivery_window,
    ready_by,
)
from domain.orders.lifecycle import FulfillmentMethod
from domain.orders.plan import IncomingStock, SourcingLine, StockSnapshot
from domain.orders.promises import CartPromises, promise_cart, select_delivery_option
from domain.orders.sourcing_rules import SourcingConfig

PARIS_TZ = ZoneInfo("Europe/Paris")
HOME = Address("10 rue de la Paix", "Paris", "75002", "FR", geo=GeoPoint(48.8686, 2.3314))
STANDARD = DeliveryOptionConfig(
    code="standard",
    name="Standard",
    price=Decimal("4.90"),
    handling_days=1,
    cutoff=time(14),
    timezone="Europe/Paris",
    bands=(TransitBand(100, 1, 2), TransitBand(None, 2, 4)),
)
COURIER = DeliveryOptionConfig(
    code="courier",
    name="Same-city courier",
    price=Decimal("9.90"),
    handling_days=0,
    cutoff=time(12),
    timezone="Europe/Paris",
    bands=(TransitBand(30, 0, 0),),
    countries=frozenset({"FR"}),
)
PICKUP = PickupConfig(timezone="Europe/Paris", ready_minutes=120, opens=time(9), closes=time(20))


def store(i: int, lat: float, lon: float, *, ship: bool = True) -> Location:
    return Location(
        i, f"S{i}", f"Store {i}", LocationKind.STORE, GeoPoint(lat, lon), ship, True, None, 0
    )


def warehouse(i: int, lat: float, lon: float) -> Location:
    return Location(
        i,
        f"W{i}",
        f"Warehouse {i}",
        LocationKind.WAREHOUSE,
        GeoPoint(lat, lon),
        True,
        False,
        None,
        0,
    )


OPERA = store(1, 48.8720, 2.3316)  # 0.4 km from home
BASTILLE = store(2, 48.8530, 2.3690)  # 3 km
LYON = warehouse(3, 45.7640, 4.8357)  # 390 km
LILLE = warehouse(4, 50.6292, 3.0573)  # 200 km
NETWORK = {loc.id: loc for loc in (OPERA, BASTILLE, LYON, LILLE)}


def paris(y: int, m: int, d: int, h: int, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=PARIS_TZ)


def promise(
    lines: list[SourcingLine],
    available: dict[tuple[str, int], int],
    now: datetime,
    *,
    incoming: tuple[IncomingStock, ...] = (),
    config: SourcingConfig | None = None,
    destination: Address | None = HOME,
) -> CartPromises:
    return promise_cart(
        lines,
        StockSnapshot(NETWORK, available, incoming),
        config or SourcingConfig(),
        [STANDARD, COURIER],
        PICKUP,
        destination=destination,
        now=now,
    )


def test_before_the_cut_off_the_order_leaves_after_its_handling_days() -> None:
    # given a Monday 10:00 in Paris and a jacket in the Opera store round the corner
    result = promise([SourcingLine("1", "JACKET", 1)], {("JACKET", 1): 3}, paris(2030, 1, 7, 10))
    # then standard leaves Tuesday (1 handling day) and arrives Wednesday-Thursday
    standard, courier = result.delivery_options
    assert (standard.estimated_from, standard.estimated_to) == (date(2030, 1, 9), date(2030, 1, 10))
    # and the same-day courier (cut-off noon, no handling) arrives today
    assert (courier.estimated_from, courier.estimated_to) == (date(2030, 1, 7), date(2030, 1, 7))
    assert standard.shipment_count == 1
    assert standard.price == Decimal("4.90")


def test_after_the_friday_cut_off_work_starts_on_monday() -> None:
    result = promise([SourcingLine("1", "JACKET", 1)], {("JACKET", 1): 3}, paris(2030, 1, 11, 15))
    standard = result.delivery_options[0]
    # starts Monday 14th, leaves Tuesday 15th, arrives 16th-17th
    assert (standard.estimated_from, standard.estimated_to) == (
        date(2030, 1, 16),
        date(2030, 1, 17),
    )


def test_two_shipments_are_counted_and_the_farthest_sets_the_dates() -> None:
    # given the jacket only in Paris and boots only in Lyon
    result = promise(
        [SourcingLine("1", "JACKET", 1), SourcingLine("2", "BOOTS", 1)],
        {("JACKET", 1): 1, ("BOOTS", 3): 1},
        paris(2030, 1, 7, 10),
    )
    options = {o.code: o for o in result.delivery_options}
    assert options["standard"].shipment_count == 2
    assert (options["standard"].estimated_from, options["standard"].estimated_to) == (
        date(2030, 1, 10),
        date(2030, 1, 12),
    )
    # and the city courier cannot reach from Lyon, so it is not offered
    assert "courier" not in options


def test_an_option_limited_to_some_countries_is_not_offered_elsewhere() -> None:
    brussels = Address("1 Grand-Place", "Bruxelles", "1000", "BE", geo=GeoPoint(50.8467, 4.3525))
    result = promise(
        [SourcingLine("1", "JACKET", 1)],
        {("JACKET", 4): 1},
        paris(2030, 1, 7, 10),
        destination=brussels,
    )
    assert [o.code for o in result.delivery_options] == ["standard"]


def test_backordered_units_add_a_shipment_that_leaves_when_supply_arrives() -> None:
    result = promise(
        [SourcingLine("1", "JACKET", 1), SourcingLine("2", "BOOTS", 2)],
        {("JACKET", 3): 1, ("BOOTS", 3): 1},
        paris(2030, 1, 7, 10),
        incoming=(IncomingStock("BOOTS", 3, 10, date(2030, 2, 1)),),
        config=SourcingConfig(allow_backorder=True),
    )
    standard = result.delivery_options[0]
    assert standard.shipment_count == 2
    # supply Friday 1 Feb; work starts that day, leaves Monday 4th, widest band: 6th-8th
    assert standard.estimated_to == date(2030, 2, 8)
    assert [(lp.line_id, lp.ship_available, lp.backorder_date) for lp in result.lines] == [
        ("1", True, None),
        ("2", False, date(2030, 2, 1)),
    ]


def test_a_line_nobody_can_ship_leaves_no_delivery_option_and_says_so() -> None:
    result = promise(
        [SourcingLine("1", "JACKET", 1), SourcingLine("2", "BOOTS", 5)],
        {("JACKET", 3): 1, ("BOOTS", 3): 1},
        paris(2030, 1, 7, 10),
    )
    assert result.delivery_options == ()
    assert [(lp.ship_available, lp.backorder_date) for lp in result.lines] == [
        (True, None),
        (False, None),
    ]


def test_pickup_options_are_nearby_stores_nearest_first_with_what_is_missing() -> None:
    # given the jacket at both stores, the boots only at Bastille
    result = promise(
        [SourcingLine("1", "JACKET", 1), SourcingLine("2", "BOOTS", 1)],
        {("JACKET", 1): 2, ("JACKET", 2): 2, ("BOOTS", 2): 1},
        paris(2030, 1, 7, 10),
    )
    options = [
        (p.location.code, p.all_lines_available, p.unavailable_skus) for p in result.pickup_options
    ]
    assert options == [("S1", False, ("BOOTS",)), ("S2", True, ())]
    assert result.pickup_options[0].distance_km == pytest.approx(0.4, abs=0.1)
    assert result.pickup_options[0].ready_by == paris(2030, 1, 7, 12)
    # and the line promises count the stores that hold each line
    assert [lp.pickup_locations for lp in result.lines] == [2, 1]


def test_stores_beyond_the_radius_are_not_offered_for_pickup() -> None:
    far = Address("1 place Bellecour", "Lyon", "69002", "FR", geo=GeoPoint(45.7578, 4.8320))
    result = promise(
        [SourcingLine("1", "JACKET", 1)], {("JACKET", 1): 2}, paris(2030, 1, 7, 10), destination=far
    )
    assert result.pickup_options == ()


def test_pickup_is_ready_within_opening_hours() -> None:
    # before opening: opening time + preparation
    assert ready_by(PICKUP, paris(2030, 1, 7, 7)) == paris(2030, 1, 7, 11)
    # during the day: now + preparation
    assert ready_by(PICKUP, paris(2030, 1, 7, 15, 30)) == paris(2030, 1, 7, 17, 30)
    # too late to prepare before closing: tomorrow
    assert ready_by(PICKUP, paris(2030, 1, 7, 18, 30)) == paris(2030, 1, 8, 11)
    # the clock may come in UTC
    assert ready_by(PICKUP, datetime(2030, 1, 7, 9, tzinfo=UTC)) == paris(2030, 1, 7, 12)


def test_a_pickup_only_cart_has_no_delivery_options() -> None:
    line = SourcingLine("1", "JACKET", 1, FulfillmentMethod.PICKUP, 1)
    result = promise([line], {("JACKET", 1): 1}, paris(2030, 1, 7, 10))
    assert result.delivery_options == ()
    assert select_delivery_option(result, None, has_ship_lines=False) is None


def test_checkout_must_choose_an_offered_delivery_option() -> None:
    result = promise([SourcingLine("1", "JACKET", 1)], {("JACKET", 3): 1}, paris(2030, 1, 7, 10))
    chosen = select_delivery_option(result, "standard", has_ship_lines=True)
    assert chosen is not None
    assert chosen.code == "standard"
    for code in (None, "courier", "teleport"):
        with pytest.raises(DomainError) as raised:
            select_delivery_option(result, code, has_ship_lines=True)
        assert [(e.field, e.code) for e in raised.value.errors] == [
            (("input", "deliveryOption"), ErrorCode.INVALID)
        ]


def test_a_bad_delivery_option_configuration_is_reported_field_by_field() -> None:
    bad = DeliveryOptionConfig(
        "", "x", Decimal(-1), -1, time(14), "Mars/Olympus", (TransitBand(None, 3, 1),)
    )
    assert [e.field[-1] for e in delivery_option_errors(bad)] == [
        "code",
        "price",
        "handlingDays",
        "bands",
        "timezone",
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2030, 1, 1), max_value=datetime(2031, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(0, 72 * 60),
    st.integers(0, 5),
    st.none() | st.floats(0, 2000),
)
def test_ordering_later_never_promises_an_earlier_delivery(
    now: datetime, minutes_later: int, handling: int, km: float | None
) -> None:
    option = DeliveryOptionConfig(
        "o",
        "o",
        Decimal(0),
        handling,
        time(14),
        "Europe/Paris",
        (TransitBand(100, 1, 2), TransitBand(None, 2, 5)),
    )
    first = delivery_window(option, km, now)
    second = delivery_window(option, km, now + timedelta(minutes=minutes_later))
    assert first is not None
    assert second is not None
    assert first[0] <= second[0]
    assert first[1] <= second[1]
    # and delivery is never before the day of the order, nor before the handling is done
    assert first[0] >= now.astimezone(PARIS_TZ).date() + timedelta(days=handling)
    assert first[0] <= first[1]
