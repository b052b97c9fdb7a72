"""Targets endpoints through the real app: progress (strategic), setting a target (audited)."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from server_helpers import assert_error, login

from shopscope.appdb import open_appdb, records
from shopscope.warehouse.connection import connect

DIRECTOR, TACTICAL = "operations_director", "category_ops"


def csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def planted_channel(url: str) -> str:
    with connect(url, read_only=True) as wh:
        row = wh.duckdb.execute(
            "SELECT key FROM demo_truth WHERE name = 'budget_overspend'"
        ).fetchone()
    assert row is not None
    return str(row[0])


@pytest.fixture(scope="module")
def writable(demo_url, tmp_path_factory) -> tuple[str, str, Callable[[str], TestClient]]:
    """An app on a private copy of the demo store (tests here write targets)."""
    from shopscope.cli.server import create_demo_accounts
    from shopscope.server import ServerSettings, create_app

    root = tmp_path_factory.mktemp("targets_api")
    path = root / "demo.duckdb"
    shutil.copy(demo_url.removeprefix("duckdb:///"), path)
    url, appdb = f"duckdb:///{path}", f"sqlite:///{root / 'app.sqlite3'}"
    accounts = {a.role: (a.username, a.password) for a in create_demo_accounts(appdb, url, seed=3)}
    app = create_app(ServerSettings(warehouse=url, appdb=appdb, login_max_failures=1000))

    def client(role: str) -> TestClient:
        c = TestClient(app, raise_server_exceptions=False)
        assert login(c, *accounts[role]).status_code == 303
        return c

    return url, appdb, client


def test_progress_for_the_strategic_tier(client_for, app_env):
    r = client_for(DIRECTOR).get("/api/v1/targets", params={"as_of": "2026-06-30"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["month"] == "2026-06-01" and body["as_of"] == "2026-06-30"
    assert body["total"] == len(body["items"]) >= 5 and body["note"] is None
    status = {(i["metric"], i["channel"]): i["status"] for i in body["items"]}
    assert status[("ad_spend", planted_channel(app_env.warehouse))] == "over_budget"
    assert sum(s == "over_budget" for s in status.values()) == 1
    first = body["items"][0]
    assert {"target_to_date", "projected", "gap_rel", "prorating", "share"} <= set(first)
    other = client_for(DIRECTOR).get("/api/v1/targets", params={"month": "2020-01"})
    assert other.status_code == 200 and other.json()["total"] == 0 and other.json()["note"]
    csv = client_for(DIRECTOR).get("/api/v1/targets", params={"format": "csv"})
    assert csv.status_code == 200 and csv.text.startswith("metric,channel,month")


def test_tactical_tier_is_refused(client_for):
    err = assert_error(client_for(TACTICAL).get("/api/v1/targets"), 403, "forbidden")
    assert "workspace.strategic" in err["message"]
    body = {"metric": "orders", "month": "2026-07", "value": 1}
    c = client_for(TACTICAL)
    assert_error(c.put("/api/v1/targets", json=body, headers=csrf(c)), 403, "forbidden")


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"month": "2026-13"}, 400),
        ({"month": "June"}, 400),
        ({"month": "2026-07", "as_of": "2026-06-30"}, 400),
        ({"as_of": "not-a-day"}, 422),
        ({"tolerance": "2"}, 422),
        ({"month": "2026-06-0001"}, 422),
    ],
)
def test_bad_parameters(client_for, params, status):
    assert_error(client_for(DIRECTOR).get("/api/v1/targets", params=params), status)


def test_set_a_target_then_see_it_and_its_audit_entry(writable):
    url, appdb, client = writable
    c = client(DIRECTOR)
    planted = planted_channel(url)
    body = {"metric": "ad_spend", "channel": planted, "month": "2026-06", "value": 5000}
    r = c.put("/api/v1/targets", json=body, headers=csrf(c))
    assert r.status_code == 200, r.text
    assert r.json()["value"] == 5000.0 and r.json()["month"] == "2026-06-01"
    items = c.get("/api/v1/targets", params={"as_of": "2026-06-30"}).json()["items"]
    row = next(i for i in items if i["channel"] == planted)
    assert row["target"] == 5000.0 and row["status"] == "under_budget"
    made = c.post(
        "/api/v1/targets",
        json={"metric": "orders", "month": "2026-07", "value": 10, "note": "plan"},
        headers=csrf(c),
    )
    assert made.status_code == 201, made.text
    db = open_appdb(appdb)
    try:
        with db.session() as s:
            entries = records.list_audit(s, action="targets.set")
            assert {e.target for e in entries} == {
                f"ad_spend:{planted}:2026-06",
                "orders:*:2026-07",
            }
    finally:
        db.close()


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"metric": "revenue", "month": "2026-07", "value": 1}, 400, "Unknown target metric"),
        ({"metric": "orders", "month": "2026-07", "value": -1}, 400, ">= 0"),
        ({"metric": "orders", "month": "2026-7x", "value": 1}, 400, "Malformed month"),
        (
            {"metric": "ad_spend", "month": "2026-07", "value": 1, "channel": "tv"},
            400,
            "Unknown channel 'tv'",
        ),
        ({"metric": "orders", "month": "2026-07", "value": "lots"}, 422, ""),
        ({"metric": "orders", "value": 1}, 422, ""),
    ],
)
def test_bad_targets_are_refused(writable, body, status, fragment):
    _, _, client = writable
    c = client(DIRECTOR)
    err = assert_error(c.put("/api/v1/targets", json=body, headers=csrf(c)), status)
    assert fragment in err["message"]


def test_setting_needs_the_csrf_header_on_a_session(writable):
    _, _, client = writable
    body = {"metric": "orders", "month": "2026-07", "value": 1}
    assert_error(client(DIRECTOR).put("/api/v1/targets", json=body), 403)
