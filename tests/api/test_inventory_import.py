"""Count files: `orchestra import inventory FILE.csv` and the `inventoryUpload` mutation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from domain.inventory.csv_ingest import ingest_csv
from domain.inventory.handlers import set_inventory
from domain.inventory.ingest import BatchResult, SetUpdate
from server import inventory_import
from server.cli import main as cli
from tests import factories
from tests.api.test_availability import availability
from tests.conftest import Api

POSITIONS = """query($sku: String) { inventoryPositions(sku: $sku) { edges { node {
  onHand unsellable safetyStock location { code } } } } }"""
UPLOAD = """mutation($file: Upload!) { inventoryUpload(file: $file) {
  applied duplicates stale clamped userErrors { field code message } } }"""
HEADER = "sku,location,on_hand,as_of"


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def on_hand(api: Api, sku: str) -> dict[str, int]:
    edges = api(POSITIONS, {"sku": sku})["inventoryPositions"]["edges"]
    return {e["node"]["location"]["code"]: e["node"]["onHand"] for e in edges}


def run_import(
    path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, dict[str, str], str]:
    """(exit code, summary lines as a dict, stderr): unlike run_cli, a non-zero exit is fine."""
    monkeypatch.setenv("ORCHESTRA_DATABASE_URL", database_url)
    code = cli(["import", "inventory", str(path)])
    out, err = capsys.readouterr()
    summary = dict(line.split(": ", 1) for line in out.splitlines())
    return code, summary, err


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "counts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_import_applies_absolute_counts(
    api: Api,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = factories.product(api, skus=2)
    east, west = factories.location(api), factories.location(api)
    when = ago(minutes=2)
    path = write(
        tmp_path,
        [
            f"{HEADER},unsellable,safety_stock",
            f"{first},{east},10,{when},1,2",
            f"{first},{west},20,{when},,",
            f"{second},{east},0,{when},,",
        ],
    )
    code, summary, err = run_import(path, database_url, monkeypatch, capsys)
    assert (code, err) == (0, "")
    assert {k: summary[k] for k in ("rows read", "applied", "stale", "clamped", "errors")} == {
        "rows read": "3",
        "applied": "3",
        "stale": "0",
        "clamped": "0",
        "errors": "0",
    }
    assert float(summary["rows/s"]) > 0
    assert on_hand(api, first) == {east: 10, west: 20}
    assert on_hand(api, second) == {east: 0}
    [node] = [
        e["node"]
        for e in api(POSITIONS, {"sku": first})["inventoryPositions"]["edges"]
        if e["node"]["location"]["code"] == east
    ]
    assert (node["unsellable"], node["safetyStock"]) == (1, 2)


def test_bad_lines_are_reported_by_line_number_and_the_rest_applies(
    api: Api,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    [sku] = factories.product(api)
    loc = factories.location(api)
    when = ago(minutes=2)
    path = write(
        tmp_path,
        [
            HEADER,
            f"{sku},{loc},5,{when}",
            f"{sku},{loc},abc,{when}",
            f"NO-SUCH-SKU,{loc},1,{when}",
            f"{sku},{loc},7,2025-01-01T00:00:00",
            f"{sku},{loc}",
        ],
    )
    code, summary, err = run_import(path, database_url, monkeypatch, capsys)
    assert code == 1
    assert (summary["rows read"], summary["applied"], summary["errors"]) == ("5", "1", "4")
    assert err.splitlines() == [
        "line 3, on_hand: INVALID: on_hand must be a whole number, got 'abc'.",
        "line 4, sku: NOT_FOUND: Unknown SKU 'NO-SUCH-SKU'.",
        "line 5, as_of: INVALID: as_of needs a UTC offset (e.g. 2025-01-31T18:00:00Z), "
        "got '2025-01-01T00:00:00'.",
        "line 6: INVALID: Expected 4 columns, got 2.",
    ]
    assert on_hand(api, sku) == {loc: 5}


def test_an_older_count_is_stale_and_changes_nothing(
    api: Api,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    [sku] = factories.product(api)
    loc = factories.location(api)
    newer = write(tmp_path, [HEADER, f"{sku},{loc},8,{ago(minutes=1)}"])
    assert run_import(newer, database_url, monkeypatch, capsys)[0] == 0
    older = write(tmp_path, [HEADER, f"{sku},{loc},99,{ago(hours=1)}"])
    code, summary, _ = run_import(older, database_url, monkeypatch, capsys)
    assert (code, summary["applied"], summary["stale"]) == (0, "0", "1")
    assert on_hand(api, sku) == {loc: 8}


def test_error_printing_stops_at_a_thousand_lines(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(tmp_path, [HEADER] + ["X,loc,many,2025-01-01T00:00:00Z"] * 1_003)
    code, summary, err = run_import(path, database_url, monkeypatch, capsys)
    lines = err.splitlines()
    assert (code, summary["errors"], len(lines)) == (1, "1003", 1_001)
    assert lines[0] == "line 2, on_hand: INVALID: on_hand must be a whole number, got 'many'."
    assert lines[-1] == "... and 3 more"


def test_a_missing_file_is_an_error(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ORCHESTRA_DATABASE_URL", database_url)
    assert cli(["import", "inventory", str(tmp_path / "none.csv")]) == 1
    assert capsys.readouterr().err.startswith("error: cannot read")


def post_upload(client: TestClient, secret: str, content: str) -> dict[str, Any]:
    """A GraphQL multipart request: `operations`, `map`, then the file part."""
    response = client.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": ("counts.csv", content.encode(), "text/csv")},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def upload(client: TestClient, secret: str, content: str) -> dict[str, Any]:
    body = post_upload(client, secret, content)
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]["inventoryUpload"]
    return result


def test_upload_applies_the_file_and_reports_errors_by_line(
    api: Api, client: TestClient, admin_secret: str
) -> None:
    [sku] = factories.product(api)
    loc = factories.location(api)
    when = ago(minutes=2)
    content = f"{HEADER}\n{sku},{loc},4,{when}\n{sku},NO-SUCH-LOC,1,{when}\n{sku},{loc},-1,{when}\n"
    result = upload(client, admin_secret, content)
    assert result == {
        "applied": 1,
        "duplicates": 0,
        "stale": 0,
        "clamped": 0,
        "userErrors": [
            {
                "field": ["file", "line", "3", "location"],
                "code": "NOT_FOUND",
                "message": "Unknown location 'NO-SUCH-LOC'.",
            },
            {
                "field": ["file", "line", "4", "on_hand"],
                "code": "INVALID",
                "message": "on_hand must not be negative.",
            },
        ],
    }
    assert on_hand(api, sku) == {loc: 4}


def test_upload_as_a_location_bound_partner_is_forbidden_for_other_locations(
    api: Api, client: TestClient
) -> None:
    [sku] = factories.product(api)
    own, other = factories.location(api), factories.location(api)
    secret = factories.token(api, "partner", ["inventory:write"], location=own)
    when = ago(minutes=2)
    content = f"{HEADER}\n{sku},{own},6,{when}\n{sku},{other},9,{when}\n"
    result = upload(client, secret, content)
    assert result["applied"] == 1
    assert result["userErrors"] == [
        {
            "field": ["file", "line", "3", "location"],
            "code": "FORBIDDEN",
            "message": "This token may not update that location.",
        }
    ]
    assert on_hand(api, sku) == {own: 6}


def test_upload_without_inventory_write_is_refused_and_applies_nothing(
    api: Api, client: TestClient
) -> None:
    [sku] = factories.product(api)
    loc = factories.location(api)
    secret = factories.token(api, "admin", ["inventory:read"])
    body = post_upload(client, secret, f"{HEADER}\n{sku},{loc},5,{ago(minutes=2)}\n")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert on_hand(api, sku) == {}


def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of two rows, so a short file runs several batches through the pipeline."""
    monkeypatch.setattr(inventory_import, "ingest_csv", partial(ingest_csv, batch_size=2))


def test_pipelined_batches_apply_in_file_order_and_keep_channel_sums_right(
    api: Api,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Batches 1-2 and 2-3 share SKUs at other locations (they may run together and touch
    # the same channel sums); batch 4 recounts a position of batch 3, so it waits for it.
    channel = factories.channel(api)
    east, west = factories.location(api), factories.location(api)
    factories.view(api, channel, [east, west])
    a, b, c = factories.product(api, skus=3)
    first, later = ago(minutes=3), ago(minutes=2)
    rows = [(a, east, 10), (b, east, 20), (a, west, 5), (c, east, 7)]
    rows += [(b, west, 3), (c, west, 4), (a, east, 11), (b, west, 30)]
    lines = [f"{s},{loc},{n},{later if i >= 6 else first}" for i, (s, loc, n) in enumerate(rows)]
    small_batches(monkeypatch)
    code, summary, err = run_import(
        write(tmp_path, [HEADER, *lines]), database_url, monkeypatch, capsys
    )
    assert (code, err, summary["applied"], summary["stale"]) == (0, "", "8", "0")
    assert on_hand(api, a) == {east: 11, west: 5}
    assert on_hand(api, b) == {east: 20, west: 30}
    assert on_hand(api, c) == {east: 7, west: 4}
    rows_out = availability(api, channel, [a, b, c])
    assert {row["sku"]: row["available"] for row in rows_out} == {a: 16, b: 50, c: 11}


def test_a_failed_batch_reports_the_last_committed_line(
    api: Api,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    skus = factories.product(api, skus=6)
    loc = factories.location(api)
    when = ago(minutes=2)

    async def flaky(updates: Sequence[SetUpdate], *args: Any) -> BatchResult:
        if updates[0].sku == skus[2]:  # the second batch, lines 4-5
            raise RuntimeError("database went away")
        return await set_inventory(updates, *args)

    monkeypatch.setattr(inventory_import, "set_inventory", flaky)
    small_batches(monkeypatch)
    path = write(tmp_path, [HEADER, *(f"{s},{loc},{n},{when}" for n, s in enumerate(skus, 1))])
    code, summary, err = run_import(path, database_url, monkeypatch, capsys)
    assert (code, summary["applied"]) == (1, "2")
    assert "error: import stopped after line 3 (RuntimeError: database went away)" in err
    assert on_hand(api, skus[0]) == {loc: 1}
    assert on_hand(api, skus[2]) == {}
