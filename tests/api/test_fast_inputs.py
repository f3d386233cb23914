"""Hot mutations on compiled plans validate exactly as through strawberry's input classes,
and compiled variable coercion yields graphql-core's values or defers to it.

inventorySet/inventoryAdjust build their domain commands straight from the coerced
variables when plans are on (resolvers/fast_inputs.py); the variables themselves are
coerced by a compiled coercer (server/execution/variables.py).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse
from graphql.execution.values import get_variable_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.tokens.model import ApiToken, TokenKind
from resolvers.context import Context
from server.app import Services, create_schema
from server.execution.variables import compile_variables
from server.settings import Settings
from tests import factories
from tests.conftest import Api, unique

SET = """mutation($updates: [InventorySetInput!]!) { inventorySet(updates: $updates) {
  applied duplicates stale clamped userErrors { field code message } } }"""
ADJUST = """mutation($updates: [InventoryAdjustInput!]!) { inventoryAdjust(updates: $updates) {
  applied duplicates stale clamped userErrors { field code message } } }"""


@pytest.fixture
def both(settings: Settings) -> Iterator[dict[bool, Any]]:
    """The same database behind a compiled schema and a graphql-core one."""
    loop = asyncio.new_event_loop()
    services = Services(settings)
    schemas = {
        compiled: create_schema(replace(settings, compiled=compiled), services.responses)
        for compiled in (True, False)
    }
    token = ApiToken(
        1, "t", TokenKind.ADMIN, frozenset({"inventory:write"}), None, None, datetime.now(UTC)
    )

    def run(compiled: bool, query: str, variables: dict[str, Any]) -> Any:
        context = Context(
            db=services.db,
            reference=services.reference,
            bus=services.bus,
            token=token,
            request_id="x",
        )
        result = loop.run_until_complete(
            schemas[compiled].execute(query, variables, context_value=context)
        )
        assert result.errors is None, result.errors
        return result.data

    try:
        yield {True: lambda q, v: run(True, q, v), False: lambda q, v: run(False, q, v)}
    finally:
        loop.run_until_complete(services.db.dispose())
        loop.close()


def test_invalid_updates_get_the_same_user_errors_by_index(api: Api, both: dict[bool, Any]) -> None:
    [sku] = factories.product(api)
    location = factories.location(api)
    now = datetime.now(UTC)
    updates = [
        {"sku": unique("NOPE"), "location": location, "onHand": 1, "asOf": now.isoformat()},
        {"sku": sku, "location": unique("NOWHERE"), "onHand": 1, "asOf": now.isoformat()},
        {"sku": sku, "location": location, "onHand": -3, "asOf": now.isoformat()},
        {"sku": sku, "location": location, "onHand": 1, "asOf": now.isoformat(), "unsellable": -1},
        {
            "sku": sku,
            "location": location,
            "onHand": 1,
            "asOf": (now + timedelta(days=2)).isoformat(),
        },
        {
            "sku": sku,
            "location": location,
            "onHand": 1,
            "asOf": "2024-01-01T00:00:00",
            "safetyStock": 2,
        },
    ]
    compiled, core = both[True](SET, {"updates": updates}), both[False](SET, {"updates": updates})
    assert compiled == core
    indexes = sorted(e["field"][1] for e in compiled["inventorySet"]["userErrors"])
    assert indexes == ["0", "1", "2", "3", "4", "5"]
    adjustments = [
        {"sku": sku, "location": location, "delta": 0, "reason": "count", "eventId": unique("e")},
        {"sku": unique("NOPE"), "location": location, "delta": 1, "reason": "", "eventId": ""},
    ]
    assert both[True](ADJUST, {"updates": adjustments}) == both[False](
        ADJUST, {"updates": adjustments}
    )


OPERATIONS = {
    "set": SET,
    "adjust": ADJUST,
    "product": "mutation($i: ProductCreateInput!) { productCreate(input: $i) { userErrors { code } } }",
    "query": """query($c: String, $f: Int = 3, $n: GeoPointInput, $k: [LocationKind!]) {
      products(channel: $c, first: $f) { totalCount }
      availability(channel: "w", skus: [], near: $n) { sku } }""",
}
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**33), 2**33),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(["2024-01-01T00:00:00Z", "2024-02-30T00:00:00Z", "9.99", "WAREHOUSE", "x"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "sku",
                    "location",
                    "onHand",
                    "asOf",
                    "unsellable",
                    "safetyStock",
                    "delta",
                    "reason",
                    "eventId",
                    "handle",
                    "title",
                    "variants",
                    "prices",
                    "channel",
                    "amount",
                    "unitCost",
                    "latitude",
                    "longitude",
                    "other",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    name=st.sampled_from(sorted(OPERATIONS)),
    variables=st.dictionaries(
        st.sampled_from(["updates", "i", "c", "f", "n", "k", "x"]), values, max_size=4
    ),
)
def test_compiled_coercion_matches_graphql_core_or_defers(
    name: str, variables: dict[str, Any]
) -> None:
    schema = _graphql_schema()
    operation = parse(OPERATIONS[name]).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    coercer = compile_variables(schema, operation)
    assert coercer is not None
    fast = coercer(variables)
    if fast is None:
        return  # graphql-core coerces (and reports)
    core = get_variable_values(schema, operation.variable_definitions or (), variables)
    assert not isinstance(core, list), core
    assert fast.coerced == core.coerced
    assert [list(v) for v in fast.coerced.values() if isinstance(v, dict)] == [
        list(v) for v in core.coerced.values() if isinstance(v, dict)
    ]
    assert {k: s.value for k, s in fast.sources.items()} == {
        k: s.value for k, s in core.sources.items()
    }


def test_compiled_coercion_takes_the_common_batch() -> None:
    schema = _graphql_schema()
    operation = parse(SET).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    coercer = compile_variables(schema, operation)
    assert coercer is not None
    as_of = datetime.now(UTC).isoformat()
    batch = {
        "updates": [
            {"sku": f"S{i}", "location": "L", "onHand": i, "asOf": as_of} for i in range(50)
        ]
    }
    fast = coercer(batch)
    assert fast is not None
    core = get_variable_values(schema, operation.variable_definitions or (), batch)
    assert not isinstance(core, list)
    assert fast.coerced == core.coerced


@functools.cache
def _graphql_schema() -> Any:
    from server.response_cache import ResponseCache

    schema: Any = create_schema(Settings(), ResponseCache(0))
    return schema._schema
