"""`orchestra demo` on a fresh SQLite database: what the demo data set promises its users."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from domain.catalog.model import HANDLE_PATTERN
from persistence.database import Database
from persistence.migrate import upgrade
from server.app import create_app
from server.demo import load_demo
from server.settings import Settings
from tests.conftest import Api, run_cli

COUNTS = {
    "channels": "SELECT count(*) FROM channels",
    "categories": "SELECT count(*) FROM categories",
    "locations": "SELECT count(*) FROM locations",
    "products": "SELECT count(*) FROM products",
    "variants": "SELECT count(*) FROM variants",
    "kits": "SELECT count(*) FROM variants WHERE is_kit",
    "positions": "SELECT count(*) FROM inventory_positions",
    "supply": "SELECT count(*) FROM incoming_supply",
    "views": "SELECT count(*) FROM inventory_views",
}
ATP = """SELECT v.sku, a.available FROM channel_atp a
  JOIN variants v ON v.id = a.variant_id JOIN channels c ON c.id = a.channel_id
  WHERE c.code = :channel ORDER BY v.sku"""
AVAILABILITY = """query($channel: String!, $skus: [String!]!) {
  availability(channel: $channel, skus: $skus) { sku available } }"""


def fresh_database(directory: Path) -> str:
    url = f"sqlite+aiosqlite:///{directory / 'demo.db'}"
    upgrade(url)
    return url


def load(url: str, *, only_if_empty: bool = False) -> int:
    async def run() -> int:
        db = Database(url)
        try:
            return await load_demo(db, only_if_empty=only_if_empty)
        finally:
            await db.dispose()

    return asyncio.run(run())


def query(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async def run() -> list[tuple[Any, ...]]:
        db = Database(url)
        try:
            async with db.read() as conn:
                return [tuple(row) for row in await conn.execute(text(sql), params)]
        finally:
            await db.dispose()

    return asyncio.run(run())


def counts(url: str) -> dict[str, int]:
    return {name: query(url, sql)[0][0] for name, sql in COUNTS.items()}


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = fresh_database(tmp_path_factory.mktemp("demo"))
    assert load(url) == 0
    return url


def test_demo_has_channels_catalog_kits_and_located_sites(demo_url: str) -> None:
    found = counts(demo_url)
    assert found["channels"] >= 3
    assert {"web", "app", "marketplace-amazon"} <= {
        c for (c,) in query(demo_url, "SELECT code FROM channels")
    }
    assert found["views"] == found["channels"]
    assert found["products"] >= 500
    assert found["variants"] >= 2000
    assert found["kits"] >= 10
    assert found["locations"] >= 20
    assert found["supply"] > 0
    located = query(
        demo_url,
        "SELECT count(*) FROM locations WHERE latitude BETWEEN 24 AND 50 AND longitude BETWEEN -125 AND -66",
    )
    assert located == [(found["locations"],)]  # every site has coordinates, all in the US
    kinds = {k for (k,) in query(demo_url, "SELECT DISTINCT kind FROM locations")}
    assert kinds >= {"WAREHOUSE", "STORE", "DROPSHIP_VENDOR", "THIRD_PARTY_LOGISTICS", "DARK_STORE"}
    handles = [h for (h,) in query(demo_url, "SELECT handle FROM products")]
    assert all(HANDLE_PATTERN.match(h) for h in handles)
    kits_without_parts = query(
        demo_url,
        "SELECT count(*) FROM variants v WHERE v.is_kit AND NOT EXISTS "
        "(SELECT 1 FROM kit_components k WHERE k.kit_id = v.id)",
    )
    assert kits_without_parts == [(0,)]


def test_marketplace_view_holds_stock_back(demo_url: str) -> None:
    [view] = query(
        demo_url,
        "SELECT v.safety_buffer, v.safety_buffer_percent, v.max_available FROM inventory_views v "
        "JOIN channels c ON c.id = v.channel_id WHERE c.code = 'marketplace-amazon'",
    )
    assert view == (2, 10, 50)
    web = dict(query(demo_url, ATP, channel="web"))
    marketplace = dict(query(demo_url, ATP, channel="marketplace-amazon"))
    assert max(marketplace.values()) == 50
    assert all(available <= web.get(sku, 0) for sku, available in marketplace.items())


@pytest.fixture(scope="module")
def demo_api(demo_url: str) -> Iterator[Api]:
    secret = run_cli(
        "token",
        "create",
        "--kind",
        "admin",
        "--name",
        "demo",
        "--scopes",
        "all",
        database_url=demo_url,
    ).split()[-1]
    with TestClient(create_app(Settings(database_url=demo_url))) as client:
        yield Api(client, secret)


def test_api_availability_matches_the_stored_channel_atp(demo_url: str, demo_api: Api) -> None:
    for channel in ("web", "marketplace-amazon"):
        stored = dict(query(demo_url, ATP, channel=channel))
        deepest = max(stored, key=lambda sku: stored[sku])
        kit = min(sku for sku in stored if sku.startswith("KIT-"))
        skus = [deepest, kit]
        result = demo_api(AVAILABILITY, {"channel": channel, "skus": skus})["availability"]
        assert [(r["sku"], r["available"]) for r in result] == [(s, stored[s]) for s in skus]
    assert stored[deepest] > 0
    products = demo_api('{ products(channel: "web") { totalCount } }')["products"]
    assert products["totalCount"] >= 500


def test_loading_again_duplicates_nothing(
    demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(demo_url)
    capsys.readouterr()

    assert load(demo_url, only_if_empty=True) == 0
    assert capsys.readouterr().out.strip() == "demo data already present"
    assert load(demo_url) == 1
    assert "exists" in capsys.readouterr().err

    assert counts(demo_url) == before


def test_same_seed_gives_the_same_data(demo_url: str, tmp_path: Path) -> None:
    other = fresh_database(tmp_path)
    assert load(other) == 0
    stock = """SELECT v.sku, l.code, p.on_hand, p.safety_stock FROM inventory_positions p
      JOIN variants v ON v.id = p.variant_id JOIN locations l ON l.id = p.location_id
      ORDER BY v.sku, l.code"""
    sku_prices = """SELECT v.sku, c.code, p.amount FROM prices p JOIN variants v ON v.id = p.variant_id
      JOIN channels c ON c.id = p.channel_id ORDER BY v.sku, c.code"""
    for sql in ("SELECT sku FROM variants ORDER BY sku", stock, sku_prices):
        assert query(other, sql) == query(demo_url, sql)
    assert query(other, ATP, channel="web") == query(demo_url, ATP, channel="web")
