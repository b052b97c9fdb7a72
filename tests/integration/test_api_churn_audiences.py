"""Churn risk and audiences through the REST API: permissions, results, CSV, error shape."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from server_helpers import login

from shopscope.cli.server import create_demo_accounts
from shopscope.retention.audiences import save_audience
from shopscope.retention.churn import churn_risk
from shopscope.server import ServerSettings, create_app
from shopscope.warehouse.connection import Warehouse, connect

Client = Callable[[str], TestClient]


def test_churn_ranks_customers_as_the_library_does(client_for: Client, demo_wh: Warehouse) -> None:
    r = client_for("user_ops").get("/api/v1/churn?from=2026-04-01&to=2026-06-30&limit=5")
    assert r.status_code == 200, r.text
    body = r.json()
    direct = churn_risk(demo_wh, from_date=date(2026, 4, 1), to_date=date(2026, 6, 30), limit=None)
    assert body["total"] == direct.customers.num_rows
    assert [c["customer_id"] for c in body["items"]] == direct.customers.column(
        "customer_id"
    ).to_pylist()[:5]


def test_churn_and_audiences_need_retention_read(client_for: Client) -> None:
    for path in ("/api/v1/churn", "/api/v1/audiences"):
        r = client_for("cs_agent").get(path)
        assert r.status_code == 403
        assert r.json()["error"]["details"][0]["permission"] == "retention.read"
    bad = client_for("user_ops").get("/api/v1/churn?from=yesterday")
    assert bad.status_code == 422 and bad.json()["error"]["code"]


def test_audience_members_export_as_csv(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    with connect(url) as wh:
        from shopscope.warehouse.demo import generate_demo

        generate_demo(wh, size=3000, seed=3, end_date=date(2026, 6, 30), days=200)
        ids = wh.duckdb.execute("SELECT customer_id FROM customers ORDER BY 1 LIMIT 3").fetchall()
        save_audience(wh, "winback", [i[0] for i in ids], description="test")
    appdb = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    accounts = {a.role: a for a in create_demo_accounts(appdb, url, seed=1)}
    app = create_app(ServerSettings(warehouse=url, appdb=appdb))
    with TestClient(app) as client:
        user = accounts["user_ops"]
        assert login(client, user.username, user.password).status_code == 303
        listed = client.get("/api/v1/audiences").json()
        assert [a["name"] for a in listed["items"]] == ["winback"]
        r = client.get("/api/v1/audiences/winback/members?format=csv")
        assert r.status_code == 200, r.text
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert [row["customer_id"] for row in rows] == [i[0] for i in ids]
        assert {"email_opt_in", "country", "city"} <= set(rows[0])
        missing = client.get("/api/v1/audiences/nobody/members")
        assert missing.status_code == 404 and "winback" in missing.json()["error"]["message"]
