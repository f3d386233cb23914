"""Bulk catalog import: check a whole file against the catalog, then create all of it or none.

The rules are the ones `create_product` applies (`validate_product_shape`,
`validate_product_refs`); this module only looks things up in bulk, adds the one rule a
single product cannot see (a SKU used by two products of the same file) and moves each
error from its command path to the CSV line and column it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.catalog.model import CatalogRefs, CreateProduct, validate_product_refs
from domain.catalog.model import validate_product_shape as validate_shape
from domain.catalog.ports import CatalogBulkRepository
from domain.catalog.rows import ProductRows, located
from domain.errors import ErrorCode, FieldError
from domain.ports import UnitOfWork

# Command field names (as in model.py's paths) to CSV columns.
_PRODUCT_COLUMNS = {"handle": "handle", "title": "title", "category": "category"}
_VARIANT_COLUMNS = {
    "sku": "sku",
    "title": "variant_title",
    "unitCost": "unit_cost",
    "prices": "prices",
    "kitComponents": "kit_components",
}


@dataclass(slots=True)
class ImportReport:
    products: int = 0
    variants: int = 0
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


async def import_products(
    products: Sequence[ProductRows], uow: UnitOfWork, *, errors: Sequence[FieldError] = ()
) -> ImportReport:
    """Create every product in one unit of work, or nothing when any row has a problem.

    `errors` are problems found before (CSV syntax); they are reported together with those
    found here, sorted by line, and any of them means nothing is written.
    """
    found = list(errors)
    for product in products:
        found += relocate(product, validate_shape(product.command, base=()))
    found += duplicates_across_file(products)
    commands = [p.command for p in products]
    async with uow:
        known = await _look_up(commands, uow.catalog_bulk)
        for product in products:
            refs = known.refs(product.command)
            found += relocate(product, validate_product_refs(product.command, refs, base=()))
        if found:
            return ImportReport(errors=sorted(found, key=lambda e: int(e.field[0])))
        created = await uow.catalog_bulk.insert_products(
            commands, known.category_ids, known.channel_ids, known.variant_ids
        )
        await uow.commit()
    return ImportReport(products=created, variants=_variant_count(commands))


@dataclass(frozen=True, slots=True)
class _Known:
    """What the database already holds for the file's handles, SKUs, channels, categories."""

    taken_handles: set[str]
    variant_ids: dict[str, int]
    channel_ids: dict[str, int]
    category_ids: dict[str, int]
    channel_codes: set[str]
    component_skus: set[str]  # components that exist in the database or in the file

    def refs(self, cmd: CreateProduct) -> CatalogRefs:
        return CatalogRefs(
            handle_taken=cmd.handle in self.taken_handles,
            taken_skus={v.sku for v in cmd.variants if v.sku in self.variant_ids},
            channel_codes=self.channel_codes,
            category_exists=cmd.category is None or cmd.category in self.category_ids,
            existing_component_skus=self.component_skus,
        )


async def _look_up(commands: Sequence[CreateProduct], bulk: CatalogBulkRepository) -> _Known:
    variants = [v for c in commands for v in c.variants]
    skus = {v.sku for v in variants}
    components = {k.sku for v in variants for k in v.kit_components}
    variant_ids = await bulk.variant_ids(skus | components)
    channel_ids = await bulk.channel_ids({p.channel for v in variants for p in v.prices})
    return _Known(
        taken_handles=await bulk.taken_handles([c.handle for c in commands]),
        variant_ids=variant_ids,
        channel_ids=channel_ids,
        category_ids=await bulk.category_ids({c.category for c in commands if c.category}),
        channel_codes=set(channel_ids),
        component_skus={s for s in components if s in variant_ids or s in skus},
    )


def _variant_count(commands: Sequence[CreateProduct]) -> int:
    return sum(len(c.variants) for c in commands)


def relocate(product: ProductRows, errors: Sequence[FieldError]) -> list[FieldError]:
    """Errors with command paths (`variants.2.prices.0.amount`) to (line, column) errors."""
    moved: list[FieldError] = []
    for error in errors:
        path = error.field
        if len(path) >= 3 and path[0] == "variants":
            line = product.variant_lines[int(path[1])]
            column = _VARIANT_COLUMNS.get(path[2], path[2])
        else:
            line = product.line
            column = _PRODUCT_COLUMNS.get(path[0], "sku") if path else "handle"
        moved.append(located(line, column, error.code, error.message))
    return moved


def duplicates_across_file(products: Sequence[ProductRows]) -> list[FieldError]:
    """A SKU used by two products of the file (twice in one product is a shape error)."""
    first: dict[str, tuple[int, int]] = {}
    errors: list[FieldError] = []
    for index, product in enumerate(products):
        for variant, line in zip(product.command.variants, product.variant_lines, strict=True):
            seen = first.setdefault(variant.sku, (index, line))
            if seen[0] != index:
                message = f"SKU {variant.sku!r} is also on line {seen[1]}."
                errors.append(located(line, "sku", ErrorCode.DUPLICATE, message))
    return errors
