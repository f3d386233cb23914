"""Rows to domain objects."""

from __future__ import annotations

from typing import Any

from domain.catalog.model import Category, Channel, KitComponent, Product, Variant
from domain.locations.model import Address, GeoPoint, Location, LocationKind
from domain.tokens.model import ApiToken, TokenKind


def channel(row: Any) -> Channel:
    return Channel(row.id, row.code, row.name, row.currency)


def category(row: Any) -> Category:
    return Category(row.id, row.code, row.name, row.parent_id)


def product(row: Any) -> Product:
    return Product(row.id, row.handle, row.title, row.description, row.category_id)


def variant(row: Any) -> Variant:
    return Variant(row.id, row.product_id, row.sku, row.title, row.unit_cost, bool(row.is_kit))


def kit_component(row: Any) -> KitComponent:
    return KitComponent(row.kit_id, row.component_id, row.quantity)


def location(row: Any) -> Location:
    geo = None
    if row.latitude is not None and row.longitude is not None:
        geo = GeoPoint(row.latitude, row.longitude)
    return Location(
        id=row.id,
        code=row.code,
        name=row.name,
        kind=LocationKind(row.kind),
        geo=geo,
        can_ship=bool(row.can_ship),
        can_pickup=bool(row.can_pickup),
        daily_capacity=row.daily_capacity,
        open_fulfillments=row.open_fulfillments,
        address=_address(row.address),
        accepts_returns=getattr(row, "accepts_returns", None),
    )


def _address(data: dict[str, Any] | None) -> Address | None:
    if not data:
        return None
    geo = data.get("geo")
    return Address(**{**data, "geo": GeoPoint(**geo) if geo else None})


def api_token(row: Any, channel_code: str | None, location_code: str | None) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        kind=TokenKind(row.kind),
        scopes=frozenset(s for s in row.scopes.split(" ") if s),
        channel=channel_code,
        location=location_code,
        created_at=row.created_at,
        customer=row.customer_email,
        revoked_at=row.revoked_at,
    )
