"""Catalog: channels, categories, products, variants, kits and their validation rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from domain.errors import FieldError, duplicate, invalid, not_found
from domain.money import is_currency_code

HANDLE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SKU_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Channel:
    id: int
    code: str
    name: str
    currency: str


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    code: str
    name: str
    parent_id: int | None


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    handle: str
    title: str
    description: str | None
    category_id: int | None


@dataclass(frozen=True, slots=True)
class Variant:
    id: int
    product_id: int
    sku: str
    title: str
    unit_cost: Decimal | None
    is_kit: bool


@dataclass(frozen=True, slots=True)
class KitComponent:
    kit_id: int
    component_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class PriceSpec:
    channel: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class VariantSpec:
    sku: str
    title: str
    prices: tuple[PriceSpec, ...] = ()
    kit_components: tuple[ComponentSpec, ...] = ()
    unit_cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CreateProduct:
    """Command: create a product with its variants, prices and kit definitions."""

    handle: str
    title: str
    variants: tuple[VariantSpec, ...]
    description: str | None = None
    category: str | None = None


@dataclass(slots=True)
class CatalogRefs:
    """What already exists, looked up by the handler, so the rules below stay pure."""

    handle_taken: bool
    taken_skus: set[str] = field(default_factory=set)
    channel_codes: set[str] = field(default_factory=set)
    category_exists: bool = True
    existing_component_skus: set[str] = field(default_factory=set)


def validate_product_shape(
    cmd: CreateProduct, base: tuple[str, ...] = ("input",)
) -> list[FieldError]:
    """Checks that need nothing but the command itself."""
    errors: list[FieldError] = []
    if not HANDLE_PATTERN.match(cmd.handle):
        errors.append(invalid((*base, "handle"), "Handle must be lowercase words joined by '-'."))
    if not cmd.title.strip():
        errors.append(invalid((*base, "title"), "Title must not be empty."))
    if not cmd.variants:
        errors.append(invalid((*base, "variants"), "A product needs at least one variant."))
    seen: set[str] = set()
    for i, variant in enumerate(cmd.variants):
        path = (*base, "variants", str(i))
        errors.extend(_validate_variant(variant, path))
        if variant.sku in seen:
            errors.append(duplicate((*path, "sku"), f"SKU {variant.sku!r} appears twice."))
        seen.add(variant.sku)
    return errors


def _validate_variant(variant: VariantSpec, path: tuple[str, ...]) -> list[FieldError]:
    errors: list[FieldError] = []
    sku = variant.sku
    if not sku.strip() or len(sku) > MAX_SKU_LENGTH or sku != sku.strip():
        errors.append(invalid((*path, "sku"), "SKU must be 1-64 characters without edge spaces."))
    if not variant.title.strip():
        errors.append(invalid((*path, "title"), "Variant title must not be empty."))
    if variant.unit_cost is not None and variant.unit_cost < 0:
        errors.append(invalid((*path, "unitCost"), "Unit cost must not be negative."))
    channels: set[str] = set()
    for j, price in enumerate(variant.prices):
        if price.amount < 0:
            errors.append(
                invalid((*path, "prices", str(j), "amount"), "Price must not be negative.")
            )
        if price.channel in channels:
            errors.append(duplicate((*path, "prices", str(j), "channel"), "One price per channel."))
        channels.add(price.channel)
    for j, component in enumerate(variant.kit_components):
        cpath = (*path, "kitComponents", str(j))
        if component.quantity <= 0:
            errors.append(invalid((*cpath, "quantity"), "Component quantity must be positive."))
        if component.sku == sku:
            errors.append(invalid((*cpath, "sku"), "A kit cannot contain itself."))
    return errors


def validate_product_refs(
    cmd: CreateProduct, refs: CatalogRefs, base: tuple[str, ...] = ("input",)
) -> list[FieldError]:
    """Checks against what exists: unique handle and SKUs, known channels and components."""
    errors: list[FieldError] = []
    if refs.handle_taken:
        errors.append(duplicate((*base, "handle"), f"Handle {cmd.handle!r} is taken."))
    if cmd.category is not None and not refs.category_exists:
        errors.append(not_found((*base, "category"), f"Unknown category {cmd.category!r}."))
    new_skus = {v.sku for v in cmd.variants}
    for i, variant in enumerate(cmd.variants):
        path = (*base, "variants", str(i))
        if variant.sku in refs.taken_skus:
            errors.append(duplicate((*path, "sku"), f"SKU {variant.sku!r} already exists."))
        for j, price in enumerate(variant.prices):
            if price.channel not in refs.channel_codes:
                errors.append(
                    not_found(
                        (*path, "prices", str(j), "channel"), f"Unknown channel {price.channel!r}."
                    )
                )
        for j, component in enumerate(variant.kit_components):
            known = component.sku in refs.existing_component_skus or (
                component.sku in new_skus and component.sku != variant.sku
            )
            if not known:
                errors.append(
                    not_found(
                        (*path, "kitComponents", str(j), "sku"),
                        f"Kit component {component.sku!r} does not exist.",
                    )
                )
    return errors


@dataclass(frozen=True, slots=True)
class CreateChannel:
    """Command: open a sales channel with its currency (its price list is the channel's)."""

    code: str
    name: str
    currency: str


@dataclass(frozen=True, slots=True)
class CreateCategory:
    code: str
    name: str
    parent: str | None = None


CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def validate_channel(cmd: CreateChannel, base: tuple[str, ...] = ("input",)) -> list[FieldError]:
    errors: list[FieldError] = []
    if not CODE_PATTERN.match(cmd.code):
        errors.append(invalid((*base, "code"), "Code must be lowercase letters, digits, _.-"))
    if not cmd.name.strip():
        errors.append(invalid((*base, "name"), "Name must not be empty."))
    if not is_currency_code(cmd.currency):
        errors.append(invalid((*base, "currency"), "Currency must be an ISO 4217 code."))
    return errors


def validate_category(cmd: CreateCategory, base: tuple[str, ...] = ("input",)) -> list[FieldError]:
    errors: list[FieldError] = []
    if not CODE_PATTERN.match(cmd.code):
        errors.append(invalid((*base, "code"), "Code must be lowercase letters, digits, _.-"))
    if not cmd.name.strip():
        errors.append(invalid((*base, "name"), "Name must not be empty."))
    return errors
