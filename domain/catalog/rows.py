"""Catalog CSV rows to `CreateProduct` commands, with every problem tied to a line and column.

The file format (also in docs/catalog-import.md)::

    handle,title,description,category,sku,variant_title,unit_cost,prices,kit_components
    organic-tee,Organic T-shirt,Soft cotton.,apparel,TEE-M,M,7.10,web=19.90;app=21.00,
    organic-tee,,,,TEE-L,L,7.40,web=19.90;app=21.00,
    tee-bundle,Two tees,,,BUNDLE-2,Bundle,,web=35.00,TEE-M*1;TEE-L*1

- One row per variant. Rows sharing a `handle` form one product, in any order; the
  product columns (`title`, `description`, `category`) come from the handle's first row.
  Later rows may leave them empty; a non-empty value that differs is an error.
- Required columns: `handle`, `title`, `sku`, `variant_title`; the others may be absent.
  Unknown columns are an error (a misspelt `price` would otherwise be dropped silently).
- `category` is an existing category code; `unit_cost` a decimal; `prices` is
  `channel=amount` pairs joined by `;`; `kit_components` is `SKU*quantity` pairs joined by
  `;` (`*1` may be left out). Components must exist in the database or in the same file.
- Cells are taken as written (no trimming of handles, SKUs or titles) except inside
  `prices` and `kit_components`. Rows whose cells are all empty are skipped.
- The import only creates: a handle or SKU that already exists is a DUPLICATE error.

Line numbers are physical lines: the header is line 1, the first data row line 2. This
module checks syntax only; the catalog rules themselves live in `model.py` and are applied
by `bulk.py`, whose errors are relocated to lines and columns with `located`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.catalog.model import ComponentSpec, CreateProduct, PriceSpec, VariantSpec
from domain.errors import ErrorCode, FieldError
from domain.money import parse_amount

COLUMNS = (
    "handle",
    "title",
    "description",
    "category",
    "sku",
    "variant_title",
    "unit_cost",
    "prices",
    "kit_components",
)
REQUIRED_COLUMNS = ("handle", "title", "sku", "variant_title")
PRODUCT_COLUMNS = ("title", "description", "category")


@dataclass(frozen=True, slots=True)
class ProductRows:
    """One product of the file: its command and the lines it came from."""

    command: CreateProduct
    line: int  # the handle's first row, where the product columns come from
    variant_lines: tuple[int, ...]  # the line of each of `command.variants`


@dataclass(slots=True)
class ParsedCatalog:
    products: list[ProductRows] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    rows: int = 0


def located(line: int, column: str, code: ErrorCode, message: str) -> FieldError:
    """An error whose field is (line, column) and whose message says where, for humans."""
    return FieldError((str(line), column), code, f"line {line}, column {column}: {message}")


def _invalid(line: int, column: str, message: str) -> FieldError:
    return located(line, column, ErrorCode.INVALID, message)


def check_header(fieldnames: Sequence[str] | None) -> FieldError | None:
    """One error for line 1 when required columns are missing or unknown ones present."""
    names = list(fieldnames or [])
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    unknown = [c for c in names if c not in COLUMNS]
    repeated = sorted({c for c in names if names.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"missing required columns: {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown columns: {', '.join(repr(c) for c in unknown)}")
    if repeated:
        problems.append(f"repeated columns: {', '.join(repeated)}")
    if not problems:
        return None
    text = "; ".join(problems)
    return _invalid(1, "header", text[0].upper() + text[1:] + ".")


def read_catalog(lines: Iterable[str]) -> ParsedCatalog:
    """Parse CSV text (an open file, read lazily) into commands and syntax errors."""
    reader = csv.DictReader(lines)
    try:
        if reader.fieldnames is not None:
            reader.fieldnames = [name.strip() for name in reader.fieldnames]
        parsed = parse_rows(reader.fieldnames, ((reader.line_num, row) for row in reader))
    except csv.Error as exc:
        # Nothing after an unreadable line can be trusted, so it is the only error reported.
        parsed = ParsedCatalog()
        parsed.errors.append(_invalid(reader.line_num + 1, "row", f"Unreadable CSV: {exc}."))
    except UnicodeDecodeError:
        # Files are decoded in blocks, so the bad byte is somewhere after the last good line.
        parsed = ParsedCatalog()
        message = "The file is not UTF-8 text after this line; save it as UTF-8."
        parsed.errors.append(_invalid(max(reader.line_num, 1), "row", message))
    return parsed


class _Product:
    """Collects the rows of one handle."""

    def __init__(self, line: int, row: Mapping[str, str]) -> None:
        self.line = line
        self.row = row
        self.variants: list[VariantSpec] = []
        self.lines: list[int] = []

    def build(self, handle: str) -> ProductRows:
        command = CreateProduct(
            handle=handle,
            title=self.row["title"],
            variants=tuple(self.variants),
            description=self.row["description"] if self.row["description"].strip() else None,
            category=self.row["category"] or None,
        )
        return ProductRows(command, self.line, tuple(self.lines))


def parse_rows(
    fieldnames: Sequence[str] | None, rows: Iterable[tuple[int, Mapping[str | None, Any]]]
) -> ParsedCatalog:
    """Rows as `csv.DictReader` yields them, each with its line number, to commands.

    A row with a bad cell still contributes its variant (without the bad value) so that
    the rules in `model.py` can report everything else in the same run.
    """
    parsed = ParsedCatalog()
    header_error = check_header(fieldnames)
    if header_error is not None:
        parsed.errors.append(header_error)
        return parsed
    by_handle: dict[str, _Product] = {}
    for line, raw in rows:
        parsed.rows += 1
        row = {c: raw.get(c) or "" for c in COLUMNS}
        if raw.get(None):
            parsed.errors.append(_invalid(line, "row", "Row has more cells than the header."))
        if any("\0" in value for value in row.values()):
            # PostgreSQL cannot store NUL in text; it is never meant in a catalog.
            parsed.errors.append(_invalid(line, "row", "Row contains a NUL character."))
        if not any(value.strip() for value in row.values()):
            continue
        handle = row["handle"]
        if not handle:
            parsed.errors.append(_invalid(line, "handle", "Handle must not be empty."))
            continue
        product = by_handle.get(handle)
        if product is None:
            product = by_handle[handle] = _Product(line, row)
        else:
            parsed.errors.extend(_contradictions(product, line, row))
        variant, errors = _variant(line, row)
        parsed.errors.extend(errors)
        product.variants.append(variant)
        product.lines.append(line)
    parsed.products = [product.build(handle) for handle, product in by_handle.items()]
    return parsed


def _contradictions(product: _Product, line: int, row: Mapping[str, str]) -> list[FieldError]:
    return [
        _invalid(line, column, f"{row[column]!r} contradicts line {product.line}, the first row.")
        for column in PRODUCT_COLUMNS
        if row[column] and row[column] != product.row[column]
    ]


def _variant(line: int, row: Mapping[str, str]) -> tuple[VariantSpec, list[FieldError]]:
    errors: list[FieldError] = []
    unit_cost: Decimal | None = None
    if row["unit_cost"].strip():
        unit_cost = parse_amount(row["unit_cost"])
        if unit_cost is None:
            errors.append(_invalid(line, "unit_cost", "Unit cost must be a decimal."))
    prices, price_errors = parse_prices(row["prices"])
    components, component_errors = parse_components(row["kit_components"])
    errors += [_invalid(line, "prices", message) for message in price_errors]
    errors += [_invalid(line, "kit_components", message) for message in component_errors]
    spec = VariantSpec(
        sku=row["sku"],
        title=row["variant_title"],
        prices=prices,
        kit_components=components,
        unit_cost=unit_cost,
    )
    return spec, errors


def _entries(text: str) -> list[str]:
    return [entry.strip() for entry in text.split(";") if entry.strip()]


def parse_prices(text: str) -> tuple[tuple[PriceSpec, ...], list[str]]:
    """`web=19.90;app=21.00` to price specs, and a message per malformed entry."""
    specs: list[PriceSpec] = []
    errors: list[str] = []
    for entry in _entries(text):
        channel, equals, raw_amount = (part.strip() for part in entry.partition("="))
        amount = parse_amount(raw_amount)
        if not equals or not channel:
            errors.append(f"Price {entry!r} must look like channel=amount.")
        elif amount is None:
            errors.append(f"Price {entry!r} must be a decimal.")
        else:
            specs.append(PriceSpec(channel, amount))
    return tuple(specs), errors


def parse_components(text: str) -> tuple[tuple[ComponentSpec, ...], list[str]]:
    """`SKU-A*2;SKU-B` to component specs (quantity 1 when left out)."""
    specs: list[ComponentSpec] = []
    errors: list[str] = []
    for entry in _entries(text):
        sku, star, raw_quantity = entry.rpartition("*")
        if not star:
            sku, raw_quantity = entry, "1"
        sku, raw_quantity = sku.strip(), raw_quantity.strip()
        if not sku:
            errors.append(f"Component {entry!r} must look like SKU*quantity.")
        elif not (raw_quantity.isascii() and raw_quantity.lstrip("-").isdigit()):
            errors.append(f"Component {entry!r} must have a whole-number quantity.")
        else:
            specs.append(ComponentSpec(sku, int(raw_quantity)))
    return tuple(specs), errors
