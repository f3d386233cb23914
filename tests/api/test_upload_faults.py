"""inventoryUpload with one bad row after 5,000 good ones: the good ones are applied and the
bad line is named; a server fault mid-file says which lines are committed."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from domain.inventory import handlers
from tests import factories
from tests.api.test_inventory_import import HEADER, post_upload
from tests.conftest import Api

AS_OF = "2024-01-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def five_thousand(api: Api) -> list[str]:
    """5,000 distinct positions: 100 SKUs at 50 locations, as CSV rows."""
    skus = factories.product(api, skus=100)
    locations = [factories.location(api) for _ in range(50)]
    return [f"{sku},{location},7,{AS_OF}" for location in locations for sku in skus]


def test_a_bad_row_after_5000_good_ones_is_named_and_the_rest_applied(
    client: TestClient, admin_secret: str, five_thousand: list[str]
) -> None:
    sku, location = five_thousand[0].split(",")[:2]
    bad = f"{sku},{location},1,0001-01-01T00:00:00+14:00"
    body = post_upload(client, admin_secret, "\n".join([HEADER, *five_thousand, bad]) + "\n")
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["inventoryUpload"]
    assert result["applied"] + result["stale"] == 5000
    assert result["userErrors"] == [
        {
            "field": ["file", "line", "5002", "as_of"],
            "code": "INVALID",
            "message": "as_of must be between 1970 and 9000.",
        }
    ]


def test_a_fault_mid_file_reports_what_is_committed(
    client: TestClient,
    admin_secret: str,
    five_thousand: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = 0
    original = handlers.set_inventory

    async def failing_second_batch(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionResetError("the database went away")
        return await original(*args)

    monkeypatch.setattr(handlers, "set_inventory", failing_second_batch)
    extra = five_thousand[0].replace(",7,", ",8,")  # a 5,001st row: a second batch
    content = "\n".join([HEADER, *five_thousand[1:], five_thousand[0], extra]) + "\n"
    body = post_upload(client, admin_secret, content)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["extensions"]["committedThrough"] == 5001
    assert error["extensions"]["requestId"]
    assert "lines 2 to 5001 are committed" in error["message"]
    assert "went away" not in str(body)
