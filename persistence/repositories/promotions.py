"""Promotions: storing them, the one read pricing makes per cart or checkout, and the
counted use at checkout (docs/promotions.md, "Wiring")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.promotions.handlers import plain
from domain.promotions.model import Promotion, PromotionKind
from persistence.clock import aware
from persistence.database import Database, one_of_param
from persistence.tables import (
    categories,
    channels,
    products,
    promotion_channels,
    promotion_redemptions,
    promotions,
    variants,
)

_p = promotions.c


def _utc(value: datetime | None) -> datetime | None:
    # SQLite keeps the wall-clock fields only: everything is stored in UTC.
    return value.astimezone(UTC) if value is not None else None


def promotion_from(row: Any) -> Promotion:
    return Promotion(
        id=row.id,
        name=row.name,
        kind=PromotionKind(row.kind),
        value=plain(Decimal(row.value)),
        channels=frozenset(row.channels),
        coupon_code=row.coupon_code,
        usage_limit=row.usage_limit,
        times_used=row.times_used,
        starts_at=aware(row.starts_at) if row.starts_at is not None else None,
        ends_at=aware(row.ends_at) if row.ends_at is not None else None,
        min_subtotal=plain(Decimal(row.min_subtotal)) if row.min_subtotal is not None else None,
        skus=frozenset(row.skus),
        categories=frozenset(row.categories),
        buy_quantity=row.buy_quantity,
        get_quantity=row.get_quantity,
        exclusive=bool(row.exclusive),
        priority=row.priority,
        source_code=row.source_code,
    )


def in_channel(channel_code: Any) -> Any:
    """`promotions.id IN (the promotions of this channel)`; a code or a bound parameter."""
    pc = promotion_channels.c
    return _p.id.in_(
        select(pc.promotion_id)
        .join(channels, channels.c.id == pc.channel_id)
        .where(channels.c.code == channel_code)
    )


@cache
def _pricing_query(is_sqlite: bool, with_codes: bool) -> Any:
    """for_pricing's statement, built once per dialect and shape: every cart read and
    checkout runs it (binds `channel`, `moment` and, with codes, `codes`)."""
    moment = bindparam("moment", type_=_p.starts_at.type)
    live = and_(
        _p.coupon_code.is_(None),  # coupon promotions only count when their code is entered
        or_(_p.starts_at.is_(None), _p.starts_at <= moment),
        or_(_p.ends_at.is_(None), _p.ends_at > moment),
        in_channel(bindparam("channel", type_=channels.c.code.type)),
    )
    condition = or_(live, one_of_param(is_sqlite, _p.coupon_code, "codes")) if with_codes else live
    return select(promotions).where(condition).order_by(_p.id)


class SqlPromotionRepository:
    def __init__(self, conn: AsyncConnection, db: Database) -> None:
        self.conn = conn
        self.db = db

    async def add(self, promotion: Promotion, channel_ids: Mapping[str, int], at: datetime) -> int:
        p = promotion
        promotion_id: int = (
            await self.conn.execute(
                insert(promotions)
                .values(
                    name=p.name,
                    kind=p.kind.value,
                    value=p.value,
                    channels=sorted(p.channels),
                    coupon_code=p.coupon_code,
                    usage_limit=p.usage_limit,
                    times_used=0,
                    starts_at=_utc(p.starts_at),
                    ends_at=_utc(p.ends_at),
                    min_subtotal=p.min_subtotal,
                    skus=sorted(p.skus),
                    categories=sorted(p.categories),
                    buy_quantity=p.buy_quantity,
                    get_quantity=p.get_quantity,
                    exclusive=p.exclusive,
                    priority=p.priority,
                    source_code=p.source_code,
                    created_at=at,
                )
                .returning(_p.id)
            )
        ).scalar_one()
        await self.conn.execute(
            insert(promotion_channels),
            [
                {"promotion_id": promotion_id, "channel_id": channel_ids[code]}
                for code in sorted(p.channels)
            ],
        )
        return promotion_id

    async def taken_coupon_codes(self, codes: Iterable[str]) -> set[str]:
        wanted = sorted(set(codes))
        if not wanted:
            return set()
        rows = await self.conn.execute(select(_p.coupon_code).where(_p.coupon_code.in_(wanted)))
        return {row.coupon_code for row in rows}

    async def for_pricing(
        self, channel: str, at: datetime, coupon_codes: Iterable[str]
    ) -> list[Promotion]:
        codes = sorted(set(coupon_codes))
        params: dict[str, Any] = {"channel": channel, "moment": _utc(at)}
        if codes:
            params["codes"] = codes
        query = _pricing_query(self.db.is_sqlite, bool(codes))
        rows = await self.conn.execute(query, params)
        return [promotion_from(row) for row in rows]

    async def categories_of(self, skus: Iterable[str]) -> dict[str, frozenset[str]]:
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        owned = await self.conn.execute(
            select(variants.c.sku, products.c.category_id)
            .join(products, products.c.id == variants.c.product_id)
            .where(self.db.one_of(variants.c.sku, wanted))
        )
        category_of = {row.sku: row.category_id for row in owned}
        if not any(category_of.values()):
            return {sku: frozenset() for sku in category_of}
        # The category tree is small reference data: one read, walked here.
        tree = {
            row.id: (row.code, row.parent_id)
            for row in await self.conn.execute(
                select(categories.c.id, categories.c.code, categories.c.parent_id)
            )
        }
        found: dict[str, frozenset[str]] = {}
        for sku, category_id in category_of.items():
            codes: set[str] = set()
            node = category_id
            while node is not None and node in tree and tree[node][0] not in codes:
                codes.add(tree[node][0])
                node = tree[node][1]
            found[sku] = frozenset(codes)
        return found

    async def redeem(self, promotion_id: int) -> bool:
        # At READ COMMITTED a concurrent redeemer waits for this row's lock and re-checks
        # the condition on the committed counter: never more uses than the limit.
        counted = await self.conn.execute(
            update(promotions)
            .where(
                _p.id == promotion_id,
                or_(_p.usage_limit.is_(None), _p.times_used < _p.usage_limit),
            )
            .values(times_used=_p.times_used + 1)
            .returning(_p.times_used)
        )
        return counted.first() is not None

    async def record_redemptions(
        self, order_id: str, amounts: Mapping[int, Decimal], at: datetime
    ) -> None:
        if not amounts:
            return
        await self.conn.execute(
            insert(promotion_redemptions),
            [
                {"promotion_id": pid, "order_id": order_id, "amount": amount, "created_at": at}
                for pid, amount in sorted(amounts.items())
            ],
        )
