"""N+1 free: products with variants, prices and categories cost a constant number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from tests import factories
from tests.conftest import Api, unique

QUERY = """query($channel: String!, $first: Int!) {
  products(channel: $channel, first: $first) {
    edges { node { title category { code parent { code } }
      variants { sku price(channel: $channel) { amount currency }
        kitComponents { quantity variant { sku } } } } } } }"""


@contextmanager
def counting(client: TestClient) -> Iterator[list[str]]:
    services = client.app.state.services  # type: ignore[attr-defined]
    engine = services.db.engine.sync_engine
    statements: list[str] = []

    def record(*args: Any) -> None:
        # The relay polls the outbox and the hold sweeper looks for expired holds in the
        # background on the same engine, and the token cache may expire mid-measurement on
        # a slow machine: none of it is the query's work.
        if not any(name in args[2] for name in ("outbox", "api_tokens", "reservations")):
            statements.append(args[2])

    services.reference.invalidate()  # both measurements pay for the same reference reload
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.single_execution
def test_statement_count_does_not_grow_with_page_size(api: Api, client: TestClient) -> None:
    channel = factories.channel(api)
    parent = unique("cat")
    child = unique("cat")
    for code, parent_code in ((parent, None), (child, parent)):
        api(
            "mutation($i: CategoryInput!) { categoryCreate(input: $i) { userErrors { code } } }",
            {"i": {"code": code, "name": code, "parent": parent_code}},
        )
    parts = factories.product(api, skus=2, prices={channel: "3"})
    for n in range(50):
        api(
            factories.PRODUCT,
            {
                "input": {
                    "handle": unique("n1"),
                    "title": f"Product {n}",
                    "category": child,
                    "variants": [
                        {
                            "sku": unique("V"),
                            "title": "a",
                            "prices": [{"channel": channel, "amount": "9.99"}],
                        },
                        {
                            "sku": unique("V"),
                            "title": "b",
                            "prices": [{"channel": channel, "amount": "19.99"}],
                        },
                        {
                            "sku": unique("K"),
                            "title": "kit",
                            "prices": [{"channel": channel, "amount": "25"}],
                            "kitComponents": [{"sku": parts[0], "quantity": 2}],
                        },
                    ],
                }
            },
        )
    counts = {}
    for first in (5, 50):
        with counting(client) as statements:
            result = api(QUERY, {"channel": channel, "first": first})
        edges = result["products"]["edges"]
        assert len(edges) == first
        assert all(v["price"] is not None for e in edges for v in e["node"]["variants"])
        counts[first] = len(statements)
    print(f"SQL statements for products(first: 5) = {counts[5]}, (first: 50) = {counts[50]}")
    assert counts[5] == counts[50]
    assert counts[50] <= 12


ORDER_PAGE = """query($channel: String!, $first: Int!) {
  orders(filter: {channel: $channel}, first: $first) { edges { node { number status
    customer { email } lines { sku quantity variant { sku } }
    fulfillments { status location { code } lines { sku quantity } }
    payments { status authorized { amount } } history { type actor } } } } }"""


@pytest.mark.single_execution
def test_a_page_of_orders_with_their_parts_costs_the_same_whatever_its_size(
    api: Api, client: TestClient
) -> None:
    from tests.api.shop import OK, ORDER_PLACE, PARIS, shop

    s = shop(api, stock_counts=(100, 0))
    for n in range(50):
        placed = api(
            ORDER_PLACE,
            {
                "input": {
                    "channel": s.channel,
                    "lines": [{"sku": s.skus[0], "quantity": 1}],
                    "email": f"n{n}@example.com",
                    "shippingAddress": PARIS,
                    "deliveryOption": "standard",
                    "payment": OK,
                }
            },
        )["orderPlace"]
        assert placed["userErrors"] == [], placed
    counts = {}
    for first in (5, 50):
        with counting(client) as statements:
            result = api(ORDER_PAGE, {"channel": s.channel, "first": first})
        edges = result["orders"]["edges"]
        assert len(edges) == first
        assert all(e["node"]["fulfillments"] and e["node"]["payments"] for e in edges)
        counts[first] = len(statements)
    print(f"SQL statements for orders(first: 5) = {counts[5]}, (first: 50) = {counts[50]}")
    assert counts[5] == counts[50]
    assert counts[50] <= 12
