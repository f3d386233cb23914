"""Hostile inputs, generated from the served schema, sent to every mutation: never INTERNAL,
and a refused request changes nothing.

Values mix the real (codes that exist, so requests get past lookups to storage) with the
hostile (NUL, unpaired surrogates, lengths around each column's width, NaN and 1e1000000,
Int extremes, years 1 and 9999 with +14:00). The default budget keeps `make test` quick;
ORCHESTRA_FUZZ_EXAMPLES=2000 runs a long search (see bench/README.md).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from domain.validation import MAX_INT, MAX_QUANTITY
from tests import factories
from tests.api.test_availability import stock
from tests.conftest import Api, unique
from tests.state import fingerprint

EXAMPLES = int(os.environ.get("ORCHESTRA_FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE_TEXT = st.one_of(
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "x\udfff", "\ufeff", "%", "_", "\\"]),
    st.integers(0, 3).map(lambda i: "a" * (63, 65, 201, 501)[i]),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=20),
)
HOSTILE_INT = st.one_of(
    st.sampled_from([0, -1, 1, MAX_QUANTITY, MAX_QUANTITY + 1, MAX_INT, -MAX_INT - 1]),
    st.integers(-(2**31), 2**31 - 1),
)
HOSTILE_DECIMAL = st.one_of(
    st.sampled_from(
        [
            *("NaN", "sNaN", "Infinity", "-Infinity", "1e1000000", "1e-1000000", "-0", "-1"),
            *("0.00001", "1e14", "99999999999999.9999", "12.50", "not a number"),
        ]
    ),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
)
HOSTILE_DATETIME = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00Z",
            "2999-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "yesterday",
        ]
    ),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)
HOSTILE_DATE = st.sampled_from(["0001-01-01", "9999-12-31", "2099-06-30", "2000-02-30", "x"])


class Generator:
    """Strategies for a mutation's arguments, from its GraphQL input types."""

    def __init__(self, known: dict[str, list[str]]) -> None:
        self.known = known

    def argument(self, name: str, type_: GraphQLInputType) -> st.SearchStrategy[Any]:
        if isinstance(type_, GraphQLNonNull):
            return self._value(name, type_.of_type)
        return st.one_of(st.none(), self._value(name, type_))

    def _value(self, name: str, type_: GraphQLInputType) -> st.SearchStrategy[Any]:
        if isinstance(type_, GraphQLList):
            return st.lists(self.argument(name, type_.of_type), max_size=3)
        if isinstance(type_, GraphQLInputObjectType):
            return st.fixed_dictionaries(
                {
                    field_name: self.argument(field_name, field.type)
                    for field_name, field in type_.fields.items()
                    if isinstance(field.type, GraphQLNonNull)
                },
                optional={
                    field_name: self.argument(field_name, field.type)
                    for field_name, field in type_.fields.items()
                    if not isinstance(field.type, GraphQLNonNull)
                },
            )
        if isinstance(type_, GraphQLEnumType):
            return st.sampled_from(list(type_.values))
        assert isinstance(type_, GraphQLScalarType), type_
        return self._scalar(name, type_.name)

    def _scalar(self, name: str, scalar: str) -> st.SearchStrategy[Any]:
        if scalar in ("String", "ID"):
            known = self.known.get(name.removesuffix("s"), [])
            return st.one_of(st.sampled_from(known), HOSTILE_TEXT) if known else HOSTILE_TEXT
        return {
            "Int": HOSTILE_INT,
            "Float": st.floats(allow_nan=False, allow_infinity=False, width=32),
            "Boolean": st.booleans(),
            "Decimal": HOSTILE_DECIMAL,
            "DateTime": HOSTILE_DATETIME,
            "Date": HOSTILE_DATE,
        }[scalar]


def document(name: str, field: GraphQLField) -> str:
    """`mutation($a: T!) { name(a: $a) { __typename userErrors { field code message } } }`"""
    variables = ", ".join(f"${arg}: {type_.type}" for arg, type_ in field.args.items())
    arguments = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    payload = get_named_type(field.type)
    assert isinstance(payload, GraphQLObjectType)
    selection = ["__typename"]
    if "userErrors" in payload.fields:
        selection.append("userErrors { field code message }")
    selection += [name for name in PROCESSED if name in payload.fields]
    return f"mutation({variables}) {{ {name}({arguments}) {{ {' '.join(selection)} }} }}"


# Batch outcomes other than an error: applied, or processed idempotently (a replayed
# eventId, an older count), which may touch the position it names.
PROCESSED = ("applied", "duplicates", "stale")


def refused(payload: dict[str, Any]) -> bool:
    """Nothing of it may have been applied: errors, and no object or update processed."""
    if not payload.get("userErrors"):
        return False
    if any(payload.get(name) for name in PROCESSED):
        return False
    scalars = {"__typename", "userErrors", *PROCESSED}
    return all(value is None for key, value in payload.items() if key not in scalars)


SCHEMA: Any = None
ORDER_PLACE = """mutation($input: OrderPlaceInput!) { orderPlace(input: $input) {
  order { id lines { id } fulfillments { id } } userErrors { field code } } }"""


@pytest.fixture(scope="module")
def generator(api: Api, client: TestClient) -> Generator:
    global SCHEMA
    SCHEMA = client.app.routes[0].endpoint.schema._schema  # type: ignore[attr-defined]
    channel = factories.channel(api)
    location = factories.location(api)
    skus = factories.product(api, skus=2, prices={channel: "10"})
    factories.view(api, channel, [location])
    stock(api, skus[0], {location: 50})
    # An order, so that operations on orders reach their rules, not only NOT_FOUND.
    order = api(
        ORDER_PLACE,
        {
            "input": {
                "channel": channel,
                "lines": [{"sku": skus[0], "quantity": 3}],
                "shippingAddress": {
                    "line1": "1 Main St",
                    "city": "Boston",
                    "postalCode": "02101",
                    "country": "US",
                },
                "deliveryOption": "standard",
                "payment": {"gateway": "test", "token": "tok_ok"},
            }
        },
    )["orderPlace"]["order"]
    victim = api(  # a token the fuzzer may really revoke (never the admin's own)
        factories.TOKEN,
        {"input": {"name": unique("victim"), "kind": "admin", "scopes": ["catalog:read"]}},
    )["apiTokenCreate"]["token"]["id"]
    return Generator(
        {
            "sku": skus,
            "location": [location],
            "channel": [channel],
            "category": [],
            "currency": ["USD", "EUR", "usd", "XXX"],
            "kind": ["admin", "storefront", "partner", "customer"],
            "scope": ["catalog:read", "inventory:write", "finance:read"],
            "eventId": [unique("e")],
            # ...and an id past Int
            "id": [victim, "QXBpVG9rZW46OTk5OTk5OTk5OTk5OTk5OTk5OQ", order["id"]]
            + [f["id"] for f in order["fulfillments"]],
            "orderId": [order["id"]],
            "lineId": [line["id"] for line in order["lines"]],
            "orderLineId": [line["id"] for line in order["lines"]],
            "carrier": ["UPS"],
            "pickupCode": ["123456"],
        }
    )


MUTATIONS = [
    "productCreate",
    "channelCreate",
    "categoryCreate",
    "locationCreate",
    "inventoryViewUpsert",
    "inventorySet",
    "inventoryAdjust",
    "incomingSupplyAdd",
    "apiTokenCreate",
    "apiTokenRevoke",
    # Orders (orders-core)
    "cartCreate",
    "cartLinesAdd",
    "cartLineUpdate",
    "cartShippingAddressSet",
    "cartCouponApply",
    "cartReserve",
    "cartComplete",
    "orderPlace",
    "channelOrderSettingsSet",
    # Operations on placed orders (orders-ops)
    "orderCancel",
    "orderLineCancel",
    "orderShippingAddressUpdate",
    "orderHold",
    "orderRelease",
    "orderAppease",
    "fulfillmentAccept",
    "fulfillmentReject",
    "fulfillmentPick",
    "fulfillmentPack",
    "fulfillmentShip",
    "fulfillmentReadyForPickup",
    "fulfillmentPickedUp",
    "fulfillmentPickupCodeReissue",
    # Returns
    "returnCreate",
    "returnReceive",
    "returnRefund",
    # Promotions
    "promotionCreate",
    "cartCouponRemove",
]


def test_every_mutation_is_fuzzed() -> None:
    from schema.root import build_schema

    served = set(build_schema()._schema.mutation_type.fields)  # type: ignore[union-attr]
    # inventoryUpload takes a file, fuzzed in test_uploaded_files_never_fault below.
    assert served == {*MUTATIONS, "inventoryUpload"}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_hostile_inputs_never_fault_and_refusals_change_nothing(
    mutation: str, generator: Generator, client: TestClient, admin_secret: str
) -> None:
    field = SCHEMA.mutation_type.fields[mutation]
    query = document(mutation, field)
    arguments = st.fixed_dictionaries(
        {arg: generator.argument(arg, type_.type) for arg, type_ in field.args.items()}
    )

    @FUZZ
    @given(variables=arguments)
    def run(variables: dict[str, Any]) -> None:
        before = fingerprint(client)
        response = client.post(
            "/graphql",
            content=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Authorization": f"Bearer {admin_secret}", "Content-Type": "application/json"},
        )
        assert response.status_code in (200, 400), response.text
        body = response.json()
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
        assert "INTERNAL" not in codes, (variables, body)
        payload = (body.get("data") or {}).get(mutation)
        if payload is None or refused(payload):
            assert fingerprint(client) == before, (variables, body)

    run()


CSV_LINE = st.lists(
    st.one_of(HOSTILE_TEXT, HOSTILE_DATETIME, HOSTILE_INT.map(str)), min_size=1, max_size=5
).map(lambda cells: ",".join(cells))


@FUZZ
@given(lines=st.lists(CSV_LINE, max_size=4), header=st.booleans())
def test_uploaded_files_never_fault(
    lines: list[str], header: bool, client: TestClient, admin_secret: str
) -> None:
    content = "\n".join((["sku,location,on_hand,as_of"] if header else []) + lines)
    response = client.post(
        "/graphql",
        data={
            "operations": json.dumps(
                {
                    "query": "mutation($f: Upload!) { inventoryUpload(file: $f) { applied "
                    "userErrors { field code } } }",
                    "variables": {"f": None},
                }
            ),
            "map": json.dumps({"0": ["variables.f"]}),
        },
        files={"0": ("c.csv", content.encode("utf-8", "surrogatepass"), "text/csv")},
        headers={"Authorization": f"Bearer {admin_secret}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, (content, body)
