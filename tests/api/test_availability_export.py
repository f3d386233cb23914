"""`orchestra export availability`: the file must say what the `availability` query says."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.cli import main as cli
from tests import factories
from tests.api.test_inventory_ingest import SET, ago
from tests.conftest import Api, run_cli

AVAILABILITY = """query($channel: String!, $skus: [String!]!) {
  availability(channel: $channel, skus: $skus) {
    sku available shipAvailable pickupAvailable nextIncoming { expectedAt } } }"""
INCOMING = """mutation($sku: String!, $loc: String!, $when: Date!) {
  incomingSupplyAdd(sku: $sku, location: $loc, quantity: 5, expectedAt: $when) {
    userErrors { field } } }"""


def catalog_with_stock(api: Api) -> tuple[str, list[str]]:
    """A channel over a warehouse and a store, with plain SKUs, an excluded one and a kit."""
    channel = factories.channel(api)
    warehouse = factories.location(api)
    store = factories.location(api, kind="STORE", canShip=False, canPickup=True)
    outside = factories.location(api)
    plain, scarce, excluded, unstocked = factories.product(api, skus=4)
    [kit] = factories.product(api, kit=[(plain, 2), (scarce, 1)])
    counts = [
        (plain, warehouse, 40),
        (plain, store, 9),
        (scarce, warehouse, 3),
        (excluded, warehouse, 50),
        (unstocked, outside, 70),
    ]
    updates = [
        {"sku": sku, "location": loc, "onHand": n, "asOf": ago(seconds=5)} for sku, loc, n in counts
    ]
    assert api(SET, {"updates": updates})["inventorySet"]["userErrors"] == []
    for days, sku in ((9, scarce), (4, unstocked), (12, plain)):
        when = (datetime.now(UTC) + timedelta(days=days)).date().isoformat()
        loc = outside if sku == unstocked else warehouse
        assert api(INCOMING, {"sku": sku, "loc": loc, "when": when})["incomingSupplyAdd"] == {
            "userErrors": []
        }
    factories.view(
        api,
        channel,
        [warehouse, store],
        safetyBuffer=1,
        safetyBufferPercent=10,
        excludedSkus=[excluded],
    )
    return channel, [plain, scarce, excluded, unstocked, kit]


def expected(api: Api, channel: str, skus: list[str]) -> dict[str, dict[str, Any]]:
    rows = api(AVAILABILITY, {"channel": channel, "skus": skus})["availability"]
    return {
        row["sku"]: {
            "available": row["available"],
            "shipAvailable": row["shipAvailable"],
            "pickupAvailable": row["pickupAvailable"],
            "nextIncoming": (row["nextIncoming"] or {}).get("expectedAt"),
        }
        for row in rows
    }


def test_csv_export_equals_the_availability_query(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    channel, skus = catalog_with_stock(api)
    path = tmp_path / "feed.csv"
    run_cli(
        "export", "availability", "--channel", channel, "--output", str(path),
        database_url=database_url,
    )  # fmt: skip
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        assert reader.fieldnames == [
            "sku",
            "available",
            "ship_available",
            "pickup_available",
            "next_incoming",
        ]
        exported = {
            row["sku"]: {
                "available": int(row["available"]),
                "shipAvailable": int(row["ship_available"]),
                "pickupAvailable": int(row["pickup_available"]),
                "nextIncoming": row["next_incoming"] or None,
            }
            for row in reader
        }
    wanted = expected(api, channel, skus)
    assert {sku: exported[sku] for sku in skus} == wanted
    # Guard against agreeing on zeros: the set-up exercises buffers, exclusion and kits.
    plain, scarce, excluded, unstocked, kit = skus
    assert wanted[plain]["available"] == 35 + 7  # 40-1-4 and 9-1-1
    assert wanted[excluded]["available"] == 0
    assert wanted[kit]["available"] == 1  # min(42 // 2, 1 // 1); scarce is 3-1-1
    assert wanted[unstocked]["nextIncoming"] is None  # its supply is outside the view
    assert wanted[kit]["nextIncoming"] == wanted[scarce]["nextIncoming"]


def test_jsonl_export_to_stdout_equals_the_availability_query(api: Api, database_url: str) -> None:
    channel, skus = catalog_with_stock(api)
    output = run_cli(
        "export", "availability", "--channel", channel, "--format", "jsonl",
        database_url=database_url,
    )  # fmt: skip
    records = [json.loads(line) for line in output.splitlines()]
    assert len({r["sku"] for r in records}) == len(records)  # one record per SKU
    exported = {
        r["sku"]: {k: v for k, v in r.items() if k != "sku"} for r in records if r["sku"] in skus
    }
    assert exported == expected(api, channel, skus)


def test_an_unknown_channel_is_an_error_and_writes_no_file(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCHESTRA_DATABASE_URL", database_url)
    path = tmp_path / "feed.csv"
    assert cli(["export", "availability", "--channel", "nope", "--output", str(path)]) == 1
    assert not path.exists()
