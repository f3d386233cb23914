"""The storefront listing's hot reads: prices read only in the channels a document names,
and raw asyncpg reads that leave transactions and failures to SQLAlchemy."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from persistence.database import Database
from persistence.reads import raw
from server.settings import Settings
from tests import factories
from tests.conftest import Api

LISTING = """query($skus: [String!], $second: String!) {
  products(first: 5, filter: {skus: $skus}) { edges { node { variants { sku
    first: price(channel: "FIRST") { amount currency }
    second: price(channel: $second) { amount currency }
    unpriced: price(channel: "UNPRICED") { amount }
    unknown: price(channel: "no-such-channel") { amount }
  } } } } }"""
ONE = """query($sku: String!, $channel: String!) {
  variant(sku: $sku) { price(channel: $channel) { amount currency } } }"""


def test_a_listing_shows_each_channels_own_price(api: Api) -> None:
    usd = factories.channel(api, "USD")
    jpy = factories.channel(api, "JPY")
    bare = factories.channel(api, "EUR")  # no prices in it
    skus = factories.product(api, skus=2, prices={usd: "12.345", jpy: "1500.5"})
    listing = LISTING.replace("FIRST", usd).replace("UNPRICED", bare)
    found = api(listing, {"skus": skus, "second": jpy})
    [edge] = found["products"]["edges"]
    variants = edge["node"]["variants"]
    assert [v["sku"] for v in variants] == skus
    for variant in variants:
        # Rounded half-even to each currency's minor unit, as a single variant reads it.
        assert variant["first"] == {"amount": "12.34", "currency": "USD"}
        assert variant["second"] == {"amount": "1500", "currency": "JPY"}
        assert variant["unpriced"] is None
        assert variant["unknown"] is None
        for channel, alias in ((usd, "first"), (jpy, "second")):
            one = api(ONE, {"sku": variant["sku"], "channel": channel})
            assert one["variant"]["price"] == variant[alias]


def test_prices_selected_through_a_fragment_are_each_channels_own(api: Api) -> None:
    # Prices selected through a fragment: the listing finds their channels there too, and
    # whatever it reads ahead, every price shown is the channel's own.
    usd = factories.channel(api, "USD")
    eur = factories.channel(api, "EUR")
    skus = factories.product(api, skus=1, prices={usd: "5", eur: "7.125"})
    query = """query($skus: [String!]) { products(first: 5, filter: {skus: $skus}) {
      edges { node { variants { ...Prices } } } } }
      fragment Prices on Variant { a: price(channel: "A") { amount }
        b: price(channel: "B") { amount } }""".replace('"A"', f'"{usd}"').replace('"B"', f'"{eur}"')
    [edge] = api(query, {"skus": skus})["products"]["edges"]
    assert edge["node"]["variants"] == [{"a": {"amount": "5.00"}, "b": {"amount": "7.12"}}]


def test_raw_reads_leave_transactions_and_failures_to_sqlalchemy(settings: Settings) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("raw asyncpg reads exist on PostgreSQL only; SQLite always uses SQLAlchemy")

    async def check() -> None:
        db = Database(settings.database_url, pool_size=1)
        try:
            async with db.read() as conn:
                rows = await raw.fetch(conn, "SELECT $1::int + 1", 41)
                assert rows is not None
                assert [tuple(r) for r in rows] == [(42,)]
                # A failing statement: None, so the caller's SQLAlchemy statement runs and
                # reports the failure the usual way; the connection is still usable.
                assert await raw.fetch(conn, "SELECT no_such_column FROM products") is None
                await conn.execute(text("SELECT 1"))  # SQLAlchemy has begun a transaction
                assert await raw.fetch(conn, "SELECT 1") is None
        finally:
            await db.dispose()

    asyncio.run(check())
