"""Issue 9 part 4: every report on 100,000 orders, warm, through the GraphQL layer
in-process and as the bare SQL statement.

    .venv/bin/python bench/reports.py [--orders 100000] [--runs 20] [--keep] [--explain]
        [--database bench_reports] [--seed-only]

Makes the PostgreSQL database `bench_reports` next to BENCH_ADMIN_URL (dropped and migrated
with `orchestra db upgrade`; `--keep` reuses a seeded one), seeds it with set-based INSERT
... SELECT FROM generate_series (4 channels in 2 currencies, 6 locations, 2,000 SKUs,
orders spread over 90 days with 2-3 lines, 6 source codes, one fulfillment per order:
~82 % shipped, 5 % cancelled, 1 % of lines unfilled, 4 % of shipped lines returned, ~12 %
open), ANALYZEs, then times each report `--runs` times after a warm-up: median and p95,
(a) the read function on one connection (the SQL and row mapping), (b) the GraphQL
document sent to the Starlette app in-process (auth, guard, execution, JSON). `--explain`
prints EXPLAIN (ANALYZE, BUFFERS) of each statement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bench.common import ADMIN_URL, admin_token, fresh_database, started
from bench.cpu_profile import call
from domain.reports.model import ReportRange, SalesDimension
from persistence.database import Database
from persistence.reads import reports as reads
from persistence.reads.reports import ReportScope
from persistence.tables import order_lines, orders

DATABASE = "bench_reports"
END = datetime(2026, 11, 1, tzinfo=UTC)  # orders are placed in the 90 days before
DAYS = 90
CHANNELS = [("web", "EUR"), ("app", "EUR"), ("market", "USD"), ("store", "EUR")]

SEED = [
    """INSERT INTO channels (id, code, name, currency, created_at)
       SELECT i, c.code, c.code, c.currency, now()
       FROM unnest(CAST(:codes AS text[]), CAST(:currencies AS text[]))
            WITH ORDINALITY AS c(code, currency, i)""",
    """INSERT INTO locations (id, code, name, kind, latitude, longitude, can_ship, can_pickup,
           open_fulfillments, created_at)
       SELECT i, 'loc-' || i, 'Location ' || i, CASE WHEN i > 4 THEN 'STORE' ELSE 'WAREHOUSE' END,
              45 + i, 2 + i, true, i > 4, 0, now()
       FROM generate_series(1, 6) AS i""",
    # Status by i % 100: 0-4 cancelled, 5-16 open, the rest shipped (some completed).
    """INSERT INTO orders (id, number, channel_id, currency, status, status_changed_at,
           customer_id, email, shipping_address, delivery_option, coupon_codes, source_code,
           external_reference, cart_id, subtotal, discount_total, shipping_total, tax_total,
           total, shipping_charge, shipping_discount, shipping_tax, prices_include_tax,
           hold_reason, appeased, shipping_captured, authorization_released,
           rejected_location_ids, created_at, updated_at, promised_by)
       SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7000-8000-' || lpad(to_hex(i), 12, '0'),
              'B-' || i, 1 + i % 4,
              CASE WHEN i % 4 = 2 THEN 'USD' ELSE 'EUR' END,
              CASE WHEN i % 100 < 5 THEN 'CANCELLED'
                   WHEN i % 100 < 9 THEN 'CONFIRMED'
                   WHEN i % 100 < 14 THEN 'IN_FULFILLMENT'
                   WHEN i % 100 < 16 THEN 'BACKORDERED'
                   WHEN i % 100 < 17 THEN 'ON_HOLD'
                   WHEN i % 3 = 0 THEN 'COMPLETED' ELSE 'SHIPPED' END,
              t + interval '1 hour' * (i % 72), NULL, 'c' || (i % 5000) || '@example.com',
              NULL, 'standard', '[]',
              (ARRAY['google', 'newsletter', 'instagram', 'affiliate', 'tv', NULL])[1 + i % 6],
              NULL, NULL, 0, 0, CASE WHEN i % 5 = 0 THEN 4.90 ELSE 0 END, 0, 0, 0, 0, 0, false,
              NULL, 0, false, false, '[]', t, t,
              CASE WHEN i % 10 = 0 THEN NULL ELSE t + interval '5 days' END
       FROM (SELECT i, t, lpad(to_hex(CAST(extract(epoch FROM t) * 1000 AS bigint)), 12, '0') AS h
             FROM (SELECT i, CAST(:end AS timestamptz)
                             - interval '1 second' * ((i * 7919) % (:days * 86400)) AS t
                   FROM generate_series(1, :orders) AS i) AS s0) AS s""",
    """INSERT INTO order_lines (id, order_id, position, sku, quantity, method,
           pickup_location_id, unit_price, subtotal, discount, total, tax, charge,
           quantity_cancelled, quantity_shipped, quantity_returned, quantity_unfilled,
           placed_at, channel_id)
       SELECT CAST(CAST(md5(o.id || k) AS uuid) AS text), o.id, k, 'SKU-' || lpad(((i * 31 + k * 17) % 2000)::text, 4, '0'),
              q, 'SHIP', NULL, p, p * q, d, p * q - d, 0, p * q - d,
              CASE WHEN o.status = 'CANCELLED' OR (i + k) % 100 = 0 THEN q ELSE 0 END,
              CASE WHEN o.status IN ('SHIPPED', 'COMPLETED') AND (i + k) % 100 <> 0 THEN q ELSE 0 END,
              CASE WHEN o.status IN ('SHIPPED', 'COMPLETED') AND (i + k) % 100 <> 0
                        AND (i * 13 + k) % 25 = 0 THEN 1 ELSE 0 END,
              CASE WHEN o.status <> 'CANCELLED' AND (i + k) % 100 = 0 THEN q ELSE 0 END,
              o.created_at, o.channel_id
       FROM (SELECT id, status, created_at, channel_id, CAST(substr(number, 3) AS bigint) AS i
             FROM orders) AS o
       CROSS JOIN LATERAL generate_series(0, 1 + o.i % 2) AS k
       CROSS JOIN LATERAL (SELECT 1 + (o.i + k) % 3 AS q,
                                  CAST(5 + (o.i * 7 + k) % 50 AS numeric) + 0.99 AS p,
                                  CASE WHEN o.i % 8 = 0 THEN 2.00 ELSE 0 END AS d) AS v""",
    """UPDATE orders SET subtotal = l.subtotal, discount_total = l.discount,
           total = l.total + orders.shipping_total, shipping_charge = orders.shipping_total
       FROM (SELECT order_id, sum(subtotal) AS subtotal, sum(discount) AS discount,
                    sum(total) AS total FROM order_lines GROUP BY order_id) AS l
       WHERE l.order_id = orders.id""",
    """INSERT INTO fulfillments (id, order_id, position, location_id, location_code, method,
           status, carrier, tracking_number, pickup_code, pickup_attempts, ready_at, reason,
           created_at, updated_at, placed_at, channel_id)
       SELECT CAST(CAST(md5(o.id || 'f') AS uuid) AS text), o.id, 0, 1 + o.i % 6, 'loc-' || (1 + o.i % 6), 'SHIP',
              CASE WHEN o.status IN ('SHIPPED', 'COMPLETED') THEN 'SHIPPED'
                   WHEN o.status = 'IN_FULFILLMENT' THEN 'PICKED' ELSE 'ASSIGNED' END,
              NULL, NULL, NULL, 0, NULL, NULL, o.created_at,
              CASE WHEN o.status IN ('SHIPPED', 'COMPLETED')
                   THEN o.created_at + interval '1 minute' * (30 + (o.i * 37) % 4300)
                   ELSE o.created_at END,
              o.created_at, o.channel_id
       FROM (SELECT id, status, created_at, channel_id, CAST(substr(number, 3) AS bigint) AS i
             FROM orders
             WHERE status <> 'CANCELLED') AS o""",
    """INSERT INTO fulfillment_lines (fulfillment_id, position, order_line_id, sku, quantity)
       SELECT f.id, l.position, l.id, l.sku, l.quantity
       FROM order_lines l JOIN fulfillments f ON f.order_id = l.order_id""",
]

GRAPHQL = {
    "sales": """query($from: DateTime!, $to: DateTime!, $channel: String) {
      salesReport(from: $from, to: $to, channel: $channel) { truncated rows { day channel
        sourceCode currency orders cancelledOrders subtotal { amount } discountTotal { amount }
        shippingTotal { amount } taxTotal { amount } total { amount } netTotal { amount } } } }""",
    "returns": """query($from: DateTime!, $to: DateTime!, $channel: String) {
      returnsRateReport(from: $from, to: $to, channel: $channel, first: 50) {
        rows { sku unitsShipped unitsReturned returnsRate } } }""",
    "fill": """query($from: DateTime!, $to: DateTime!, $channel: String) {
      fillRateReport(from: $from, to: $to, channel: $channel) { rows { channel orders
        unitsOrdered unitsShipped unitsCancelled unitsUnfilled unitsOpen fillRate
        orderFillRate } } }""",
    "shipment": """query($from: DateTime!, $to: DateTime!, $channel: String) {
      orderToShipmentReport(from: $from, to: $to, channel: $channel) {
        rows { location method fulfillments averageSeconds maxSeconds } } }""",
    "at_risk": """query($channel: String) { ordersAtRisk(channel: $channel, withinHours: 24,
      stuckForMinutes: 1440, first: 50) { orderId number channel status promisedBy reason } }""",
}


def url_of(name: str) -> str:
    from sqlalchemy import make_url

    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def seed(url: str, count: int) -> None:
    engine = create_async_engine(url)
    params = {
        "codes": [c for c, _ in CHANNELS],
        "currencies": [cur for _, cur in CHANNELS],
        "end": END,
        "days": DAYS,
        "orders": count,
    }
    async with engine.begin() as conn:
        for statement in SEED:
            begun = time.perf_counter()
            bound = text(statement)
            wanted = {k: v for k, v in params.items() if f":{k}" in statement}
            await conn.execute(bound, wanted)
            print(
                f"  {statement.split()[0]} {statement.split()[2]}: "
                f"{time.perf_counter() - begun:.1f} s",
                flush=True,
            )
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
    await engine.dispose()


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


Case = tuple[str, str, dict[str, Any], Callable[[AsyncConnection], Awaitable[Any]]]


async def bare_orders(conn: AsyncConnection, span: ReportRange, scope: ReportScope) -> Any:
    """The floor of an orders report: count the range's orders (no grouping, no sums)."""
    o = orders.c
    where = [o.created_at >= span.start, o.created_at < span.end]
    if scope.channel_id is not None:
        where.append(o.channel_id == scope.channel_id)
    await reads.custom_plans(conn)
    return (await conn.execute(select(func.count()).where(*where))).scalar()


async def bare_lines(conn: AsyncConnection, span: ReportRange, scope: ReportScope) -> Any:
    """The floor of a lines report: the range's orders joined to their lines, one sum."""
    o, ln = orders.c, order_lines.c
    where = [o.created_at >= span.start, o.created_at < span.end]
    if scope.channel_id is not None:
        where.append(o.channel_id == scope.channel_id)
    query = select(func.sum(ln.quantity)).select_from(orders.join(order_lines, ln.order_id == o.id))
    await reads.custom_plans(conn)
    return (await conn.execute(query.where(*where))).scalar()


async def bare_placed_lines(conn: AsyncConnection, span: ReportRange, scope: ReportScope) -> Any:
    """The floor of a lines report read by the lines' own placement columns (0012): the
    range's lines from one index, one sum, no join."""
    ln = order_lines.c
    where = [ln.placed_at >= span.start, ln.placed_at < span.end]
    if scope.channel_id is not None:
        where.append(ln.channel_id == scope.channel_id)
    await reads.custom_plans(conn)
    return (await conn.execute(select(func.sum(ln.quantity)).where(*where))).scalar()


def cases(now: datetime) -> list[Case]:
    codes = {i + 1: c for i, (c, _) in enumerate(CHANNELS)}
    full = ReportRange(END - timedelta(days=DAYS), END)
    month = ReportRange(END - timedelta(days=30), END)
    out: list[Case] = []
    for label, span in (
        ("90 d, all channels", full),
        ("30 d, all channels", month),
        ("90 d, channel web", full),
    ):
        scope = ReportScope(channel_id=1) if "web" in label else ReportScope()
        variables = {
            "from": span.start.isoformat(),
            "to": span.end.isoformat(),
            "channel": "web" if "web" in label else None,
        }
        out += [
            ("bare rows", label, variables, lambda c, s=span, sc=scope: bare_orders(c, s, sc)),
            ("bare lines", label, variables, lambda c, s=span, sc=scope: bare_lines(c, s, sc)),
            (
                "bare placed",
                label,
                variables,
                lambda c, s=span, sc=scope: bare_placed_lines(c, s, sc),
            ),
            (
                "sales",
                label,
                variables,
                lambda c, s=span, sc=scope: reads.sales(
                    c,
                    s,
                    sc,
                    (SalesDimension.DAY, SalesDimension.CHANNEL, SalesDimension.SOURCE_CODE),
                    codes,
                    5001,
                ),
            ),
            (
                "returns",
                label,
                variables,
                lambda c, s=span, sc=scope: reads.returns_by_sku(c, s, sc, 1, 50),
            ),
            (
                "fill",
                label,
                variables,
                lambda c, s=span, sc=scope: reads.fill_rate(c, s, sc, codes),
            ),
            (
                "shipment",
                label,
                variables,
                lambda c, s=span, sc=scope: reads.order_to_shipment(c, s, sc),
            ),
        ]
    for label, scope in (
        ("open orders, all channels", ReportScope()),
        ("open orders, channel web", ReportScope(channel_id=1)),
    ):
        out.append(
            (
                "at_risk",
                label,
                {"channel": "web" if "web" in label else None},
                lambda c, sc=scope: reads.orders_at_risk(c, sc, now, 24, 1440, codes, 50),
            )
        )
    return out


async def time_both(
    url: str, secret: str, all_cases: list[Case], runs: int
) -> tuple[dict[tuple[str, str], list[float]], dict[tuple[str, str], list[float]]]:
    """Per case: a warm-up of each, then `runs` rounds of (read function on one
    connection, GraphQL document through the in-process app), so both see the same load."""
    os.environ["ORCHESTRA_DATABASE_URL"] = url
    os.environ["ORCHESTRA_RESPONSE_CACHE_TTL"] = "0"
    from server.app import create_app

    app = create_app()
    running = await started(app)
    engine = Database(url).engine  # the server's settings (JIT off)
    sql: dict[tuple[str, str], list[float]] = {}
    gql: dict[tuple[str, str], list[float]] = {}
    try:
        async with engine.connect() as conn:
            for name, label, variables, run in all_cases:
                document = GRAPHQL.get(name)
                body = json.dumps({"query": document, "variables": variables}).encode()
                if document is not None:
                    answer = await call(app, body, secret)
                    if b'"errors"' in answer:
                        raise RuntimeError(answer[:600].decode())
                await run(conn)
                sql[(name, label)], gql[(name, label)] = [], []
                for _ in range(runs):
                    begun = time.perf_counter()
                    await run(conn)
                    sql[(name, label)].append((time.perf_counter() - begun) * 1000)
                    if document is not None:
                        begun = time.perf_counter()
                        await call(app, body, secret)
                        gql[(name, label)].append((time.perf_counter() - begun) * 1000)
    finally:
        await engine.dispose()
        await running.stop()
    return sql, gql


async def explain(url: str, now: datetime) -> None:
    """EXPLAIN ANALYZE of each statement as SQLAlchemy compiles it for asyncpg."""
    engine = Database(url).engine
    captured: list[tuple[str, Any]] = []

    from sqlalchemy import event

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    async with engine.connect() as conn:
        for name, label, _v, run in cases(now):
            if "30 d" in label:
                continue
            captured.clear()
            await run(conn)
            statement, parameters = captured[-1]
            raw = await conn.get_raw_connection()
            plan = await raw.driver_connection.fetch(  # type: ignore[union-attr]
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, *parameters
            )
            print(f"\n--- {name}, {label}")
            print("\n".join(r[0] for r in plan))
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse a seeded bench_reports")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--database", default=DATABASE, help="its name (one per engineer)")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop")
    args = parser.parse_args()
    if args.keep:
        url = url_of(args.database)
    else:
        print(f"seeding {args.orders:,} orders into {args.database} ...", flush=True)
        url = fresh_database(args.database)
        begun = time.perf_counter()
        asyncio.run(seed(url, args.orders))
        print(f"seeded in {time.perf_counter() - begun:.1f} s", flush=True)
        if args.seed_only:
            return
    secret = admin_token(url)
    # "Now" for at risk: the end of the seeded period (open orders' promises are around it).
    now = END
    if args.explain:
        asyncio.run(explain(url, now))
        return
    all_cases = cases(now)
    load_before = os.getloadavg()[0]
    sql, gql = asyncio.run(time_both(url, secret, all_cases, args.runs))
    load_after = os.getloadavg()[0]
    print(
        f"\n{args.orders:,} orders, {args.runs} warm runs each (SQL and GraphQL alternating), "
        f"milliseconds; load average {load_before:.1f} -> {load_after:.1f} on "
        f"{os.cpu_count()} cores"
    )
    print(
        f"{'report':<10} {'range':<26} {'SQL p50':>8} {'SQL p95':>8} {'GQL p50':>8} {'GQL p95':>8}"
    )
    for name, label, _v, _r in all_cases:
        s50, s95 = stats(sql[(name, label)])
        graphql = f"{'-':>8} {'-':>8}"
        if gql[(name, label)]:
            g50, g95 = stats(gql[(name, label)])
            graphql = f"{g50:8.1f} {g95:8.1f}"
        print(f"{name:<10} {label:<26} {s50:8.1f} {s95:8.1f} {graphql}")


if __name__ == "__main__":
    main()
