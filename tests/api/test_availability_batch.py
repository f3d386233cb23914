"""Variant.availability batches across channels; each key answers for its own channel."""

from __future__ import annotations

from tests import factories
from tests.conftest import Api

QUERY = """query($a: String!, $b: String!) {
  bad: variant(sku: $a) { sku availability(channel: "no-such-channel") { available } }
  good: variant(sku: $b) { sku availability(channel: %s) { channel available } } }"""


def test_an_unknown_channel_fails_only_its_own_fields(api: Api) -> None:
    channel = factories.channel(api)
    first, second = factories.product(api, skus=2)
    # Both variants load in one batch, so both availability loads share one too.
    body = api.raw(QUERY % f'"{channel}"', {"a": first, "b": second})
    assert body["data"]["good"]["availability"] == {"channel": channel, "available": 0}
    assert body["data"]["bad"] is None  # availability is non-null: the error nulls its parent
    [error] = body["errors"]
    assert error["path"] == ["bad", "availability"]
    assert error["extensions"]["code"] == "NOT_FOUND"
