"""Supply endpoints through the real app: permissions, the error shape, results vs the library."""

from __future__ import annotations

import csv
import io
import warnings
from datetime import date

import pytest
from fastapi.testclient import TestClient
from server_helpers import AppEnv, assert_error

SUPPLY, RETENTION, EXECUTION = "category_ops", "user_ops", "cs_agent"

# (path, a role allowed, a role refused; None: every role holds the permission)
READS = [
    ("/api/v1/replenishment", SUPPLY, RETENTION),
    ("/api/v1/forecast", SUPPLY, RETENTION),
    ("/api/v1/assortment/abc", SUPPLY, RETENTION),
    ("/api/v1/assortment/abc/items", SUPPLY, RETENTION),
    ("/api/v1/assortment/basket", SUPPLY, RETENTION),
    ("/api/v1/routes", EXECUTION, None),
    ("/api/v1/picklists", EXECUTION, None),
]


def test_every_supply_endpoint_is_covered_here(app_env: AppEnv):
    schema = TestClient(app_env.app).get("/api/v1/openapi.json").json()
    found = {
        path
        for path, ops in schema["paths"].items()
        for op in ops.values()
        if "supply" in op.get("tags", [])
    }
    assert found == {p for p, _a, _r in READS}


@pytest.mark.parametrize(("path", "allowed", "refused"), READS)
def test_supply_endpoints_permissions(client_for, anon, path, allowed, refused):
    ok = client_for(allowed).get(path)
    assert ok.status_code == 200, ok.text
    assert ok.headers["content-type"].startswith("application/json")
    assert_error(anon.get(path), 401, "unauthenticated")
    if refused is not None:
        err = assert_error(client_for(refused).get(path), 403, "forbidden")
        assert err["details"][0]["role"] == refused


def test_operate_endpoints_refuse_a_token_without_the_permission(app_env: AppEnv, client_for):
    c = client_for(SUPPLY)
    headers = {"X-CSRF-Token": c.get("/api/v1/me").json()["csrf_token"]}
    made = c.post(
        "/api/v1/tokens", json={"name": "reader", "scopes": ["supply.read"]}, headers=headers
    )
    bearer = {"Authorization": f"Bearer {made.json()['token']}"}
    bot = TestClient(app_env.app, raise_server_exceptions=False)
    assert bot.get("/api/v1/assortment/abc", headers=bearer).status_code == 200
    for path in ("/api/v1/routes", "/api/v1/picklists"):
        err = assert_error(bot.get(path, headers=bearer), 403, "forbidden")
        assert err["details"][0]["permission"] == "supply.operate"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/replenishment?service_level=1.5", 422),
        ("/api/v1/replenishment?as_of=yesterday", 422),
        ("/api/v1/replenishment?limit=0", 422),
        ("/api/v1/replenishment?location=mars", 404),
        ("/api/v1/forecast?level=region", 422),
        ("/api/v1/forecast?days=0", 422),
        ("/api/v1/forecast?days=91", 422),
        ("/api/v1/forecast?level=sku", 400),
        ("/api/v1/forecast?level=sku&key=NO-SUCH-SKU", 404),
        ("/api/v1/forecast?level=category&key=Spaceships", 404),
        ("/api/v1/assortment/abc?from=2030-01-01&to=2030-02-01", 400),
        ("/api/v1/assortment/abc?from=2026-06-30&to=2026-06-01", 400),
        ("/api/v1/assortment/abc/items?cell=AQ", 422),
        ("/api/v1/assortment/basket?min_support=0", 422),
        ("/api/v1/routes?day=2030-01-01", 400),
        ("/api/v1/routes?day=30-06-2026", 422),
        ("/api/v1/picklists?day=2030-01-01", 400),
        ("/api/v1/picklists?max_orders=0", 422),
    ],
)
def test_bad_parameters_get_the_error_shape(client_for, url, status):
    err = assert_error(client_for("operations_director").get(url), status)
    if status == 422:
        assert err["code"] == "validation_error" and err["details"][0]["loc"]


def test_replenishment_matches_the_library_and_filters(client_for, demo_wh):
    from shopscope.supply.inventory import replenishment_plan

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan = replenishment_plan(demo_wh)
    want = plan.orders.to_pylist()
    c = client_for(SUPPLY)
    body = c.get("/api/v1/replenishment?only_orders=true&limit=1000").json()
    assert body["total"] == len(want) > 0
    got = body["items"]
    assert [(r["sku"], r["location"]) for r in got] == [(r["sku"], r["location"]) for r in want]
    assert [r["order_qty"] for r in got] == pytest.approx([r["order_qty"] for r in want])
    assert [r["order_by"] for r in got] == [r["order_by"].isoformat() for r in want]
    everything = c.get("/api/v1/replenishment?limit=1").json()
    assert everything["total"] == plan.rows.num_rows and everything["next_offset"] == 1
    location = want[0]["location"]
    only = c.get(f"/api/v1/replenishment?only_orders=true&location={location}&limit=1000").json()
    assert only["total"] == sum(r["location"] == location for r in want)
    export = c.get("/api/v1/replenishment?only_orders=true&format=csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == len(want) and rows[0]["sku"] == want[0]["sku"]


def test_forecast_of_one_series_matches_the_library(client_for, demo_wh):
    from shopscope.supply.forecast import ForecastConfig, demand_panel, forecast_panel

    panel = demand_panel(demo_wh, level="category")
    key = panel.ids[0]
    lib = forecast_panel(panel.rows([0]), ForecastConfig(horizon=14, heavy_series=0))
    body = (
        client_for(SUPPLY)
        .get("/api/v1/forecast", params={"level": "category", "key": key, "days": 14})
        .json()
    )
    assert body["key"] == key and body["days"] == 14 and len(body["forecast"]) == 14
    assert [r["forecast"] for r in body["forecast"]] == pytest.approx(
        lib.forecast.column("forecast").to_pylist()
    )
    for r in body["forecast"]:
        assert r["lower"] <= r["forecast"] <= r["upper"]
    assert body["model"] == lib.series.column("model")[0].as_py()
    assert len(body["history"]) == 56
    assert body["history"][-1]["date"] < body["forecast"][0]["date"]
    assert body["history"][-1]["units"] == pytest.approx(float(panel.values[0, -1]))
    assert set(body["accuracy"]) >= {"mase", "wape", "bias"}
    assert body["benchmark"]["model"] == "seasonal_naive"


def test_abc_matrix_agrees_with_its_items(client_for):
    c = client_for(SUPPLY)
    abc = c.get("/api/v1/assortment/abc").json()
    items = c.get("/api/v1/assortment/abc/items?limit=1000").json()
    cells = {m["cell"]: m["skus"] for m in abc["matrix"]}
    assert len(cells) == 9 and sum(cells.values()) == items["total"] > 0
    for cell, n in cells.items():
        assert c.get(f"/api/v1/assortment/abc/items?cell={cell}").json()["total"] == n
    rules = c.get("/api/v1/assortment/basket?top=10").json()
    assert 0 < rules["total"] <= 10
    lifts = [r["lift"] for r in rules["items"]]
    assert all(r["confidence"] >= 0.05 for r in rules["items"]) and lifts


def test_routes_visit_each_order_once(client_for, demo_wh):
    from shopscope.supply.routing.deliveries import day_orders

    c = client_for(EXECUTION)
    body = c.get("/api/v1/routes?day=2026-06-30").json()
    orders = day_orders(demo_wh, date(2026, 6, 30)).to_pylist()
    stops = [row["stop_id"] for row in body["manifest"]]
    assert len(stops) == len(set(stops)) == body["totals"]["stops"] > 0
    routable = {o["order_id"] for o in orders if o["ship_lat"] is not None and o["load"] > 0}
    assert routable <= set(stops) <= {o["order_id"] for o in orders}
    assert set(body["missing_coordinates"]) == {
        o["order_id"] for o in orders if o["ship_lat"] is None
    }
    assert 0 <= body["totals"]["on_time_share"] <= 1
    assert sum(v["stops"] for v in body["vehicles"]) == len(stops)
    manifest = c.get("/api/v1/routes?day=2026-06-30&format=csv")
    assert manifest.status_code == 403  # the execution tier cannot export CSV
    picks = c.get("/api/v1/picklists?day=2026-06-30").json()
    assert picks["orders"] > 0 and picks["distance_m"] <= picks["single_order_distance_m"]
    picked = sum(s["quantity"] for b in picks["batches"] for s in b["stops"])
    assert picked == sum(b["units"] for b in picks["batches"])
