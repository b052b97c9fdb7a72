"""Panels of the strategic overview: cohort LTV vs CAC, demand and stock risk, the budget plan.

Each panel is built from cached results (the same ones the acquisition, supply and budget pages
use) and never fails the page: when the shop lacks what a panel needs (no ad spend, no
inventory, too little history) or the computation fails, the panel carries the reason, in the
page's language, instead of its figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
from fastapi import Request

from shopscope.errors import ShopscopeError
from shopscope.server.api.acquisition import cohort_summary, cohorts_for
from shopscope.server.api.budget import budget_plan_for, current_spend_for
from shopscope.server.api.common import cached
from shopscope.server.api.supply import plan_for, plan_rows
from shopscope.server.i18n import Catalog, Formatter
from shopscope.server.pages.budget import MIN_SPEND_DAYS, split_chart, split_rows
from shopscope.server.pages.charts import figure_json
from shopscope.warehouse.connection import Warehouse

__all__ = ["Panel", "budget_panel", "demand_panel", "ltv_cac_panel", "stock_panel"]

HORIZON = 28
"""Days forecast, and days of actual demand they are compared with."""
COVERAGE = 0.8
"""Prediction-interval coverage of the demand forecast."""
SERVICE_LEVEL = 0.95
"""Service level of the replenishment plan (the supply pages use the same, so it is shared)."""
TOP_AT_RISK = 5
MIN_FORECAST_DAYS = 3 * HORIZON + 8
"""Three 28-day backtest windows plus a week and a day of training: the forecast's minimum."""
MIN_COHORT_DAYS = 90
"""History below which cohort LTV and payback are flagged as early."""


@dataclass(frozen=True)
class Panel:
    """One panel: its figures (``None`` when it cannot be shown), reasons and a failure detail.

    ``reasons`` are translated sentences (why the panel or a part of it is missing, or why its
    figures are early); ``detail`` is the library's own message when a computation failed.
    """

    data: Any
    reasons: tuple[str, ...] = field(default=())
    detail: str | None = None


@dataclass(frozen=True)
class ShopFacts:
    """What the panels need to know before computing: rows and days of the inputs."""

    ad_spend_rows: int
    ad_spend_days: int
    inventory_rows: int
    history_days: int


def shop_facts(request: Request, wh: Warehouse) -> ShopFacts:
    """Counts of ``ad_spend`` and ``inventory`` and the days of order history (cached)."""

    def compute() -> ShopFacts:
        from shopscope.insight.periods import data_range

        a = wh.table("ad_spend")
        spend = a.aggregate(n=a.count(), days=a.date.nunique()).to_pyarrow().to_pylist()[0]
        inv = wh.table("inventory")
        inventory = int(inv.count().to_pyarrow().as_py())
        found = data_range(wh)
        return ShopFacts(int(spend["n"]), int(spend["days"]), inventory, found.days if found else 0)

    facts: ShopFacts = cached(request, "strategic_facts", compute)
    return facts


def _failed(t: Catalog, exc: ShopscopeError) -> Panel:
    return Panel(None, (t("strategic.reason.failed"),), str(exc))


def _too_short(t: Catalog, f: Formatter, key: str, days: int, needed: int) -> Panel:
    """No figures: ``days`` of data where the panel needs ``needed`` (message ``key``)."""
    return Panel(None, (t(key, days=f.number(days), needed=f.number(needed)),))


# -- cohort LTV vs CAC -------------------------------------------------------------------------


def ltv_cac_chart(t: Catalog, rows: list[dict[str, Any]]) -> Any:
    """Grouped bars per acquisition channel: predicted LTV and CAC (no bar where unknown)."""
    names = [r["channel"] for r in rows]
    fig = go.Figure(
        [
            go.Bar(x=names, y=[r["predicted_ltv"] for r in rows], name=t("strategic.col.ltv")),
            go.Bar(x=names, y=[r["cac"] for r in rows], name=t("strategic.col.cac")),
        ]
    )
    fig.update_layout(
        title={"text": t("strategic.ltv_cac_chart"), "font": {"size": 14}}, barmode="group"
    )
    return figure_json(fig)


def ltv_cac_panel(request: Request, wh: Warehouse, t: Catalog, f: Formatter) -> Panel:
    """Per acquisition channel: customers, CAC, revenue per customer, LTV, LTV/CAC, payback."""
    facts = shop_facts(request, wh)
    try:
        cohorts = cohorts_for(request, wh)
    except ShopscopeError as exc:
        return _failed(t, exc)
    rows = cohort_summary(cohorts.rows.to_pylist(), cohorts.curves.to_pylist(), cohorts.margin)
    if not rows:
        return Panel(None, (t("strategic.reason.no_cohorts"),))
    reasons = []
    if facts.ad_spend_rows == 0:
        reasons.append(t("strategic.reason.no_ad_spend_cac"))
    if all(r["predicted_ltv"] is None for r in rows):
        reasons.append(t("strategic.reason.no_ltv"))
    if facts.history_days < MIN_COHORT_DAYS:
        reasons.append(
            t(
                "strategic.reason.early_cohorts",
                days=f.number(facts.history_days),
                needed=f.number(MIN_COHORT_DAYS),
            )
        )
    data = {"rows": rows, "chart": ltv_cac_chart(t, rows), "months": cohorts.horizon_months}
    return Panel(data, tuple(reasons))


# -- demand forecast and stock risk -------------------------------------------------------------


def _sum_interval(forecast: list[dict[str, Any]], growth: float) -> tuple[float, float, float]:
    """The horizon's total with an interval: the daily residual quantiles times ``h ** growth``.

    A series' daily bounds are ``max(point + q, 0)`` with one residual quantile ``q`` per tail;
    ``q`` is recovered from the days the bound is not clipped at zero, and the spread of a sum
    of ``h`` days' errors grows as ``h ** b`` (``ForecastResult.error_growth``).
    """
    point = math.fsum(r["forecast"] for r in forecast)
    low = min(r["lower"] - r["forecast"] for r in forecast)
    high = max(r["upper"] - r["forecast"] for r in forecast)
    scale = len(forecast) ** growth
    return point, max(point + low * scale, 0.0), max(point + high * scale, 0.0)


def _demand(wh: Warehouse) -> list[dict[str, Any]]:
    from shopscope.supply.forecast import ForecastConfig, demand_panel, forecast_panel

    config = ForecastConfig(horizon=HORIZON, heavy_series=0, coverage=COVERAGE)
    out = []
    for level in ("total", "category"):
        panel = demand_panel(wh, level=level)
        result = forecast_panel(panel, config)
        by_series: dict[str, list[dict[str, Any]]] = {}
        for r in result.forecast.to_pylist():
            by_series.setdefault(r["series_id"], []).append(r)
        for i, key in enumerate(panel.ids):
            point, lower, upper = _sum_interval(by_series[key], result.error_growth)
            actual = float(panel.values[i, -HORIZON:].sum())
            out.append(
                {
                    "level": level,
                    "series": key,
                    "last_units": actual,
                    "forecast_units": point,
                    "lower": lower,
                    "upper": upper,
                    "change": point / actual - 1.0 if actual > 0 else None,
                }
            )
    return out


def demand_chart(t: Catalog, rows: list[dict[str, Any]]) -> Any:
    """Per category: units of the last 28 days and the forecast of the next 28 with its interval."""
    cats = [r for r in rows if r["level"] == "category"]
    names = [r["series"] for r in cats]
    fig = go.Figure(
        [
            go.Bar(x=names, y=[r["last_units"] for r in cats], name=t("strategic.col.last_units")),
            go.Bar(
                x=names,
                y=[r["forecast_units"] for r in cats],
                name=t("strategic.col.forecast_units"),
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [r["upper"] - r["forecast_units"] for r in cats],
                    "arrayminus": [r["forecast_units"] - r["lower"] for r in cats],
                },
            ),
        ]
    )
    fig.update_layout(
        title={"text": t("strategic.demand_chart"), "font": {"size": 14}}, barmode="group"
    )
    figure = figure_json(fig)
    # long category names are slanted: room below the axis, the legend under them
    figure["layout"].update(height=400, margin={"l": 50, "r": 10, "t": 30, "b": 120})
    figure["layout"]["xaxis"] = {"tickangle": -30}
    figure["layout"]["legend"] = {"orientation": "h", "y": -0.55}
    return figure


def demand_panel(request: Request, wh: Warehouse, t: Catalog, f: Formatter) -> Panel:
    """Units forecast for the next 28 days, in total and per category, vs the last 28 days."""
    facts = shop_facts(request, wh)
    if facts.history_days < MIN_FORECAST_DAYS:
        days = facts.history_days
        return _too_short(t, f, "strategic.reason.short_history", days, MIN_FORECAST_DAYS)
    try:
        rows = cached(request, ("strategic_demand", HORIZON, COVERAGE), lambda: _demand(wh))
    except ShopscopeError as exc:
        return _failed(t, exc)
    total = next((r for r in rows if r["level"] == "total"), None)
    data = {
        "rows": rows,
        "total": total,
        "chart": demand_chart(t, rows),
        "days": HORIZON,
        "coverage": COVERAGE,
    }
    return Panel(data)


def stock_panel(request: Request, wh: Warehouse, t: Catalog, f: Formatter) -> Panel:
    """SKUs whose stock-out risk exceeds what the service level allows, and what to order."""
    facts = shop_facts(request, wh)
    if facts.inventory_rows == 0:
        return Panel(None, (t("strategic.reason.no_inventory"),))
    if facts.history_days < MIN_FORECAST_DAYS:
        days = facts.history_days
        return _too_short(t, f, "strategic.reason.short_history", days, MIN_FORECAST_DAYS)
    try:
        plan = plan_for(request, wh, None, SERVICE_LEVEL)
    except ShopscopeError as exc:
        return _failed(t, exc)
    allowed = 1.0 - plan.service_level
    risky = sorted(
        (r for r in plan_rows(plan) if (r["stockout_risk"] or 0.0) > allowed),
        key=lambda r: (-r["stockout_risk"], r["sku"], r["location"]),
    )
    data = {
        "as_of": plan.as_of,
        "service_level": plan.service_level,
        "skus": len({r["sku"] for r in risky}),
        "rows": len(risky),
        "order_value": math.fsum(r["order_value"] or 0.0 for r in risky),
        "restock_value": math.fsum(
            r["order_value"] or 0.0 for r in plan_rows(plan, only_orders=True)
        ),
        "top": risky[:TOP_AT_RISK],
        "at_risk": risky,
    }
    return Panel(data)


# -- budget plan ---------------------------------------------------------------------------------


def budget_panel(request: Request, wh: Warehouse, t: Catalog, f: Formatter) -> Panel:
    """Current daily spend per channel vs the recommended split of the same total."""
    facts = shop_facts(request, wh)
    if facts.ad_spend_rows == 0:
        return Panel(None, (t("strategic.reason.no_ad_spend"),))
    if facts.ad_spend_days < MIN_SPEND_DAYS:
        return _too_short(t, f, "strategic.reason.short_spend", facts.ad_spend_days, MIN_SPEND_DAYS)
    current = current_spend_for(request, wh)
    total = math.fsum(current.values())
    if not total > 0:
        return Panel(None, (t("strategic.reason.no_recent_spend"),))
    try:
        view = budget_plan_for(request, wh, round(total, 2))
    except ShopscopeError as exc:
        return _failed(t, exc)
    rows = split_rows(view)
    data = {"view": view, "rows": rows, "total": view.plan.budget, "chart": split_chart(t, rows)}
    return Panel(data)


def panel_tables(panels: dict[str, Panel]) -> dict[str, list[dict[str, Any]]]:
    """The panels' tables for CSV export (empty when a panel has no figures)."""

    def rows(name: str, key: str) -> list[dict[str, Any]]:
        data = panels[name].data
        return list(data[key]) if data is not None else []

    return {
        "ltv_cac": rows("ltv_cac", "rows"),
        "demand_forecast": rows("demand", "rows"),
        "stock_risk": rows("stock", "at_risk"),
        "budget_split": rows("budget", "rows"),
    }
