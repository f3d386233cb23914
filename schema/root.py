"""The Schema object, composed from each area's Query, Mutation and Subscription parts.

Each area (schema/catalog.py, schema/inventory.py, …) owns its root fields and declares
their policies beside them; this module only merges the parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from graphql import (
    DirectiveLocation,
    GraphQLDeprecatedDirective,
    GraphQLDirective,
    GraphQLSchema,
)
from strawberry.scalars import JSON
from strawberry.tools import merge_types

from resolvers import node
from resolvers.pagination import MAX_PAGE
from schema.carts import Cart, CartMutation, CartQuery
from schema.catalog import CatalogMutation, CatalogQuery, Channel, Product, Variant
from schema.common import Info, Node
from schema.finance import FinanceQuery, JournalEntry
from schema.inventory import (
    InventoryMutation,
    InventoryQuery,
    InventorySubscription,
    InventoryView,
)
from schema.locations import Location, LocationsMutation, LocationsQuery
from schema.order_events import OrdersSubscription
from schema.order_ops import FulfillmentOpsMutation, OrderCareMutation
from schema.orders import (
    Customer,
    Fulfillment,
    Order,
    OrdersMutation,
    OrdersQuery,
)
from schema.policy import AUTHENTICATED, PUBLIC, guard
from schema.promotions import Promotion, PromotionsMutation, PromotionsQuery
from schema.reports import ReportsQuery
from schema.returns import Return, ReturnsMutation
from schema.tokens import TokensMutation, TokensQuery


@guard(node=AUTHENTICATED, apiLimits=PUBLIC)
@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global ID; null when it does not exist or this token "
        "may not see it."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await node.node(info.context, info, id)  # type: ignore[no-any-return]

    @strawberry.field(description="Limits this server applies to queries.")
    def api_limits(self) -> JSON:
        return {"maxPageSize": MAX_PAGE}  # type: ignore[return-value]


Query = merge_types(
    "Query",
    (
        NodeQuery,
        CatalogQuery,
        LocationsQuery,
        InventoryQuery,
        TokensQuery,
        CartQuery,
        OrdersQuery,
        FinanceQuery,
        PromotionsQuery,
        ReportsQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        CatalogMutation,
        LocationsMutation,
        InventoryMutation,
        TokensMutation,
        CartMutation,
        OrdersMutation,
        OrderCareMutation,
        FulfillmentOpsMutation,
        ReturnsMutation,
        PromotionsMutation,
    ),
)
Subscription = merge_types("Subscription", (InventorySubscription, OrdersSubscription))


def build_schema(
    extensions: Sequence[Any] = (),
) -> strawberry.Schema:
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            InventoryView,
            Location,
            Product,
            Variant,
            Channel,
            Cart,
            Order,
            Fulfillment,
            Customer,
            JournalEntry,
            Return,
            Promotion,
        ],
        extensions=list(extensions),
    )
    _serve_released_directives(schema._schema)
    return schema


def _serve_released_directives(schema: GraphQLSchema) -> None:
    """Advertise `@deprecated` with the locations of the released GraphQL spec.

    graphql-core 3.3 adds DIRECTIVE_DEFINITION (a draft-spec location) to `@deprecated`;
    clients built on graphql-core 3.2 — Python's `gql`, our own contract checker — refuse
    the whole introspection result when they meet a location they do not know. Orchestra
    deprecates no directive, so dropping the location changes nothing else."""
    released = tuple(
        location
        for location in GraphQLDeprecatedDirective.locations
        if location is not DirectiveLocation.DIRECTIVE_DEFINITION
    )
    if released == tuple(GraphQLDeprecatedDirective.locations):
        return
    deprecated = GraphQLDirective(
        name=GraphQLDeprecatedDirective.name,
        locations=released,
        args=GraphQLDeprecatedDirective.args,
        description=GraphQLDeprecatedDirective.description,
        is_repeatable=GraphQLDeprecatedDirective.is_repeatable,
    )
    schema.directives = tuple(
        deprecated if directive is GraphQLDeprecatedDirective else directive
        for directive in schema.directives
    )
