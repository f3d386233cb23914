"""Catalog: channels, categories, products, variants, kits and their validation rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from domain.errors import FieldError, duplicate, invalid, not_found
from domain.money import is_currency_code
from domain.validation import (
    CODE_LENGTH,
    DESCRIPTION_LENGTH,
    NAME_LENGTH,
    TITLE_LENGTH,
    money,
    quantity,
    text,
)

HANDLE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SKU_LENGTH = 64
HANDLE_LENGTH = 200
# A kit of more than this many of one part is a data-entry error.
MAX_KIT_QUANTITY = 10_000


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
    if not HANDLE_PATTERN.fullmatch(cmd.handle):
        errors.append(invalid((*base, "handle"), "Handle must be lowercase words joined by '-'."))
    elif len(cmd.handle) > HANDLE_LENGTH:
        errors.append(
            invalid((*base, "handle"), f"Handle must be at most {HANDLE_LENGTH} characters.")
        )
    errors += text(cmd.title, (*base, "title"), TITLE_LENGTH, label="Title")
    errors += text(cmd.description, (*base, "description"), DESCRIPTION_LENGTH, required=False)
    errors += text(cmd.category, (*base, "category"), CODE_LENGTH, required=False)
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
    sku_errors = text(sku, (*path, "sku"), MAX_SKU_LENGTH)
    if sku_errors or sku != sku.strip():
        errors.append(invalid((*path, "sku"), "SKU must be 1-64 characters without edge spaces."))
    errors += text(variant.title, (*path, "title"), TITLE_LENGTH, label="Variant title")
    errors += money(variant.unit_cost, (*path, "unitCost"), label="Unit cost")
    channels: set[str] = set()
    for j, price in enumerate(variant.prices):
        errors += money(price.amount, (*path, "prices", str(j), "amount"), label="Price")
        errors += text(price.channel, (*path, "prices", str(j), "channel"), CODE_LENGTH)
        if price.channel in channels:
            errors.append(duplicate((*path, "prices", str(j), "channel"), "One price per channel."))
        channels.add(price.channel)
    for j, component in enumerate(variant.kit_components):
        cpath = (*path, "kitComponents", str(j))
        errors += quantity(
            component.quantity,
            (*cpath, "quantity"),
            minimum=1,
            maximum=MAX_KIT_QUANTITY,
            label="Component quantity",
        )
        errors += text(component.sku, (*cpath, "sku"), MAX_SKU_LENGTH)
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
    if not CODE_PATTERN.fullmatch(cmd.code):
        errors.append(invalid((*base, "code"), "Code must be lowercase letters, digits, _.-"))
    errors += text(cmd.name, (*base, "name"), NAME_LENGTH, label="Name")
    if not is_currency_code(cmd.currency):
        errors.append(invalid((*base, "currency"), "Currency must be an ISO 4217 code."))
    return errors


def validate_category(cmd: CreateCategory, base: tuple[str, ...] = ("input",)) -> list[FieldError]:
    errors: list[FieldError] = []
    if not CODE_PATTERN.fullmatch(cmd.code):
        errors.append(invalid((*base, "code"), "Code must be lowercase letters, digits, _.-"))
    errors += text(cmd.name, (*base, "name"), NAME_LENGTH, label="Name")
    errors += text(cmd.parent, (*base, "parent"), CODE_LENGTH, required=False)
    return errors
