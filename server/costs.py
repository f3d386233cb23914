"""What each field costs to resolve, declared in one place (see docs/limits.md).

Units: one unit is one field resolved in memory (~5-10 us of a worker). A SQL statement
costs STATEMENT units, so the per-query limit bounds statements and time together.

A field's cost has two parts: `each`, paid for every instance resolved (a field under a
list of 20 is paid 20 times), and `batch`, paid once per field in the document, for work a
dataloader or a prefetch does in one statement whatever the list length. A field that has
a resolver but is not declared here fails closed: it is charged DEFAULT_RESOLVER, one
statement per instance, until someone declares what it really does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    get_nullable_type,
    is_list_type,
)

# One SQL round trip on a pooled connection (checkout, statement, release), measured at
# ~0.5-1 ms against ~5-10 us per in-memory field (bench/hostile.py prints both).
STATEMENT = 200
# A list without a declared size is assumed to hold this many items.
LIST_ESTIMATE = 10


@dataclass(frozen=True, slots=True)
class FieldCost:
    each: int = 1
    batch: int = 0
    # An argument whose list length multiplies `per_item` (e.g. inventorySet's updates).
    per_item_of: str | None = None
    per_item: int = 0
    # An argument whose list length is the length of the list this field returns.
    items_of: str | None = None


ATTRIBUTE = FieldCost()  # a value already loaded with its parent
REFERENCE = FieldCost(each=2)  # a lookup in the per-request reference data
LOADER = FieldCost(each=2, batch=STATEMENT)  # one batched statement for the whole level
DEFAULT_RESOLVER = FieldCost(each=STATEMENT)  # undeclared: a statement per instance
MUTATION = FieldCost(each=10 * STATEMENT)  # one transaction of a few statements

COSTS: dict[str, FieldCost] = {
    # Global IDs are encoded from the parent's key ("*" stands for every type).
    "*.id": ATTRIBUTE,
    # Computed from the parent, no I/O.
    "InventoryPosition.onHand": ATTRIBUTE,
    "InventoryPosition.allocated": ATTRIBUTE,
    "InventoryPosition.reserved": ATTRIBUTE,
    "InventoryPosition.safetyStock": ATTRIBUTE,
    "InventoryPosition.unsellable": ATTRIBUTE,
    "InventoryView.excludedSkus": ATTRIBUTE,
    "InventoryView.excludedLocationKinds": ATTRIBUTE,
    "ApiToken.kind": ATTRIBUTE,
    "ApiToken.scopes": ATTRIBUTE,
    "InventoryUpdateResult.userErrors": ATTRIBUTE,
    # Roots.
    "Query.node": LOADER,
    "Query.channels": REFERENCE,
    "Query.products": FieldCost(each=3 * STATEMENT),  # page, then variants and prices
    "Query.product": LOADER,
    "Query.variant": LOADER,
    "Query.locations": FieldCost(each=STATEMENT),
    "Query.inventoryPositions": FieldCost(each=STATEMENT),
    "Query.availability": FieldCost(each=3 * STATEMENT, items_of="skus"),
    "Query.viewer": ATTRIBUTE,
    "Query.apiLimits": ATTRIBUTE,
    # Counting is a statement of its own for every connection that asks for it.
    "ProductConnection.totalCount": FieldCost(each=STATEMENT),
    "InventoryPositionConnection.totalCount": FieldCost(each=STATEMENT),
    "LocationConnection.totalCount": FieldCost(each=STATEMENT),
    # Nested fields: prefetched by the list, batched by a dataloader, or reference data.
    "Product.category": LOADER,
    "Product.variants": LOADER,
    "Variant.product": LOADER,
    "Variant.price": LOADER,
    "Variant.kitComponents": LOADER,
    "Variant.availability": FieldCost(each=5, batch=3 * STATEMENT),
    "KitComponent.variant": LOADER,
    "Category.parent": LOADER,
    "Channel.inventoryView": REFERENCE,
    "InventoryPosition.location": REFERENCE,
    "InventoryPosition.incoming": LOADER,
    "InventoryView.locations": REFERENCE,
    "IncomingSupply.location": REFERENCE,
    # Mutations: a transaction each; batches pay per update as well.
    "Mutation.productCreate": FieldCost(each=10 * STATEMENT),
    "Mutation.channelCreate": MUTATION,
    "Mutation.categoryCreate": MUTATION,
    "Mutation.locationCreate": MUTATION,
    "Mutation.inventoryViewUpsert": FieldCost(each=25 * STATEMENT),  # rebuilds channel ATP
    "Mutation.inventorySet": FieldCost(each=10 * STATEMENT, per_item_of="updates", per_item=2),
    "Mutation.inventoryAdjust": FieldCost(each=10 * STATEMENT, per_item_of="updates", per_item=2),
    # A file of any length, applied in batches: the upload's own size limit bounds it.
    "Mutation.inventoryUpload": FieldCost(each=40 * STATEMENT),
    "Mutation.incomingSupplyAdd": MUTATION,
    "Mutation.apiTokenCreate": MUTATION,
    "Subscription.availabilityChanged": FieldCost(each=5 * STATEMENT),
    # Orders: the order row, its parts batched by order id (resolvers/loaders.py).
    "Query.order": LOADER,
    "Query.orders": FieldCost(each=2 * STATEMENT),  # the page, then its parts per level
    "Query.customer": LOADER,
    "OrderConnection.totalCount": FieldCost(each=STATEMENT),
    "Order.channel": REFERENCE,
    "Order.customer": LOADER,
    "Order.lines": LOADER,
    "Order.fulfillments": LOADER,
    "Order.payments": LOADER,
    "Order.history": LOADER,
    "Order.returns": ATTRIBUTE,  # empty until returns are wired
    "Order.status": ATTRIBUTE,
    "Order.email": ATTRIBUTE,
    "Order.couponCodes": ATTRIBUTE,
    "Order.shippingAddress": ATTRIBUTE,
    "Order.subtotal": ATTRIBUTE,
    "Order.discountTotal": ATTRIBUTE,
    "Order.shippingTotal": ATTRIBUTE,
    "Order.taxTotal": ATTRIBUTE,
    "Order.total": ATTRIBUTE,
    "OrderLine.variant": LOADER,
    "OrderLine.sku": ATTRIBUTE,
    "OrderLine.quantity": ATTRIBUTE,
    "OrderLine.quantityCancelled": ATTRIBUTE,
    "OrderLine.quantityShipped": ATTRIBUTE,
    "OrderLine.quantityReturned": ATTRIBUTE,
    "OrderLine.unitPrice": ATTRIBUTE,
    "OrderLine.discount": ATTRIBUTE,
    "OrderLine.total": ATTRIBUTE,
    "OrderLine.tax": ATTRIBUTE,
    "OrderLine.method": ATTRIBUTE,
    "Fulfillment.order": LOADER,
    "Fulfillment.location": REFERENCE,
    "Fulfillment.status": ATTRIBUTE,
    "Fulfillment.method": ATTRIBUTE,
    "Fulfillment.lines": ATTRIBUTE,
    "Fulfillment.carrier": ATTRIBUTE,
    "Fulfillment.trackingNumber": ATTRIBUTE,
    "Fulfillment.pickupCode": ATTRIBUTE,
    "Fulfillment.createdAt": ATTRIBUTE,
    "Fulfillment.updatedAt": ATTRIBUTE,
    "Payment.status": ATTRIBUTE,
    "Payment.authorized": ATTRIBUTE,
    "Payment.captured": ATTRIBUTE,
    "Payment.refunded": ATTRIBUTE,
    "Customer.orders": FieldCost(each=2 * STATEMENT),  # a page per customer
    "Customer.returns": ATTRIBUTE,
    # Operations on placed orders: one transaction (order, positions, maybe a gateway call);
    # a reject also re-sources over the channel's stock.
    "Mutation.fulfillmentAccept": MUTATION,
    "Mutation.fulfillmentReject": FieldCost(each=20 * STATEMENT),
    "Mutation.fulfillmentPick": MUTATION,
    "Mutation.fulfillmentPack": MUTATION,
    "Mutation.fulfillmentShip": MUTATION,
    "Mutation.fulfillmentReadyForPickup": MUTATION,
    "Mutation.fulfillmentPickedUp": MUTATION,
    "Mutation.fulfillmentPickupCodeReissue": MUTATION,
    "Mutation.orderCancel": MUTATION,
    "Mutation.orderLineCancel": MUTATION,
    "Mutation.orderShippingAddressUpdate": MUTATION,
    "Mutation.orderHold": MUTATION,
    "Mutation.orderRelease": MUTATION,
    "Mutation.orderAppease": MUTATION,
    # Order feeds: the event carries what the filter needs; the order row is read once per
    # event and worker, the fulfillment by a loader per event.
    "Subscription.orderStatusChanged": FieldCost(each=5 * STATEMENT),
    "Subscription.fulfillmentChanged": FieldCost(each=5 * STATEMENT),
    "OrderStatusEvent.order": ATTRIBUTE,
    "FulfillmentEvent.fulfillment": ATTRIBUTE,
    # Finance: a page of entries with their lines is one statement (persistence/reads/
    # ledger.py), the trial balance one GROUP BY; the rest is read with its parent.
    "Query.journalEntries": FieldCost(each=STATEMENT),
    "Query.trialBalance": FieldCost(each=STATEMENT),
    "JournalEntryConnection.totalCount": FieldCost(each=STATEMENT),
    "JournalEntry.at": ATTRIBUTE,
    "JournalEntry.event": ATTRIBUTE,
    "JournalEntry.reference": ATTRIBUTE,
    "JournalEntry.memo": ATTRIBUTE,
    "JournalEntry.reverses": ATTRIBUTE,
    "JournalEntry.lines": ATTRIBUTE,
    "JournalLine.account": ATTRIBUTE,
    "JournalLine.accountNumber": ATTRIBUTE,
    "JournalLine.accountTitle": ATTRIBUTE,
    "JournalLine.debit": ATTRIBUTE,
    "JournalLine.credit": ATTRIBUTE,
    "JournalLine.currency": ATTRIBUTE,
    "TrialBalance.currency": ATTRIBUTE,
    "TrialBalance.rows": ATTRIBUTE,
    "TrialBalance.totalDebit": ATTRIBUTE,
    "TrialBalance.totalCredit": ATTRIBUTE,
    "TrialBalanceRow.account": ATTRIBUTE,
    "TrialBalanceRow.accountNumber": ATTRIBUTE,
    "TrialBalanceRow.debit": ATTRIBUTE,
    "TrialBalanceRow.credit": ATTRIBUTE,
    "TrialBalanceRow.balance": ATTRIBUTE,
    # Reports (docs/reports.md): one aggregate statement each over up to a year of orders,
    # tens of milliseconds on 100,000 orders: charged as a heavy write, so a document holds
    # only a few. Row fields are computed from the row.
    "Query.salesReport": FieldCost(each=25 * STATEMENT),
    "Query.returnsRateReport": FieldCost(each=25 * STATEMENT),
    "Query.fillRateReport": FieldCost(each=25 * STATEMENT),
    "Query.orderToShipmentReport": FieldCost(each=25 * STATEMENT),
    "Query.ordersAtRisk": FieldCost(each=5 * STATEMENT),
    "SalesReportRow.subtotal": ATTRIBUTE,
    "SalesReportRow.discountTotal": ATTRIBUTE,
    "SalesReportRow.shippingTotal": ATTRIBUTE,
    "SalesReportRow.taxTotal": ATTRIBUTE,
    "SalesReportRow.total": ATTRIBUTE,
    "SalesReportRow.cancelledTotal": ATTRIBUTE,
    "SalesReportRow.netTotal": ATTRIBUTE,
    "SalesReportRow.averageOrderValue": ATTRIBUTE,
    "ReturnsRateRow.returnsRate": ATTRIBUTE,
    "FillRateRow.unitsOpen": ATTRIBUTE,
    "FillRateRow.fillRate": ATTRIBUTE,
    "FillRateRow.orderFillRate": ATTRIBUTE,
}


@dataclass(frozen=True, slots=True)
class CostTable:
    """Per-field costs of one schema, and the list sizes of its introspection types."""

    fields: dict[tuple[str, str], FieldCost]
    introspection_lists: dict[tuple[str, str], int]

    def cost(self, parent: str, field: str) -> FieldCost:
        return self.fields.get((parent, field), ATTRIBUTE)


def _has_resolver(field: GraphQLField) -> bool:
    definition: Any = (field.extensions or {}).get("strawberry-definition")
    return definition is not None and definition.base_resolver is not None


@lru_cache(maxsize=8)
def cost_table(schema: GraphQLSchema) -> CostTable:
    """Declared costs, the conservative default for undeclared resolvers, and interface
    fields at the dearest of their implementations."""
    fields: dict[tuple[str, str], FieldCost] = {}
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(named, GraphQLObjectType):
            continue
        for name, field in named.fields.items():
            declared = COSTS.get(f"{type_name}.{name}") or COSTS.get(f"*.{name}")
            if declared is not None:
                fields[(type_name, name)] = declared
            elif _has_resolver(field):
                fields[(type_name, name)] = DEFAULT_RESOLVER
    for type_name, named in schema.type_map.items():
        if isinstance(named, GraphQLInterfaceType):
            for name in named.fields:
                costs = [
                    fields.get((impl.name, name), ATTRIBUTE)
                    for impl in schema.get_possible_types(named)
                ]
                fields[(type_name, name)] = max(costs, key=lambda c: (c.each, c.batch))
    return CostTable(fields, _introspection_lists(schema))


def _introspection_lists(schema: GraphQLSchema) -> dict[tuple[str, str], int]:
    """Introspection resolves from memory, but its lists are as long as the schema is
    wide: use the schema's own averages so an alias or nesting flood costs what it does."""
    types = list(schema.type_map.values())
    with_fields = [t for t in types if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)]
    field_count = sum(len(t.fields) for t in with_fields)
    arg_count = sum(len(f.args) for t in with_fields for f in t.fields.values())
    input_fields = sum(len(t.fields) for t in types if isinstance(t, GraphQLInputObjectType))
    enum_values = sum(len(getattr(t, "values", {}) or {}) for t in types)
    interfaces = sum(len(getattr(t, "interfaces", ()) or ()) for t in types)
    directive_args = sum(len(d.args) for d in schema.directives)

    def per(total: int, parents: int) -> int:
        # The nearest whole average (at least 1): rounding up overcharged every nested level
        # by up to one item per parent, so a schema a few fields wider made graphql-core's
        # own full introspection query cost a third more and refused it.
        return max(1, math.floor(total / max(1, parents) + 0.5))

    return {
        ("__Schema", "types"): len(types),
        ("__Schema", "directives"): len(schema.directives),
        ("__Type", "fields"): per(field_count, len(types)),
        ("__Type", "interfaces"): per(interfaces, len(types)),
        ("__Type", "possibleTypes"): per(len(with_fields), len(types)),
        ("__Type", "enumValues"): per(enum_values, len(types)),
        ("__Type", "inputFields"): per(input_fields, len(types)),
        ("__Field", "args"): per(arg_count, field_count),
        ("__Directive", "args"): per(directive_args, len(schema.directives)),
    }


def list_estimate(field: GraphQLField) -> int:
    return LIST_ESTIMATE if is_list_type(get_nullable_type(field.type)) else 1
