"""Acquisition endpoints through the real app: permissions, the error shape, results vs the
library (and vs sums computed here from the demo store's raw tables)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from server_helpers import AppEnv, assert_error

TRAFFIC, DIRECTOR, RETENTION = "traffic_ops", "operations_director", "user_ops"
JUNE = "from=2026-06-01&to=2026-06-30"

# (path, a role allowed, a role refused)
ENDPOINTS = [
    (f"/api/v1/channels?{JUNE}", TRAFFIC, RETENTION),
    ("/api/v1/attribution?models=last,linear,markov", TRAFFIC, RETENTION),
    ("/api/v1/acquisition/cohorts", TRAFFIC, RETENTION),
    ("/api/v1/budget/plan?total=400&max_scale=0", DIRECTOR, TRAFFIC),
]


def test_every_acquisition_endpoint_is_covered_here(app_env: AppEnv):
    schema = TestClient(app_env.app).get("/api/v1/openapi.json").json()
    found = {
        path
        for path, ops in schema["paths"].items()
        for op in ops.values()
        if "acquisition" in op.get("tags", [])
    }
    assert found == {"/api/v1/" + p.split("?")[0].removeprefix("/api/v1/") for p, _, _ in ENDPOINTS}


@pytest.mark.parametrize(("path", "allowed", "refused"), ENDPOINTS)
def test_acquisition_endpoints_permissions(client_for, anon, path, allowed, refused):
    ok = client_for(allowed).get(path)
    assert ok.status_code == 200, ok.text
    assert ok.headers["content-type"].startswith("application/json")
    assert_error(anon.get(path), 401, "unauthenticated")
    err = assert_error(client_for(refused).get(path), 403, "forbidden")
    assert err["details"][0]["role"] == refused


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/channels?by=week", 422),
        ("/api/v1/channels?from=30-06-2026", 422),
        ("/api/v1/channels?from=2026-06-30&to=2026-06-01", 400),
        ("/api/v1/channels?from=2031-01-01&to=2031-02-01", 400),
        ("/api/v1/channels?limit=0", 422),
        ("/api/v1/attribution?models=last,astrology", 400),
        ("/api/v1/attribution?models=markov9", 400),
        ("/api/v1/attribution?lookback=0", 422),
        ("/api/v1/attribution?lookback=1000", 422),
        ("/api/v1/attribution?from=2026-06-30&to=2026-06-01", 400),
        ("/api/v1/attribution?from=2031-01-01&to=2031-02-01", 400),
        ("/api/v1/attribution?from=June", 422),
        ("/api/v1/acquisition/cohorts?margin=0", 422),
        ("/api/v1/acquisition/cohorts?margin=1.5", 422),
        ("/api/v1/budget/plan", 422),
        ("/api/v1/budget/plan?total=0", 422),
        ("/api/v1/budget/plan?total=-5", 422),
        ("/api/v1/budget/plan?total=100&objective=clicks", 422),
        ("/api/v1/budget/plan?total=100&weeks=53", 422),
        ("/api/v1/budget/plan?total=10&max_scale=-1", 422),
        ("/api/v1/budget/plan?total=1000000", 400),  # beyond every channel's cap
    ],
)
def test_bad_parameters_get_the_error_shape(client_for, url, status):
    err = assert_error(client_for(DIRECTOR).get(url), status)
    if status == 422:
        assert err["code"] == "validation_error" and err["details"][0]["loc"]


def test_channels_match_raw_tables_and_the_library(client_for, demo_wh):
    from shopscope.acquisition.performance import channel_report
    from shopscope.insight.periods import DateRange

    period = DateRange(date(2026, 6, 1), date(2026, 6, 30))
    lib = channel_report(demo_wh, period)
    c = client_for(TRAFFIC)
    body = c.get(f"/api/v1/channels?{JUNE}&limit=1000").json()
    assert body["period"] == str(period) and body["by"] == "channel"
    assert body["total"] == lib.rows.num_rows and body["next_offset"] is None
    got = {r["channel"]: r for r in body["items"]}
    # spend per channel, summed here from ad_spend independently of the library
    spend = demo_wh.duckdb.sql(
        "select channel, sum(spend) s from ad_spend "
        "where date between '2026-06-01' and '2026-06-30' group by channel"
    ).fetchall()
    assert spend, "the demo store has ad spend"
    for channel, s in spend:
        assert got[channel]["spend"] == pytest.approx(s)
    for r in got.values():
        if r["spend"] > 0:
            assert r["roas"] == pytest.approx(r["revenue"] / r["spend"])
        else:
            assert r["roas"] is None and r["cac"] is None
    t = body["totals"]
    assert t["spend"] == pytest.approx(sum(s for _, s in spend))
    assert t["mer"] == pytest.approx(t["revenue"] / t["spend"])
    assert t == pytest.approx(lib.totals)
    page = c.get(f"/api/v1/channels?{JUNE}&limit=2&offset=1").json()
    assert [r["channel"] for r in page["items"]] == sorted(got)[1:3]
    assert page["next_offset"] == 3


def test_channels_csv_and_day_grain(client_for):
    c = client_for(TRAFFIC)
    export = c.get(f"/api/v1/channels?{JUNE}&format=csv&by=day")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert {"channel", "day", "spend", "cac", "roas"} <= set(rows[0])
    days = {r["day"] for r in rows}
    assert min(days) >= "2026-06-01" and max(days) <= "2026-06-30" and len(days) == 30
    by_channel = c.get(f"/api/v1/channels?{JUNE}&limit=1000").json()["items"]
    for ch in {r["channel"] for r in by_channel}:
        daily = sum(float(r["spend"]) for r in rows if r["channel"] == ch)
        want = next(r["spend"] for r in by_channel if r["channel"] == ch)
        assert daily == pytest.approx(want)


def test_attribution_models_side_by_side(client_for, demo_wh):
    c = client_for(TRAFFIC)
    body = c.get("/api/v1/attribution", params={"models": ["last", "first,linear"]}).json()
    assert body["models"] == ["last", "first", "linear"]
    stats = body["stats"]
    conv = {r["channel"]: r for r in body["conversions"]}
    rev = {r["channel"]: r for r in body["revenue"]}
    for m in body["models"]:
        assert sum(r[m] for r in conv.values()) == pytest.approx(stats["attributed_conversions"])
        assert sum(r[m] for r in rev.values()) == pytest.approx(stats["attributed_value"])
    # last-touch credit of a channel = converting sessions' last touch: at most the purchases
    purchases = demo_wh.duckdb.sql("select count(*) from events where event_type = 'purchase'")
    assert stats["conversions"] <= purchases.fetchone()[0]
    assert {(r["model"], r["channel"]) for r in body["credits"]} == {
        (m, ch) for m in body["models"] for ch in conv
    }
    shorter = c.get("/api/v1/attribution?models=last&lookback=1").json()["stats"]
    assert shorter["attributed_conversions"] <= stats["attributed_conversions"]


def test_cohorts_page_csv_and_channel_summary(client_for):
    c = client_for(TRAFFIC)
    body = c.get("/api/v1/acquisition/cohorts?limit=1000").json()
    items = body["items"]
    assert body["total"] == len(items) > 0 and body["margin"] == 1.0
    for r in items:
        if r["spend"] and r["customers"]:
            assert r["cac"] == pytest.approx(r["spend"] / r["customers"])
        if r["predicted_ltv"] is not None and r["cac"]:
            assert r["ltv_to_cac"] == pytest.approx(r["predicted_ltv"] / r["cac"])
    for s in body["by_channel"]:
        mine = [r for r in items if r["channel"] == s["channel"]]
        assert s["customers"] == sum(r["customers"] for r in mine)
        assert s["spend"] == pytest.approx(sum(r["spend"] or 0 for r in mine))
    half = c.get("/api/v1/acquisition/cohorts?limit=1000&margin=0.5").json()["items"]
    slower = [
        (a["payback_month"], b["payback_month"])
        for a, b in zip(items, half, strict=True)
        if a["payback_month"] is not None and b["payback_month"] is not None
    ]
    assert slower and all(x <= y for x, y in slower)  # a lower margin never pays back sooner
    export = c.get("/api/v1/acquisition/cohorts?format=csv")
    assert len(list(csv.DictReader(io.StringIO(export.text)))) == len(items)


def test_budget_plan_allocates_the_budget_and_is_audited(app_env: AppEnv, client_for):
    from shopscope.appdb import open_appdb, records

    c = client_for(DIRECTOR)
    body = c.get("/api/v1/budget/plan?total=400&objective=revenue&max_scale=0").json()
    assert "not from an experiment" in body["note"]
    alloc = body["allocation"]
    assert {r["channel"] for r in alloc} == {k["channel"] for k in body["curves"]}
    assert sum(r["spend"] for r in alloc) == pytest.approx(400, rel=1e-6)
    # at an interior optimum every channel has the same marginal ROAS
    inner = [r["marginal_roas"] for r in alloc if r["at_bound"] is None and r["spend"] > 1e-6]
    assert max(inner) == pytest.approx(min(inner), rel=1e-3)
    assert body["expected_gain"] == pytest.approx(
        body["predicted_revenue"] - body["current_revenue"]
    )
    assert body["expected_gain"] >= -1e-6  # the current split is a feasible plan
    weekly = c.get("/api/v1/budget/plan?total=5600&weeks=2&outcome=revenue&max_scale=0").json()
    alloc_w = weekly["allocation"]  # daily spend per channel and week
    assert {r["week"] for r in alloc_w} == {0, 1} or {r["week"] for r in alloc_w} == {1, 2}
    assert 7 * sum(r["spend"] for r in alloc_w) == pytest.approx(5600, rel=1e-6)
    db = open_appdb(app_env.appdb)
    with db.session() as s:
        totals = [
            a.details.get("total")
            for a in records.list_audit(s, action="budget.plan", limit=100)
            if a.target == "/api/v1/budget/plan" and a.actor == app_env.accounts[DIRECTOR][0]
        ]
    db.close()
    assert 400 in totals and 5600 in totals


def test_attribution_over_a_date_range(client_for, demo_wh):
    c = client_for(TRAFFIC)
    url = "/api/v1/attribution?models=last,markov"
    everything = c.get(url).json()
    assert everything["period"] is None
    may = c.get(f"{url}&from=2026-05-01&to=2026-05-31").json()
    june = c.get(f"{url}&from=2026-06-01&to=2026-06-30").json()
    both = c.get(f"{url}&from=2026-05-01&to=2026-06-30").json()
    assert june["period"] == "2026-06-01..2026-06-30"
    # a path belongs to the period its conversion falls in: periods add up
    for key in ("conversions", "value", "attributed_conversions"):
        assert may["stats"][key] + june["stats"][key] == pytest.approx(both["stats"][key]), key
    assert both["stats"]["conversions"] < everything["stats"]["conversions"]
    purchases = demo_wh.duckdb.sql(
        "select count(distinct coalesce(order_id, event_id)) from events "
        "where event_type = 'purchase' and occurred_at >= '2026-06-01' "
        "and occurred_at < '2026-07-01'"
    ).fetchone()[0]
    assert june["stats"]["conversions"] == purchases
    for m in june["models"]:
        credited = sum(r[m] for r in june["conversions"])
        assert credited == pytest.approx(june["stats"]["attributed_conversions"])
    # an open end reaches the edge of the data
    since = c.get(f"{url}&from=2026-06-01").json()
    assert since["period"] == "2026-06-01..2026-06-30"
    # parallel float sums may differ in the last bits between two runs
    close = {
        k: pytest.approx(v, rel=1e-9) if isinstance(v, float) else v
        for k, v in june["stats"].items()
    }
    assert since["stats"] == close
    until = c.get(f"{url}&to=2026-06-30").json()
    assert until["stats"]["conversions"] == everything["stats"]["conversions"]


def test_cohort_channel_summary_has_a_payback_month(client_for):
    body = client_for(TRAFFIC).get("/api/v1/acquisition/cohorts?limit=1000").json()
    for s in body["by_channel"]:
        mine = [r for r in body["items"] if r["channel"] == s["channel"]]
        if s["cac"] is None:
            assert s["payback_month"] is None
            continue
        # a pooled payback month lies between the fastest and the slowest cohort that paid back
        paid = [r["payback_month"] for r in mine if r["payback_month"] is not None]
        assert paid and min(paid) <= s["payback_month"] <= max(r["months_observed"] for r in mine)


def test_budget_plan_caps_each_channel_near_the_spend_it_was_fitted_on(client_for):
    c = client_for(DIRECTOR)
    uncapped = c.get("/api/v1/budget/plan?total=40&max_scale=0").json()
    typical = {k["channel"]: k["typical_spend"] for k in uncapped["curves"]}
    for scale in (2.0, 1.5):
        body = c.get(f"/api/v1/budget/plan?total=40&max_scale={scale}").json()
        assert body["max_scale"] == scale
        assert sum(r["spend"] for r in body["allocation"]) == pytest.approx(40, rel=1e-6)
        for r in body["allocation"]:
            assert r["spend"] <= scale * typical[r["channel"]] + 1e-6, r
    over = c.get("/api/v1/budget/plan?total=40&max_scale=0.1")
    err = assert_error(over, 400, "invalid_input")
    assert "max_scale" in err["message"] and "typical daily spend" in err["message"]
