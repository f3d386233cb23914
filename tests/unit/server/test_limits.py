"""The measure of a document: linear in its size, and costs that fail closed."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import parse

from resolvers.pagination import MAX_PAGE
from schema.root import build_schema
from server.costs import COSTS, DEFAULT_RESOLVER, STATEMENT, cost_table
from server.limits import Analyzer, Measure

SCHEMA = build_schema()._schema


def bomb(levels: int) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "{ ...F0 }\n" + "\n".join(fragments) + f"\nfragment F{levels} on Query {{ apiLimits }}"


class CountingAnalyzer(Analyzer):
    walked = 0

    def _selections(self, *args: Any) -> tuple[int, int, int, int]:
        CountingAnalyzer.walked += 1
        return super()._selections(*args)


def selection_sets_walked(document: str) -> tuple[int, Measure]:
    CountingAnalyzer.walked = 0
    [measure] = CountingAnalyzer(SCHEMA, parse(document)).operations().values()
    return CountingAnalyzer.walked, measure


def test_each_fragment_is_measured_once_however_often_it_is_spread() -> None:
    walked_10, measure_10 = selection_sets_walked(bomb(10))
    walked_40, measure_40 = selection_sets_walked(bomb(40))
    assert measure_10.cost == 2**10
    assert measure_40.cost == 2**40  # the figure of the expansion, without expanding
    # The operation, each of the 11 fragments once, and the leaf field's empty selection.
    assert walked_10 == 13
    assert walked_40 - walked_10 == 30  # one more walk per fragment added


def test_cycles_end_the_walk_and_are_left_to_validation() -> None:
    document = "{ ...A } fragment A on Query { ...B apiLimits } fragment B on Query { ...A }"
    assert Analyzer(SCHEMA, parse(document)).operations() == {None: Measure(1, 1, 0)}


def test_every_declared_cost_names_a_served_field() -> None:
    for coordinate in COSTS:
        type_name, _, field = coordinate.partition(".")
        if type_name == "*":
            continue
        assert field in SCHEMA.type_map[type_name].fields, coordinate  # type: ignore[attr-defined]


@strawberry.type
class Thing:
    name: str

    @strawberry.field
    async def secret_sql(self) -> int:
        return 0


@strawberry.type
class ThingQuery:
    @strawberry.field
    def things(self) -> list[Thing]:
        return []


def test_a_resolver_without_a_declared_cost_is_charged_a_statement_per_item() -> None:
    schema = strawberry.Schema(query=ThingQuery)._schema
    table = cost_table(schema)
    assert table.cost("Thing", "secretSql") is DEFAULT_RESOLVER
    assert table.cost("ThingQuery", "things") is DEFAULT_RESOLVER
    assert table.cost("Thing", "name").each == 1  # plain attributes cost one
    [measure] = Analyzer(schema, parse("{ things { name secretSql } }")).operations().values()
    # things: undeclared resolver + 10 estimated items, each a name and a statement.
    assert measure.cost == STATEMENT + 10 * (1 + STATEMENT)


def test_big_integer_literals_do_not_break_the_measure() -> None:
    document = "{ products(first: " + "9" * 5000 + ") { edges { cursor } } }"
    [measure] = Analyzer(SCHEMA, parse(document)).operations().values()
    assert measure.cost == COSTS["Query.products"].each + 1 + MAX_PAGE  # edges, cursors
