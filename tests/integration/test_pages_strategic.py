"""The strategic overview's panels through the real app: cohort LTV vs CAC, demand and stock risk,
the budget plan; both languages, CSV exports, figures against the API and the raw tables, and
shops that lack ad spend, inventory or history (the panel says why, the page still answers)."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from html import escape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_helpers import charts_of, csv_rows, english_only_messages, login, main_of

from shopscope.server.i18n import Formatter, catalog

DIRECTOR = "operations_director"
PANELS = ("panel-ltv-cac", "panel-demand", "panel-budget")
NEW_CHARTS = {"chart-ltv-cac", "chart-demand", "chart-budget"}
TABLES = ("ltv_cac", "demand_forecast", "stock_risk", "budget_split")


def _num(value: str) -> float | None:
    return float(value) if value != "" else None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_panels_render_in_each_language(client_for, lang):
    c = client_for(DIRECTOR)
    c.cookies.set("shopscope_lang", lang)
    try:
        r = c.get("/strategic")
    finally:
        c.cookies.delete("shopscope_lang")
    assert r.status_code == 200, r.text[:300]
    main = main_of(r.text)
    assert "⟦" not in main, re.findall("⟦[^⟧]*⟧", main)
    t = catalog(lang)
    for key in ("strategic.ltv_cac", "strategic.demand", "strategic.stock", "strategic.budget"):
        assert f">{escape(t(key), quote=False)}<" in main, key
    for panel in PANELS:
        assert f'id="{panel}"' in main
    assert set(charts_of(r.text)) >= NEW_CHARTS
    assert 'data-reason="' not in main  # the demo store has everything the panels need
    assert 'href="/strategic/budget"' in main and 'href="/execution/restock"' in main
    if lang == "zh":
        leaked = sorted(m for m in english_only_messages() if f">{m}<" in main)
        assert leaked == [], leaked


def test_lower_tiers_are_refused_the_overview(client_for):
    for role in ("traffic_ops", "cs_agent"):
        r = client_for(role).get("/strategic")
        assert r.status_code == 403 and 'data-code="forbidden"' in r.text


@pytest.mark.parametrize("table", TABLES)
def test_panel_tables_export_as_csv(client_for, table):
    c = client_for(DIRECTOR)
    assert f"export={table}" in c.get("/strategic").text
    assert csv_rows(c, f"/strategic?export={table}")
    assert client_for("cs_agent").get(f"/strategic?export={table}").status_code == 403


def test_ltv_cac_panel_matches_the_cohorts_api(client_for):
    c = client_for(DIRECTOR)
    api = c.get("/api/v1/acquisition/cohorts?limit=1").json()["by_channel"]
    rows = csv_rows(c, "/strategic?export=ltv_cac")
    assert [r["channel"] for r in rows] == [a["channel"] for a in api]
    for row, a in zip(rows, api, strict=True):
        assert int(row["customers"]) == a["customers"]
        for key in ("cac", "predicted_ltv", "ltv_to_cac", "revenue_per_customer"):
            assert _num(row[key]) == pytest.approx(a[key]), key
        assert row["payback_month"] == (
            "" if a["payback_month"] is None else str(a["payback_month"])
        )
    chart = charts_of(c.get("/strategic").text)["chart-ltv-cac"]["data"]
    assert chart[0]["x"] == [a["channel"] for a in api]
    assert chart[0]["y"] == pytest.approx([a["predicted_ltv"] for a in api])
    paid = [a for a in api if a["cac"] is not None]
    assert paid, "the demo store has paid channels"
    assert all(a["ltv_to_cac"] == pytest.approx(a["predicted_ltv"] / a["cac"]) for a in paid)


def test_channel_payback_pools_the_cohorts_observed_long_enough():
    from shopscope.server.api.acquisition import cohort_summary

    m1, m2 = date(2026, 1, 1), date(2026, 2, 1)
    rows = [  # (cohort, customers, spend, months observed); revenue per customer below
        {"channel": "ads", "cohort": m1, "customers": 10, "spend": 300.0, "months_observed": 3,
         "revenue_per_customer": 40.0, "predicted_ltv": None},
        {"channel": "ads", "cohort": m2, "customers": 30, "spend": 600.0, "months_observed": 2,
         "revenue_per_customer": 25.0, "predicted_ltv": None},
        {"channel": "free", "cohort": m1, "customers": 5, "spend": 0.0, "months_observed": 3,
         "revenue_per_customer": 9.0, "predicted_ltv": None},
    ]  # fmt: skip
    cum = {(m1, 0): 12.0, (m1, 1): 25.0, (m1, 2): 40.0, (m2, 0): 15.0, (m2, 1): 25.0}
    curves = [
        {"channel": "ads", "cohort": c, "period": k, "cumulative_revenue_per_customer": v}
        for (c, k), v in cum.items()
    ]
    # month 0: both cohorts, 10*12 + 30*15 = 570 < 900 spent; month 1: 10*25 + 30*25 = 1000
    ads, free = cohort_summary(rows, curves, 1.0)
    assert ads["cac"] == pytest.approx(900 / 40) and ads["payback_month"] == 1
    # at margin 0.9, month 1 gives 900 >= 900; at 0.8 month 1 falls short (800) and month 2
    # has only the January cohort: 0.8 * 10 * 40 = 320 >= 300
    assert cohort_summary(rows, curves, 0.9)[0]["payback_month"] == 1
    assert cohort_summary(rows, curves, 0.8)[0]["payback_month"] == 2
    assert cohort_summary(rows, curves, 0.5)[0]["payback_month"] is None  # 200 < 300
    assert free["cac"] is None and free["payback_month"] is None
    assert cohort_summary(rows)[0]["payback_month"] is None  # no curves, no payback


def test_demand_panel_against_the_raw_sale_lines(client_for, demo_wh):
    c = client_for(DIRECTOR)
    rows = csv_rows(c, "/strategic?export=demand_forecast")
    total = next(r for r in rows if r["level"] == "total")
    cats = [r for r in rows if r["level"] == "category"]
    last = demo_wh.duckdb.sql("select max(ordered_at)::date from orders").fetchone()[0]
    first = last - timedelta(days=27)
    units = demo_wh.duckdb.sql(
        "select sum(i.quantity) from order_items i join orders o using (order_id) "
        "left join products p using (sku) "
        "where i.quantity > 0 and o.status not in ('cancelled', 'returned', 'refunded') "
        "and coalesce(p.item_kind, 'product') in ('product', 'gift_card') "
        f"and o.ordered_at::date between '{first}' and '{last}'"
    ).fetchone()[0]
    assert float(total["last_units"]) == pytest.approx(float(units))
    assert sum(float(r["last_units"]) for r in cats) == pytest.approx(float(units))
    for r in rows:
        lo, point, hi = float(r["lower"]), float(r["forecast_units"]), float(r["upper"])
        assert 0 <= lo <= point <= hi, r
    # the forecast of the total and the sum of the categories' forecasts tell the same story
    assert sum(float(r["forecast_units"]) for r in cats) == pytest.approx(
        float(total["forecast_units"]), rel=0.15
    )
    chart = charts_of(c.get("/strategic").text)["chart-demand"]["data"]
    assert chart[1]["y"] == pytest.approx([float(r["forecast_units"]) for r in cats])


def test_stock_panel_matches_the_replenishment_plan(client_for):
    c = client_for(DIRECTOR)
    plan = c.get("/api/v1/replenishment?limit=1000").json()["items"]
    risky = [p for p in plan if (p["stockout_risk"] or 0) > 0.05]
    rows = csv_rows(c, "/strategic?export=stock_risk")
    assert risky and len(rows) == len(risky)
    assert {(r["sku"], r["location"]) for r in rows} == {(p["sku"], p["location"]) for p in risky}
    risks = [float(r["stockout_risk"]) for r in rows]
    assert risks == sorted(risks, reverse=True)
    html = c.get("/strategic").text
    summary = catalog("en")(
        "strategic.stock_summary",
        day="30 Jun 2026",
        skus=Formatter("en").number(len({p["sku"] for p in risky})),
        rows=Formatter("en").number(len(risky)),
        allowed="5%",
        level="95%",
        value=Formatter("en").money(sum(p["order_value"] or 0 for p in risky), "GBP"),
        restock=Formatter("en").money(
            sum(p["order_value"] or 0 for p in plan if (p["order_qty"] or 0) > 0), "GBP"
        ),
    )
    assert escape(summary, quote=False) in html
    top = re.search(r'id="panel-demand".*?</section>', html, flags=re.S).group(0)
    assert [s for s in re.findall(r'<th scope="row">([A-Z]{3}-\d{4})</th>', top)] == [
        r["sku"] for r in rows[:5]
    ]


def test_budget_panel_splits_the_current_spend(client_for, demo_wh):
    c = client_for(DIRECTOR)
    rows = csv_rows(c, "/strategic?export=budget_split")
    last = demo_wh.duckdb.sql("select max(date) from ad_spend").fetchone()[0]
    spend = dict(
        demo_wh.duckdb.sql(
            "select channel, sum(spend) / 28 from ad_spend "
            f"where date > date '{last}' - interval 28 day group by channel"
        ).fetchall()
    )
    assert {r["channel"] for r in rows} == set(spend)
    for r in rows:
        assert float(r["current_spend"]) == pytest.approx(spend[r["channel"]], rel=1e-3)
    total = sum(spend.values())
    assert sum(float(r["recommended_spend"]) for r in rows) == pytest.approx(total, rel=1e-3)
    api = c.get(f"/api/v1/budget/plan?total={round(total, 2)}").json()
    want = {a["channel"]: a["spend"] for a in api["allocation"]}
    assert {r["channel"]: float(r["recommended_spend"]) for r in rows} == pytest.approx(want)
    assert api["expected_gain"] >= -1e-6


# -- shops that lack what the panels need --------------------------------------------------------


def _shop_app(src_url: str, folder: Path, sql: list[str]) -> Callable[[str], TestClient]:
    from shopscope.cli.server import create_demo_accounts
    from shopscope.server import ServerSettings, create_app
    from shopscope.warehouse.connection import connect

    path = folder / "shop.duckdb"
    shutil.copy(src_url.removeprefix("duckdb:///"), path)
    url = f"duckdb:///{path}"
    with connect(url) as wh:
        for statement in sql:
            wh.duckdb.execute(statement)
    appdb = f"sqlite:///{folder / 'app.sqlite3'}"
    accounts = {a.role: a for a in create_demo_accounts(appdb, url, seed=5)}
    app = create_app(ServerSettings(warehouse=url, appdb=appdb))

    def client(lang: str) -> TestClient:
        c = TestClient(app, raise_server_exceptions=False)
        user = accounts[DIRECTOR]
        assert login(c, user.username, user.password).status_code == 303
        c.cookies.set("shopscope_lang", lang)
        return c

    return client


@pytest.fixture(scope="module")
def bare_shop(demo_url, tmp_path_factory) -> Callable[[str], TestClient]:
    """The demo store without ad spend and inventory."""
    folder = tmp_path_factory.mktemp("bare_shop")
    return _shop_app(demo_url, folder, ["DELETE FROM ad_spend", "DELETE FROM inventory"])


@pytest.fixture(scope="module")
def short_shop(demo_url, tmp_path_factory) -> Callable[[str], TestClient]:
    """The demo store cut to its last 21 days."""
    cut = "2026-06-10"
    folder = tmp_path_factory.mktemp("short_shop")
    return _shop_app(
        demo_url,
        folder,
        [
            "DELETE FROM order_items WHERE order_id IN "
            f"(SELECT order_id FROM orders WHERE ordered_at < '{cut}')",
            f"DELETE FROM orders WHERE ordered_at < '{cut}'",
            f"DELETE FROM events WHERE occurred_at < '{cut}'",
            f"DELETE FROM ad_spend WHERE date < '{cut}'",
            f"DELETE FROM inventory WHERE date < '{cut}'",
            f"DELETE FROM customers WHERE first_seen_at < '{cut}'",
        ],
    )


def _reasons(main: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for panel, text in re.findall(r'data-reason="([a-z_]+)">(.*?)</p>', main, flags=re.S):
        found.setdefault(panel, []).append(re.sub(r"<[^>]+>", "", text))
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_shop_without_ad_spend_or_inventory_says_why(bare_shop, lang):
    c = bare_shop(lang)
    r = c.get("/strategic")
    assert r.status_code == 200, r.text[:300]
    main = main_of(r.text)
    assert "⟦" not in main
    t = catalog(lang)
    reasons = _reasons(main)
    assert reasons["ltv_cac"] == [escape(t("strategic.reason.no_ad_spend_cac"), quote=False)]
    assert reasons["stock"] == [escape(t("strategic.reason.no_inventory"), quote=False)]
    assert reasons["budget"] == [escape(t("strategic.reason.no_ad_spend"), quote=False)]
    assert "demand" not in reasons  # orders are all the forecast needs
    charts = set(charts_of(r.text))
    assert {"chart-ltv-cac", "chart-demand"} <= charts and "chart-budget" not in charts
    # no acquisition cost is shown as "not available", never as a zero
    ltv = re.search(r'id="panel-ltv-cac".*?</section>', main, flags=re.S).group(0)
    assert "£0.00" not in ltv and "–" in ltv
    rows = list(csv.DictReader(io.StringIO(c.get("/strategic?export=ltv_cac").text)))
    assert rows and all(row["cac"] == "" for row in rows)
    budget = c.get("/strategic/budget")
    assert budget.status_code == 200
    assert escape(t("acq.budget.no_spend"), quote=False) in budget.text
    assert "data-chart" not in budget.text


def test_shop_with_three_weeks_of_history_says_why(short_shop):
    c = short_shop("en")
    r = c.get("/strategic")
    assert r.status_code == 200, r.text[:300]
    t = catalog("en")
    reasons = _reasons(main_of(r.text))
    days = "21"
    short = escape(t("strategic.reason.short_history", days=days, needed="92"), quote=False)
    assert reasons["demand"] == [short] and reasons["stock"] == [short]
    assert reasons["budget"] == [
        escape(t("strategic.reason.short_spend", days=days, needed="56"), quote=False)
    ]
    assert reasons["ltv_cac"] == [
        escape(t("strategic.reason.early_cohorts", days=days, needed="90"), quote=False)
    ]
    assert "chart-ltv-cac" in charts_of(r.text)  # early figures are shown, flagged
    budget = c.get("/strategic/budget")  # the budget page plans, with a warning
    assert budget.status_code == 200 and 'id="budget-short"' in budget.text
