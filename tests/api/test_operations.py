"""Operations: /metrics, one log line per operation, request ids, JSON when the database
is down, SQL parameters never in errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from persistence.database import Database
from resolvers.ids import parse_int_id
from server.app import create_app
from server.logging_setup import json_formatter
from server.metrics import MAX_OPERATION_NAMES, Metrics
from server.settings import Settings
from tests.conftest import Api
from tests.servers import free_port


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def operations(found: dict[Any, float], name: str, outcome: str) -> float:
    key = (
        "orchestra_graphql_operations_total",
        (("operation", name), ("outcome", outcome), ("type", "query")),
    )
    return found.get(key, 0.0)


def test_metrics_count_operations_by_name_and_outcome_and_report_the_moving_parts(
    api: Api, client: TestClient
) -> None:
    before = samples(client)
    api("query MetricsProbe { viewer { name } }")
    api("query MetricsProbe { viewer { name } }")
    assert "errors" in api.raw("query MetricsMistake { nope }")
    after = samples(client)
    assert operations(after, "MetricsProbe", "ok") - operations(before, "MetricsProbe", "ok") == 2
    assert (
        operations(after, "MetricsMistake", "client_error")
        - operations(before, "MetricsMistake", "client_error")
        == 1
    )
    count = (
        "orchestra_graphql_operation_duration_seconds_count",
        (("operation", "MetricsProbe"), ("type", "query")),
    )
    assert after[count] - before.get(count, 0) == 2
    names = {name for name, _ in after}
    for gauge in (
        "orchestra_db_pool_connections_in_use",
        "orchestra_outbox_unrelayed_rows",
        "orchestra_outbox_unrelayed_oldest_age_seconds",
        "orchestra_event_log_tail_lag_events",
        "orchestra_subscribers",
        "orchestra_bus_redis_connected",
        "orchestra_bus_reconnects_total",
        "orchestra_http_responses_total",
    ):
        assert gauge in names, gauge
    assert after[("orchestra_bus_redis_connected", ())] == 1.0


def test_operation_names_in_metrics_are_bounded() -> None:
    metrics = Metrics()
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("x" * 65) == "invalid"
    labels = {metrics.operation_label(f"Op{n}") for n in range(MAX_OPERATION_NAMES + 50)}
    assert len(labels) == MAX_OPERATION_NAMES + 1
    assert "other" in labels
    assert metrics.operation_label("Op0") == "Op0"  # names seen before keep their label


def test_one_log_line_per_operation_with_the_token_id_and_never_the_secret(
    api: Api, admin_secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    token_id = parse_int_id(api("{ viewer { id } }")["viewer"]["id"], "ApiToken")
    with caplog.at_level(logging.INFO):
        api.client.post(
            "/graphql",
            json={"query": "query LogProbe { viewer { name } }"},
            headers={"Authorization": f"Bearer {admin_secret}", "X-Request-Id": "log-probe-1"},
        )
        api.raw("query LogMistake { nope }")
        for _ in range(2):  # the second is served by the direct path (server/pipeline.py)
            api.raw(
                "query LogVariable($n: Int!) { products(first: $n) { totalCount } }", {"n": "x"}
            )
    lines = [r for r in caplog.records if r.name == "orchestra.operations"]
    probe = [r for r in lines if getattr(r, "operation", None) == "LogProbe"]
    assert len(probe) == 1
    record: Any = probe[0]
    assert record.levelno == logging.INFO
    assert (record.request_id, record.operation_type, record.outcome) == (
        "log-probe-1",
        "query",
        "ok",
    )
    assert token_id is not None
    assert record.token_id == token_id
    assert record.duration_ms >= 0
    mistake: Any = next(r for r in lines if getattr(r, "operation", None) == "LogMistake")
    assert (mistake.levelno, mistake.outcome) == (logging.INFO, "client_error")
    # The code the client was sent, not UNCODED: the line is written before the response.
    assert mistake.error_codes == ["GRAPHQL_VALIDATION_FAILED"]
    variable = [r for r in lines if getattr(r, "operation", None) == "LogVariable"]
    assert [getattr(r, "error_codes", None) for r in variable] == [["BAD_USER_INPUT"]] * 2
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # refusals are not faults
    rendered = [json_formatter().format(r) for r in caplog.records]
    assert not [line for line in rendered if admin_secret in line]
    parsed = json.loads(json_formatter().format(probe[0]))
    assert parsed["message"] == "graphql operation"
    assert parsed["level"] == "INFO"
    assert parsed["request_id"] == "log-probe-1"


def test_server_faults_are_logged_at_error(
    api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resolvers import catalog

    async def broken(*_: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(catalog, "channels", broken)
    with caplog.at_level(logging.INFO):
        api.raw("query FaultProbe { channels { code } }")
    line: Any = next(r for r in caplog.records if getattr(r, "operation", None) == "FaultProbe")
    assert (line.levelno, line.outcome, line.error_codes) == (
        logging.ERROR,
        "server_error",
        ["INTERNAL"],
    )


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        ("abc-123.X_y", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("has space", False),
        ("<script>", False),
        ("", False),
    ],
)
def test_request_ids_from_clients_are_bounded_and_validated(
    client: TestClient, sent: str, echoed: bool
) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": sent})
    got = response.headers["x-request-id"]
    if echoed:
        assert got == sent
    else:
        assert got != sent
        assert len(got) == 16
        assert got.isalnum()


def test_sql_parameters_never_appear_in_errors(database_url: str) -> None:
    import asyncio

    async def failing() -> str:
        db = Database(database_url)
        try:
            async with db.read() as conn:
                await conn.execute(
                    text("SELECT * FROM no_such_table WHERE x = :p"), {"p": "s3cr3t"}
                )
        except Exception as error:
            return str(error)
        finally:
            await db.dispose()
        return ""

    message = asyncio.run(failing())
    assert "no_such_table" in message
    assert "s3cr3t" not in message


@pytest.fixture(scope="module")
def database_down() -> Iterator[TestClient]:
    """The app pointed at a PostgreSQL port where nothing listens."""
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/gone"
    with TestClient(create_app(Settings(database_url=url))) as client:
        yield client


def test_with_the_database_down_every_answer_is_json_with_a_code_and_request_id(
    database_down: TestClient, admin_secret: str
) -> None:
    response = database_down.post(
        "/graphql",
        json={"query": "{ viewer { name } }"},
        headers={"Authorization": f"Bearer {admin_secret}", "X-Request-Id": "db-down-1"},
    )
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "1"
    assert response.json() == {
        "errors": [
            {
                "message": "Service temporarily unavailable.",
                "extensions": {"code": "UNAVAILABLE", "requestId": "db-down-1"},
            }
        ]
    }
    ready = database_down.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["checks"]["database"] == "down"
    assert database_down.get("/metrics").status_code == 200
    anonymous = database_down.post("/graphql", json={"query": "{ apiLimits }"})
    assert anonymous.status_code == 200
    assert "data" in anonymous.json()


def test_a_database_outage_inside_a_resolver_is_unavailable_not_internal(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resolvers import catalog

    async def unreachable(*_: Any) -> Any:
        raise ConnectionRefusedError(111, "Connect call failed")

    monkeypatch.setattr(catalog, "channels", unreachable)
    # A document no other test sends: an earlier test's `{ channels { code } }` may still
    # be in the 1-second response cache, and then no resolver runs at all.
    [error] = api.raw("{ outage: channels { code } }")["errors"]
    assert error["message"] == "Service temporarily unavailable."
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert error["extensions"]["requestId"]


def test_with_the_database_down_a_websocket_is_told_to_try_again_later(
    database_down: TestClient, admin_secret: str
) -> None:
    with database_down.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {admin_secret}"}}
        )
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1013  # RFC 6455 "Try Again Later", not 4403 Forbidden
    assert "unavailable" in (closed.value.reason or "")


def test_metrics_can_require_a_token(settings: Settings) -> None:
    guarded = replace(settings, metrics_token="scrape-me")
    with TestClient(create_app(guarded)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert ok.status_code == 200
        assert "orchestra_subscribers" in ok.text


def test_a_refused_request_id_is_replaced_everywhere_it_appears(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        content=b"{not json",
        headers={"Content-Type": "application/json", "X-Request-Id": "x" * 500 + "<b>"},
    )
    generated = response.headers["x-request-id"]
    assert len(generated) == 16
    assert response.json()["errors"][0]["extensions"]["requestId"] == generated
