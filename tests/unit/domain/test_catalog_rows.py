"""Catalog CSV rows to commands: grouping by handle, line numbers, and syntax errors."""

from __future__ import annotations

import io
from decimal import Decimal

from domain.catalog.bulk import duplicates_across_file, relocate
from domain.catalog.model import ComponentSpec, CreateProduct, PriceSpec, VariantSpec
from domain.catalog.model import validate_product_shape as validate_shape
from domain.catalog.rows import ParsedCatalog, parse_components, parse_prices, read_catalog
from domain.errors import ErrorCode, FieldError

HEADER = "handle,title,description,category,sku,variant_title,unit_cost,prices,kit_components\n"


def read(*rows: str, header: str = HEADER) -> ParsedCatalog:
    return read_catalog(io.StringIO(header + "".join(f"{row}\n" for row in rows), newline=""))


def where(errors: list[FieldError]) -> list[tuple[str, ...]]:
    return [e.field for e in errors]


def test_rows_sharing_a_handle_form_one_product_in_first_seen_order() -> None:
    parsed = read(
        "tee,Organic tee,Soft.,apparel,TEE-M,M,7.10,web=19.90;app=21,",
        "mug,Mug,,,MUG-1,White,,web=8,",
        "tee,,,,TEE-L,L,,web=19.90,",
        "set,Set,,,SET-1,Tee and mug,,, TEE-M*2 ; MUG-1 ",
    )

    assert parsed.errors == []
    assert parsed.rows == 4
    assert [(p.command.handle, p.line, p.variant_lines) for p in parsed.products] == [
        ("tee", 2, (2, 4)),
        ("mug", 3, (3,)),
        ("set", 5, (5,)),
    ]
    assert parsed.products[0].command == CreateProduct(
        handle="tee",
        title="Organic tee",
        description="Soft.",
        category="apparel",
        variants=(
            VariantSpec(
                "TEE-M",
                "M",
                prices=(PriceSpec("web", Decimal("19.90")), PriceSpec("app", Decimal("21"))),
                unit_cost=Decimal("7.10"),
            ),
            VariantSpec("TEE-L", "L", prices=(PriceSpec("web", Decimal("19.90")),)),
        ),
    )
    kit = parsed.products[2].command.variants[0]
    assert kit.kit_components == (ComponentSpec("TEE-M", 2), ComponentSpec("MUG-1", 1))


def test_optional_columns_may_be_left_out_and_blank_rows_are_skipped() -> None:
    parsed = read("mug,Mug,MUG-1,White", ",,,", "", header="handle,title,sku,variant_title\n")

    assert parsed.errors == []
    assert [p.command for p in parsed.products] == [
        CreateProduct("mug", "Mug", (VariantSpec("MUG-1", "White"),))
    ]


def test_spaces_around_header_names_are_ignored() -> None:
    parsed = read("mug,Mug,MUG-1,White", header=" handle , title,sku,variant_title\n")

    assert parsed.errors == []
    assert len(parsed.products) == 1


def test_missing_required_columns_are_one_error_for_line_1() -> None:
    parsed = read("mug,Mug,9.90", header="handle,title,price\n")

    assert parsed.products == []
    assert parsed.errors == [
        FieldError(
            ("1", "header"),
            ErrorCode.INVALID,
            "line 1, column header: Missing required columns: sku, variant_title; "
            "unknown columns: 'price'.",
        )
    ]


def test_an_empty_file_is_a_bad_header() -> None:
    parsed = read_catalog(io.StringIO(""))

    assert where(parsed.errors) == [("1", "header")]


def test_bad_price_names_line_and_column_and_keeps_the_rest_of_the_row() -> None:
    parsed = read(
        "mug,Mug,,,MUG-1,White,,web=8,",
        "mug,,,,MUG-2,Black,,web=8;app=eight,",
    )

    assert parsed.errors == [
        FieldError(
            ("3", "prices"),
            ErrorCode.INVALID,
            "line 3, column prices: Price 'app=eight' must be a decimal.",
        )
    ]
    assert parsed.products[0].command.variants[1] == VariantSpec(
        "MUG-2", "Black", prices=(PriceSpec("web", Decimal("8")),)
    )


def test_malformed_cells_are_reported_per_column() -> None:
    parsed = read(
        "mug,Mug,,,MUG-1,White,cheap,web,KIT*x",
        ",Orphan,,,ORPHAN-1,x,,,",
        "cup,Cup,,,CUP-1,x,,,,surplus",
    )

    assert where(parsed.errors) == [
        ("2", "unit_cost"),
        ("2", "prices"),
        ("2", "kit_components"),
        ("3", "handle"),
        ("4", "row"),
    ]


def test_later_rows_must_not_contradict_the_first_row_of_their_handle() -> None:
    parsed = read(
        "tee,Tee,Soft.,apparel,TEE-M,M,,,",
        "tee,Tee,,,TEE-L,L,,,",
        "tee,T-shirt,Rough.,apparel,TEE-XL,XL,,,",
    )

    assert parsed.errors == [
        FieldError(
            ("4", "title"),
            ErrorCode.INVALID,
            "line 4, column title: 'T-shirt' contradicts line 2, the first row.",
        ),
        FieldError(
            ("4", "description"),
            ErrorCode.INVALID,
            "line 4, column description: 'Rough.' contradicts line 2, the first row.",
        ),
    ]


def test_line_numbers_are_physical_lines_after_quoted_line_breaks() -> None:
    parsed = read('tee,Tee,"Two\nlines",,TEE-M,M,,,', "tee,,,,TEE-L,L,,web=x,")

    assert where(parsed.errors) == [("4", "prices")]


def test_price_and_component_lists() -> None:
    assert parse_prices("") == ((), [])
    assert parse_prices(" web = 1.5 ;") == ((PriceSpec("web", Decimal("1.5")),), [])
    assert parse_prices("=1;web=") == (
        (),
        ["Price '=1' must look like channel=amount.", "Price 'web=' must be a decimal."],
    )
    assert parse_components("A*2;B;C*0") == (
        (ComponentSpec("A", 2), ComponentSpec("B", 1), ComponentSpec("C", 0)),
        [],
    )
    assert parse_components("*2;D*1.5") == (
        (),
        [
            "Component '*2' must look like SKU*quantity.",
            "Component 'D*1.5' must have a whole-number quantity.",
        ],
    )


def test_model_rule_errors_are_moved_to_lines_and_columns() -> None:
    parsed = read(
        "Bad Handle,,,,A-1,x,-1,web=-2,A-1*1",
        "Bad Handle,,,,A-1,,,,",
    )
    [product] = parsed.products

    errors = relocate(product, validate_shape(product.command, base=()))

    assert [(e.field, e.code) for e in errors] == [
        (("2", "handle"), ErrorCode.INVALID),
        (("2", "title"), ErrorCode.INVALID),
        (("2", "unit_cost"), ErrorCode.INVALID),
        (("2", "prices"), ErrorCode.INVALID),
        (("2", "kit_components"), ErrorCode.INVALID),
        (("3", "variant_title"), ErrorCode.INVALID),
        (("3", "sku"), ErrorCode.DUPLICATE),
    ]
    assert errors[3].message == "line 2, column prices: Price must not be negative."


def test_a_sku_in_two_products_of_the_file_is_a_duplicate() -> None:
    parsed = read("mug,Mug,,,MUG-1,White,,,", "cup,Cup,,,MUG-1,White,,,")

    assert duplicates_across_file(parsed.products) == [
        FieldError(
            ("3", "sku"), ErrorCode.DUPLICATE, "line 3, column sku: SKU 'MUG-1' is also on line 2."
        )
    ]


def test_text_that_is_not_csv_or_not_utf8_is_one_error() -> None:
    huge = read("mug,Mug,,,MUG-1,White,,,", f"cup,Cup,{'x' * 200_000},,CUP-1,x,,,")
    not_utf8 = read_catalog(
        io.TextIOWrapper(io.BytesIO(b"handle,title,sku,variant_title\nm,\xff,M,x\n"), newline="")
    )

    assert (huge.products, where(huge.errors)) == ([], [("3", "row")])
    assert (not_utf8.products, where(not_utf8.errors)) == ([], [("1", "row")])


def test_nul_characters_are_refused() -> None:
    parsed = read("cup,C\0up,,,CUP-1,x,,,")

    assert where(parsed.errors) == [("2", "row")]
