"""`orchestra import catalog FILE.csv`: everything is created, or nothing and a report."""

from __future__ import annotations

import contextlib
import csv
import io
import os
from pathlib import Path

from server.cli import main as cli
from tests import factories
from tests.conftest import Api, run_cli, unique

COLUMNS = "handle,title,description,category,sku,variant_title,unit_cost,prices,kit_components"
PRODUCT = """query($handle: String!, $channel: String!) {
  product(handle: $handle) { handle title description category { code }
    variants { sku title isKit price(channel: $channel) { amount currency }
      kitComponents { quantity variant { sku } } } } }"""
CATEGORY = """mutation($input: CategoryInput!) { categoryCreate(input: $input) {
  category { code } userErrors { field code message } } }"""


def write(tmp_path: Path, rows: list[list[str]]) -> str:
    path = tmp_path / f"{unique('catalog')}.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(COLUMNS + "\r\n")
        csv.writer(file).writerows(rows)
    return str(path)


def import_failing(path: str, database_url: str) -> tuple[int, str, str]:
    """Run the import expecting failure: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.environ.get("ORCHESTRA_DATABASE_URL")
    os.environ["ORCHESTRA_DATABASE_URL"] = database_url
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli(["import", "catalog", path])
    finally:
        if previous is None:
            del os.environ["ORCHESTRA_DATABASE_URL"]
        else:
            os.environ["ORCHESTRA_DATABASE_URL"] = previous
    return code, out.getvalue(), err.getvalue()


def test_a_good_file_creates_products_variants_prices_and_kits(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    web, app = factories.channel(api, "EUR"), factories.channel(api, "USD")
    category = unique("cat")
    assert (
        api(CATEGORY, {"input": {"code": category, "name": "Apparel"}})["categoryCreate"][
            "userErrors"
        ]
        == []
    )
    [existing] = factories.product(api)
    tee, kit = unique("tee"), unique("kit")
    medium, large, bundle = (unique(s).upper() for s in ("M", "L", "BUNDLE"))
    path = write(
        tmp_path,
        [
            [
                tee,
                "Organic tee",
                "Soft.",
                category,
                medium,
                "M",
                "7.10",
                f"{web}=19.90;{app}=21",
                "",
            ],
            [kit, "Bundle", "", "", bundle, "Two tees", "", f"{web}=35", f"{medium}*2;{existing}"],
            [tee, "", "", "", large, "L", "", f"{web}=19.90", ""],
        ],
    )

    output = run_cli("import", "catalog", path, database_url=database_url)

    assert output == "imported 2 products with 3 variants\n"
    product = api(PRODUCT, {"handle": tee, "channel": web})["product"]
    assert product["title"] == "Organic tee"
    assert product["description"] == "Soft."
    assert product["category"] == {"code": category}
    assert [(v["sku"], v["title"], v["price"]) for v in product["variants"]] == [
        (medium, "M", {"amount": "19.90", "currency": "EUR"}),
        (large, "L", {"amount": "19.90", "currency": "EUR"}),
    ]
    other = api(PRODUCT, {"handle": tee, "channel": app})["product"]
    assert other["variants"][0]["price"] == {"amount": "21.00", "currency": "USD"}
    [kit_variant] = api(PRODUCT, {"handle": kit, "channel": web})["product"]["variants"]
    assert kit_variant["isKit"] is True
    components = {(c["variant"]["sku"], c["quantity"]) for c in kit_variant["kitComponents"]}
    assert components == {(medium, 2), (existing, 1)}


def test_one_bad_line_imports_nothing_and_the_report_names_it(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    web = factories.channel(api)
    good, bad = unique("good"), unique("bad")
    good_sku, bad_sku = unique("G").upper(), unique("B").upper()
    path = write(
        tmp_path,
        [
            [good, "Good", "", "", good_sku, "Only", "", f"{web}=5", ""],
            [bad, "Bad", "", "", bad_sku, "Only", "", f"{web}=five", ""],
        ],
    )

    code, out, err = import_failing(path, database_url)

    assert code == 1
    assert out == "nothing imported: 1 error\n"
    assert err == f"line 3, column prices: Price '{web}=five' must be a decimal.\n"
    assert api(PRODUCT, {"handle": good, "channel": web})["product"] is None
    assert api("query($sku: String!) { variant(sku: $sku) { sku } }", {"sku": good_sku}) == {
        "variant": None
    }


def test_existing_handles_and_skus_are_duplicates_not_updates(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    [taken_sku] = factories.product(api)
    handle, sku = unique("again"), unique("A").upper()
    first = write(tmp_path, [[handle, "First", "", "", sku, "Only", "", "", ""]])
    run_cli("import", "catalog", first, database_url=database_url)
    again = write(
        tmp_path,
        [
            [handle, "Second", "", "", unique("B").upper(), "Only", "", "", ""],
            [unique("new"), "New", "", "", taken_sku, "Only", "", "", "MISSING*1"],
        ],
    )

    code, out, err = import_failing(again, database_url)

    assert code == 1
    assert out == "nothing imported: 3 errors\n"
    assert err.splitlines() == [
        f"line 2, column handle: Handle {handle!r} is taken.",
        f"line 3, column sku: SKU {taken_sku!r} already exists.",
        "line 3, column kit_components: Kit component 'MISSING' does not exist.",
    ]
    product = api(PRODUCT, {"handle": handle, "channel": "none"})["product"]
    assert product["title"] == "First"


def test_a_bad_header_is_one_error_for_line_1(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("handle,title,sku\nx,X,X-1\n", encoding="utf-8")

    code, out, err = import_failing(str(path), database_url)

    assert (code, out) == (1, "nothing imported: 1 error\n")
    assert err == "line 1, column header: Missing required columns: variant_title.\n"


def test_a_file_of_20000_variants_imports_in_one_go(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    web = factories.channel(api)
    prefix = unique("bulk")
    rows = [
        [
            f"{prefix}-{p}",
            f"Product {p}" if v == 0 else "",
            "",
            "",
            f"{prefix}-{p}-{v}".upper(),
            f"Size {v}",
            "3.50",
            f"{web}={p % 100}.{v}9",
            f"{prefix}-{p - 1}-0*2".upper() if v == 3 and p > 0 else "",
        ]
        for p in range(5000)
        for v in range(4)
    ]
    path = write(tmp_path, rows)

    output = run_cli("import", "catalog", path, database_url=database_url)

    assert output == "imported 5000 products with 20000 variants\n"
    last = api(PRODUCT, {"handle": f"{prefix}-4999", "channel": web})["product"]
    assert [v["sku"] for v in last["variants"]] == [f"{prefix}-4999-{v}".upper() for v in range(4)]
    assert last["variants"][3]["price"]["amount"] == "99.39"
    assert last["variants"][3]["kitComponents"] == [
        {"quantity": 2, "variant": {"sku": f"{prefix}-4998-0".upper()}}
    ]
