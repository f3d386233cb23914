"""Order aggregate rows <-> domain objects (the mapping only; SQL lives in orders.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from domain.locations.model import Address, GeoPoint
from domain.money import round_money
from domain.orders.lifecycle import FulfillmentMethod, FulfillmentStatus, OrderStatus
from domain.orders.model import (
    Backorder,
    Fulfillment,
    FulfillmentLine,
    HistoryEntry,
    Order,
    OrderLine,
    OrderTotals,
)
from domain.payments.model import Payment, PaymentTransaction, TransactionKind
from persistence.clock import aware

_ADDRESS_FIELDS = tuple(f.name for f in dataclasses.fields(Address) if f.name != "geo")


def address_json(address: Address | None) -> dict[str, Any] | None:
    """`dataclasses.asdict(address)`, built directly (asdict deep-copies every field)."""
    if address is None:
        return None
    data: dict[str, Any] = {name: getattr(address, name) for name in _ADDRESS_FIELDS}
    geo = address.geo
    data["geo"] = None if geo is None else {"latitude": geo.latitude, "longitude": geo.longitude}
    return data


def address_from(data: dict[str, Any] | None) -> Address | None:
    if not data:
        return None
    geo = data.get("geo")
    return Address(**{**data, "geo": GeoPoint(**geo) if geo else None})


def money(value: Any, currency: str) -> Decimal:
    """Amounts are stored NUMERIC(18, 4) and computed in the currency's minor unit: read
    back at that scale, so 19.9000 is the 19.90 that was stored."""
    return round_money(Decimal(value if value is not None else 0), currency)


def order_row(order: Order, channel_id: int, cart_id: str | None) -> dict[str, Any]:
    t = order.totals
    return {
        "id": order.id,
        "number": order.number,
        "channel_id": channel_id,
        "currency": order.currency,
        "status": order.status.value,
        "status_changed_at": order.created_at,
        "cart_id": cart_id,
        "subtotal": t.subtotal,
        "discount_total": t.discount_total,
        "shipping_total": t.shipping_total,
        "tax_total": t.tax_total,
        "total": t.total,
        "shipping_charge": t.shipping_charge,
        "shipping_discount": t.shipping_discount,
        "shipping_tax": t.shipping_tax,
        "prices_include_tax": t.prices_include_tax,
        "created_at": order.created_at,
        "promised_by": order.promised_by,
        **mutable_order_fields(order),
    }


def mutable_order_fields(order: Order) -> dict[str, Any]:
    """What order operations may change on the order row itself."""
    return {
        "status": order.status.value,
        "customer_id": order.customer_id,
        "email": order.email,
        "shipping_address": address_json(order.shipping_address),
        "delivery_option": order.delivery_option,
        "coupon_codes": list(order.coupon_codes),
        "source_code": order.source_code,
        "external_reference": order.external_reference,
        "hold_reason": order.hold_reason,
        "appeased": order.appeased,
        "shipping_captured": order.shipping_captured,
        "authorization_released": order.authorization_released,
        "rejected_location_ids": sorted(order.rejected_location_ids),
        "updated_at": order.updated_at,
    }


def order_from(row: Any, channel_code: str) -> Order:
    c = row.currency
    return Order(
        id=row.id,
        number=row.number,
        channel=channel_code,
        currency=c,
        status=OrderStatus(row.status),
        lines=[],
        totals=OrderTotals(
            subtotal=money(row.subtotal, c),
            discount_total=money(row.discount_total, c),
            shipping_total=money(row.shipping_total, c),
            tax_total=money(row.tax_total, c),
            total=money(row.total, c),
            shipping_charge=money(row.shipping_charge, c),
            shipping_discount=money(row.shipping_discount, c),
            shipping_tax=money(row.shipping_tax, c),
            prices_include_tax=bool(row.prices_include_tax),
        ),
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        customer_id=row.customer_id,
        email=row.email,
        shipping_address=address_from(row.shipping_address),
        delivery_option=row.delivery_option,
        coupon_codes=tuple(row.coupon_codes or ()),
        source_code=row.source_code,
        external_reference=row.external_reference,
        hold_reason=row.hold_reason,
        appeased=money(row.appeased, c),
        shipping_captured=bool(row.shipping_captured),
        authorization_released=bool(row.authorization_released),
        rejected_location_ids=set(row.rejected_location_ids or ()),
        promised_by=aware(row.promised_by) if row.promised_by is not None else None,
    )


# Copied from the order onto its lines and fulfillments (migration 0012): an order's
# placement time and channel never change, and the reports read a period's lines or
# fulfillments from one index range without joining 250,000 lines to their orders
# (docs/reports.md). Never part of an UPDATE (updates pass no placement).


def placement(order: Order, channel_id: int) -> dict[str, Any]:
    """The order's placement columns as its lines and fulfillments carry them."""
    return {"placed_at": order.created_at, "channel_id": channel_id}


def line_row(
    order_id: str, position: int, line: OrderLine, placed: dict[str, Any]
) -> dict[str, Any]:
    return {
        **placed,
        "id": line.id,
        "order_id": order_id,
        "position": position,
        "sku": line.sku,
        "quantity": line.quantity,
        "method": line.method.value,
        "pickup_location_id": line.pickup_location_id,
        "unit_price": line.unit_price,
        "subtotal": line.subtotal,
        "discount": line.discount,
        "total": line.total,
        "tax": line.tax,
        "charge": line.charge,
        "quantity_cancelled": line.quantity_cancelled,
        "quantity_shipped": line.quantity_shipped,
        "quantity_returned": line.quantity_returned,
        "quantity_unfilled": line.quantity_unfilled,
    }


def line_from(row: Any, currency: str) -> OrderLine:
    return OrderLine(
        id=row.id,
        sku=row.sku,
        quantity=row.quantity,
        method=FulfillmentMethod(row.method),
        pickup_location_id=row.pickup_location_id,
        unit_price=money(row.unit_price, currency),
        discount=money(row.discount, currency),
        total=money(row.total, currency),
        tax=money(row.tax, currency),
        charge=money(row.charge, currency),
        quantity_cancelled=row.quantity_cancelled,
        quantity_shipped=row.quantity_shipped,
        quantity_returned=row.quantity_returned,
        quantity_unfilled=row.quantity_unfilled,
    )


def fulfillment_row(
    order_id: str, position: int, f: Fulfillment, placed: dict[str, Any]
) -> dict[str, Any]:
    return {
        **placed,
        "id": f.id,
        "order_id": order_id,
        "position": position,
        "location_id": f.location_id,
        "location_code": f.location_code,
        "method": f.method.value,
        "status": f.status.value,
        "carrier": f.carrier,
        "tracking_number": f.tracking_number,
        "pickup_code": f.pickup_code,
        "pickup_attempts": f.pickup_attempts,
        "ready_at": f.ready_at,
        "reason": f.reason,
        "created_at": f.created_at,
        "updated_at": f.updated_at,
    }


def fulfillment_from(row: Any, lines: Sequence[FulfillmentLine]) -> Fulfillment:
    return Fulfillment(
        id=row.id,
        location_id=row.location_id,
        location_code=row.location_code,
        method=FulfillmentMethod(row.method),
        status=FulfillmentStatus(row.status),
        lines=list(lines),
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        pickup_code=row.pickup_code,
        pickup_attempts=row.pickup_attempts,
        ready_at=aware(row.ready_at) if row.ready_at else None,
        reason=row.reason,
    )


def fulfillment_line_rows(f: Fulfillment) -> list[dict[str, Any]]:
    return [
        {
            "fulfillment_id": f.id,
            "position": i,
            "order_line_id": line.order_line_id,
            "sku": line.sku,
            "quantity": line.quantity,
        }
        for i, line in enumerate(f.lines)
    ]


def backorder_rows(order_id: str, backorders: Sequence[Backorder]) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "position": i,
            "order_line_id": b.order_line_id,
            "sku": b.sku,
            "quantity": b.quantity,
            "expected_on": b.expected_on,
        }
        for i, b in enumerate(backorders)
    ]


def backorder_from(row: Any) -> Backorder:
    return Backorder(row.order_line_id, row.sku, row.quantity, row.expected_on)


def payment_row(p: Payment, at: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "order_id": p.order_id,
        "gateway": p.gateway,
        "currency": p.currency,
        "authorization": p.authorization,
        "created_at": at,
        **mutable_payment_fields(p, at),
    }


def mutable_payment_fields(p: Payment, at: Any) -> dict[str, Any]:
    return {
        "authorized": p.authorized,
        "captured": p.captured,
        "refunded": p.refunded,
        "declined": p.declined,
        "voided": p.voided,
        "closed": p.closed,
        "updated_at": at,
    }


def payment_from(row: Any, transactions: Sequence[PaymentTransaction]) -> Payment:
    c = row.currency
    return Payment(
        id=row.id,
        order_id=row.order_id,
        gateway=row.gateway,
        currency=c,
        authorization=row.authorization,
        authorized=money(row.authorized, c),
        captured=money(row.captured, c),
        refunded=money(row.refunded, c),
        declined=bool(row.declined),
        voided=bool(row.voided),
        closed=bool(row.closed),
        transactions=list(transactions),
    )


def transaction_rows(
    payment_id: str, transactions: Sequence[PaymentTransaction], start: int
) -> list[dict[str, Any]]:
    return [
        {
            "payment_id": payment_id,
            "position": start + i,
            "kind": t.kind.value,
            "amount": t.amount,
            "reference": t.reference,
            "at": t.at,
        }
        for i, t in enumerate(transactions[start:])
    ]


def transaction_from(row: Any, currency: str) -> PaymentTransaction:
    return PaymentTransaction(
        TransactionKind(row.kind), money(row.amount, currency), row.reference, aware(row.at)
    )


def history_rows(
    order_id: str, entries: Sequence[HistoryEntry], start: int
) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "position": start + i,
            "at": e.at,
            "type": e.type[:64],
            "message": e.message[:1000],
            "actor": e.actor[:200] if e.actor else None,
        }
        for i, e in enumerate(entries[start:])
    ]


def history_from(row: Any) -> HistoryEntry:
    return HistoryEntry(aware(row.at), row.type, row.message, row.actor)
