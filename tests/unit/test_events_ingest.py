"""Real-time event intake: validation, exactly-once loading, quarantine, back-pressure, the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Header, HTTPException
from fastapi.testclient import TestClient

from shopscope.errors import BackendUnavailableError, OverloadedError
from shopscope.server.events import EventIngestor, Rejection, events_router, validate_event
from shopscope.warehouse.connection import Warehouse, connect

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _event(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{i}",
        "occurred_at": "2026-11-24T11:00:00Z",
        "event_type": "page_view",
        "session_id": f"s{i % 7}",
        "anonymous_id": f"a{i % 5}",
        "device": "mobile",
        **extra,
    }


@pytest.fixture
def file_wh(tmp_path: Path) -> Iterator[Warehouse]:
    warehouse = connect(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    yield warehouse
    warehouse.close()


@pytest.fixture
def ingestor(file_wh: Warehouse, tmp_path: Path) -> Iterator[EventIngestor]:
    service = EventIngestor(file_wh, tmp_path / "journal", max_batch=100, max_backlog=250)
    yield service
    service.journal.close()


def _count(wh: Warehouse, sql: str) -> int:
    row = wh.duckdb.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not an object", "not_an_object"),
        ({"occurred_at": "2026-11-24T11:00:00Z", "event_type": "page_view"}, "bad_event_id"),
        ({**_event(1), "occurred_at": "yesterday"}, "bad_timestamp"),
        ({**_event(1), "occurred_at": "1999-12-31T23:00:00Z"}, "bad_timestamp"),
        ({**_event(1), "occurred_at": "2026-11-26T12:00:00Z"}, "bad_timestamp"),
        ({**_event(1), "event_type": "teleport"}, "unknown_event_type"),
        ({**_event(1), "device": "toaster"}, "unknown_device"),
        ({**_event(1), "revenue": "12"}, "bad_revenue"),
        ({**_event(1), "revenue": True}, "bad_revenue"),
        ({**_event(1), "properties": [1, 2]}, "bad_properties"),
        ({**_event(1), "colour": "red"}, "unknown_field"),
        ({**_event(1), "sku": "x" * 2000}, "bad_value"),
        ({k: v for k, v in _event(1).items() if k != "event_type"}, "missing_event_type"),
    ],
)
def test_bad_events_are_rejected_with_a_reason(raw: Any, code: str) -> None:
    result = validate_event(raw, 3, NOW)
    assert isinstance(result, Rejection)
    assert result.code == code and result.index == 3 and result.message


def test_timestamps_are_converted_to_utc_microseconds() -> None:
    row = validate_event({**_event(1), "occurred_at": "2026-11-24T13:00:00.5+02:00"}, 0, NOW)
    assert not isinstance(row, Rejection)
    expected = datetime(2026, 11, 24, 11, 0, 0, 500_000, tzinfo=UTC)
    assert row["occurred_at"] == int(expected.timestamp() * 1_000_000)
    naive = validate_event({**_event(1), "occurred_at": "2026-11-24T11:00:00"}, 0, NOW)
    assert not isinstance(naive, Rejection)
    assert naive["occurred_at"] == int(datetime(2026, 11, 24, 11, tzinfo=UTC).timestamp() * 1e6)


def test_events_load_exactly_once_and_rejections_are_quarantined(
    ingestor: EventIngestor, file_wh: Warehouse
) -> None:
    batch = [_event(i) for i in range(10)] + [{**_event(99), "event_type": "teleport"}]
    first = ingestor.ingest_sync(batch)
    assert (first.received, first.accepted, len(first.rejected)) == (11, 10, 1)
    again = ingestor.ingest_sync([_event(i) for i in range(5, 15)])  # ids 5..9 repeat
    assert again.accepted == 10
    result = ingestor.loader.flush()
    assert (result.inserted, result.duplicates, result.rejected) == (15, 5, 1)
    assert _count(file_wh, "SELECT count(*) FROM events") == 15
    assert _count(file_wh, "SELECT count(DISTINCT event_id) FROM events") == 15
    reason = file_wh.duckdb.execute(
        "SELECT q.reason_code, q.raw_record, l.rows_quarantined FROM quarantine q "
        "JOIN ingest_log l USING (batch_id)"
    ).fetchall()
    assert len(reason) == 1 and reason[0][0] == "unknown_event_type"
    assert json.loads(reason[0][1])["event_id"] == "e99" and reason[0][2] == 1
    assert ingestor.loader.flush().records == 0  # nothing new: checkpoint advanced
    ingestor.ingest_sync([_event(3)])  # a retry of an already loaded event
    assert ingestor.loader.flush().inserted == 0
    stats = ingestor.stats()
    assert (stats.loaded, stats.duplicates, stats.backlog) == (15, 6, 0)


def test_restart_replays_the_journal_without_loss_or_duplicates(
    file_wh: Warehouse, tmp_path: Path
) -> None:
    first = EventIngestor(file_wh, tmp_path / "journal")
    first.ingest_sync([_event(i) for i in range(20)])
    first.loader.flush()
    first.ingest_sync([_event(i) for i in range(20, 30)])  # acknowledged, not yet loaded
    first.journal.close()  # the process "dies" before its loader runs again
    second = EventIngestor(file_wh, tmp_path / "journal")
    recovered = second.start()
    second.close()
    assert recovered.inserted == 10
    assert _count(file_wh, "SELECT count(*) FROM events") == 30
    assert _count(file_wh, "SELECT count(DISTINCT event_id) FROM events") == 30


def test_backlog_beyond_the_limit_is_refused_with_a_retry_hint(ingestor: EventIngestor) -> None:
    ingestor.ingest_sync([_event(i) for i in range(100)])
    ingestor.ingest_sync([_event(i) for i in range(100, 200)])
    with pytest.raises(OverloadedError, match="behind") as info:
        ingestor.ingest_sync([_event(i) for i in range(200, 300)])
    assert info.value.retry_after >= 1
    ingestor.loader.flush()
    assert ingestor.ingest_sync([_event(i) for i in range(200, 300)]).accepted == 100


def test_spark_warehouses_are_refused_with_a_way_out(tmp_path: Path) -> None:
    class FakeSpark:  # only the attributes the check reads
        backend_name = "spark"
        url = "spark:///x"

    with pytest.raises(BackendUnavailableError, match="sync"):
        EventIngestor(FakeSpark(), tmp_path)  # type: ignore[arg-type]


@pytest.fixture
def client(ingestor: EventIngestor) -> Iterator[TestClient]:
    def authorize(authorization: str | None = Header(default=None)) -> None:
        if authorization != "Bearer good":
            raise HTTPException(401, "token")

    app = FastAPI()
    app.include_router(events_router(lambda: ingestor, authorize, max_body_bytes=20_000))
    with TestClient(app) as test_client:
        yield test_client


def _post(client: TestClient, body: Any, token: str = "good") -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        "/api/v1/events", content=content, headers={"Authorization": f"Bearer {token}"}
    )


def test_api_reports_each_rejected_event(client: TestClient) -> None:
    now = datetime.now(UTC)
    good = {**_event(1), "occurred_at": now.isoformat()}
    late = {**_event(2), "occurred_at": (now + timedelta(days=3)).isoformat()}
    response = _post(client, {"events": [good, late]})
    assert response.status_code == 200
    body = response.json()
    assert (body["received"], body["accepted"]) == (2, 1)
    assert body["rejected"] == [
        {
            "index": 1,
            "event_id": "e2",
            "code": "bad_timestamp",
            "message": body["rejected"][0]["message"],
        }
    ]
    assert _post(client, [good]).json()["accepted"] == 1  # a bare array works too


def test_api_errors_have_one_shape(client: TestClient) -> None:
    cases = [
        (_post(client, b"{not json"), 400, "malformed_json"),
        (_post(client, {"events": "nope"}), 400, "bad_shape"),
        (_post(client, {"events": [_event(i) for i in range(101)]}), 413, "batch_too_large"),
        (_post(client, b"[" + b" " * 30_000 + b"]"), 413, "payload_too_large"),
    ]
    for response, status, code in cases:
        assert response.status_code == status
        assert response.json()["error"]["code"] == code
    assert _post(client, [_event(1)], token="bad").status_code == 401


def test_api_answers_429_with_retry_after(client: TestClient, ingestor: EventIngestor) -> None:
    for start in (0, 100):
        assert _post(client, [_event(i) for i in range(start, start + 100)]).status_code == 200
    response = _post(client, [_event(i) for i in range(200, 300)])
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "overloaded"
