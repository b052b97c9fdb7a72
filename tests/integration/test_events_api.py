"""``POST /api/v1/events`` mounted in the full server: token scopes, ingestion on and off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shopscope.appdb import accounts, open_appdb
from shopscope.server import ServerSettings, create_app
from shopscope.team import role_model
from shopscope.warehouse.connection import connect


def _tokens(appdb: str, warehouse: str) -> dict[str, str]:
    roles = role_model()
    db = open_appdb(appdb, warehouse_url=warehouse, roles=roles.role_tiers())
    out: dict[str, str] = {}
    with db.session() as s:
        director = accounts.create_user(s, "dana", "a-Long-passphrase-1", "operations_director")
        allowed = sorted(roles.grants("operations_director"))
        out["writer"] = accounts.create_token(
            s, director, "collector", ["events.write"], allowed=allowed
        ).secret
        out["reader"] = accounts.create_token(
            s, director, "reports", ["status.read"], allowed=allowed
        ).secret
    db.close()
    return out


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    warehouse = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    connect(warehouse).close()
    appdb = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    tokens = _tokens(appdb, warehouse)
    settings = ServerSettings(warehouse=warehouse, appdb=appdb, ingest_events=True)
    with TestClient(create_app(settings)) as client:
        yield client, tokens, warehouse


def _events(n: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    return [
        {"event_id": f"e{i}", "occurred_at": now, "event_type": "page_view", "session_id": "s1"}
        for i in range(n)
    ]


def test_events_flow_into_the_warehouse_and_reads_keep_working(
    served: tuple[TestClient, dict[str, str], str],
) -> None:
    client, tokens, _ = served
    auth = {"Authorization": f"Bearer {tokens['writer']}"}
    r = client.post("/api/v1/events", json={"events": _events(5)}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"received": 5, "accepted": 5, "rejected": []}
    holder = client.app.state.shopscope.extra["ingestor"]  # type: ignore[attr-defined]
    holder["ingestor"].loader.flush()
    status = client.get("/api/v1/status", headers={"Authorization": f"Bearer {tokens['reader']}"})
    assert status.status_code == 200, status.text
    counts = {t["name"]: t["rows"] for t in status.json()["status"]["tables"]}
    assert counts["events"] == 5


def test_token_scopes_and_errors_follow_the_api_shape(
    served: tuple[TestClient, dict[str, str], str],
) -> None:
    client, tokens, _ = served
    r = client.post("/api/v1/events", json=_events(1))
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    r = client.post(
        "/api/v1/events", json=_events(1), headers={"Authorization": f"Bearer {tokens['reader']}"}
    )
    assert r.status_code == 403 and r.json()["error"]["details"][0]["permission"] == "events.write"
    r = client.post(
        "/api/v1/events",
        content=b"{oops",
        headers={"Authorization": f"Bearer {tokens['writer']}"},
    )
    assert r.status_code == 400 and set(r.json()["error"]) == {
        "status",
        "code",
        "message",
        "details",
    }


def test_without_ingestion_the_endpoint_says_how_to_turn_it_on(tmp_path: Path) -> None:
    warehouse = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    connect(warehouse).close()
    appdb = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    tokens = _tokens(appdb, warehouse)
    with TestClient(create_app(ServerSettings(warehouse=warehouse, appdb=appdb))) as client:
        r = client.post(
            "/api/v1/events",
            json=_events(1),
            headers={"Authorization": f"Bearer {tokens['writer']}"},
        )
    assert r.status_code == 503
    assert "--ingest-events" in r.json()["error"]["message"]
