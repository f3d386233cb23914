"""Plain factory functions that create things through the public API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.tokens.model import SCOPES, ApiToken, TokenKind
from tests.conftest import Api, unique

CHANNEL = """mutation($input: ChannelInput!) { channelCreate(input: $input) {
  channel { id code currency } userErrors { field code message } } }"""
LOCATION = """mutation($input: LocationInput!) { locationCreate(input: $input) {
  location { id code kind canShip canPickup } userErrors { field code message } } }"""
PRODUCT = """mutation($input: ProductCreateInput!) { productCreate(input: $input) {
  product { id handle title variants { id sku isKit } } userErrors { field code message } } }"""
VIEW = """mutation($channel: String!, $input: InventoryViewInput!) {
  inventoryViewUpsert(channel: $channel, input: $input) {
    inventoryView { id code safetyBuffer safetyBufferPercent maxAvailable excludedSkus
      locations { code } }
    userErrors { field code message } } }"""
TOKEN = """mutation($input: ApiTokenInput!) { apiTokenCreate(input: $input) {
  token { id kind scopes channel location } secret userErrors { field code message } } }"""


def channel(api: Api, currency: str = "USD") -> str:
    code = unique("ch")
    result = api(CHANNEL, {"input": {"code": code, "name": code, "currency": currency}})
    assert result["channelCreate"]["userErrors"] == []
    return code


def location(api: Api, **overrides: Any) -> str:
    code = unique("loc")
    data = {
        "code": code,
        "name": f"Location {code}",
        "kind": "WAREHOUSE",
        "canShip": True,
        "canPickup": False,
        "geo": {"latitude": 40.7128, "longitude": -74.0060},
        **overrides,
    }
    result = api(LOCATION, {"input": data})
    assert result["locationCreate"]["userErrors"] == []
    return code


def product(
    api: Api,
    skus: int = 1,
    prices: dict[str, str] | None = None,
    kit: list[tuple[str, int]] | None = None,
) -> list[str]:
    """A product with `skus` variants priced in the given channels; returns the SKUs."""
    handle = unique("p")
    variant_skus = [unique("SKU").upper() for _ in range(skus)]
    variants: list[dict[str, Any]] = [
        {
            "sku": sku,
            "title": f"Variant {sku}",
            "prices": [{"channel": c, "amount": a} for c, a in (prices or {}).items()],
        }
        for sku in variant_skus
    ]
    if kit:
        variants[0]["kitComponents"] = [{"sku": s, "quantity": q} for s, q in kit]
    result = api(PRODUCT, {"input": {"handle": handle, "title": handle, "variants": variants}})
    assert result["productCreate"]["userErrors"] == [], result
    return variant_skus


def view(api: Api, channel_code: str, locations: list[str], **rules: Any) -> dict[str, Any]:
    result = api(
        VIEW,
        {"channel": channel_code, "input": {"code": channel_code, "locations": locations, **rules}},
    )
    assert result["inventoryViewUpsert"]["userErrors"] == [], result
    view_data: dict[str, Any] = result["inventoryViewUpsert"]["inventoryView"]
    return view_data


def token(api: Api, kind: str, scopes: list[str], **binding: str) -> str:
    result = api(
        TOKEN, {"input": {"name": unique("tok"), "kind": kind, "scopes": scopes, **binding}}
    )
    assert result["apiTokenCreate"]["userErrors"] == [], result
    secret: str = result["apiTokenCreate"]["secret"]
    return secret


# A token object as the domain sees it, for checks that need no database.
TOKEN_ADMIN_ALL = ApiToken(
    id=0,
    name="all",
    kind=TokenKind.ADMIN,
    scopes=frozenset(SCOPES),
    channel=None,
    location=None,
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)


def global_id(api: Api, kind: str, sku: str) -> str:
    """The global id of a variant or its product, as an admin reads it."""
    found = api("query($s: String!) { variant(sku: $s) { id product { id } } }", {"s": sku})
    variant: dict[str, Any] = found["variant"]
    return str(variant["id"] if kind == "Variant" else variant["product"]["id"])
