"""Strategic budget plan page: split a daily ad budget across channels on fitted response curves.

The form is a GET form, so a plan is a shareable URL. The plan comes from
:func:`shopscope.server.api.budget.budget_plan_for`, the function behind
``GET /api/v1/budget/plan``, and is written to the audit log the same way.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
import plotly.graph_objects as go
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from plotly.colors import qualitative

from shopscope.errors import ShopscopeError
from shopscope.server.api.budget import (
    DEFAULT_MAX_SCALE,
    BudgetPlanView,
    CurveForm,
    Objective,
    Outcome,
    budget_plan_for,
    current_spend_for,
    record_budget_plan,
)
from shopscope.server.api.common import shop_currency
from shopscope.server.auth import Principal, require
from shopscope.server.i18n import Catalog, catalog
from shopscope.server.pages import NavItem
from shopscope.server.pages.charts import figure_json
from shopscope.server.pages.render import page_language, render
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["NAV", "router", "split_chart", "split_rows"]

router = APIRouter(include_in_schema=False)
NAV = (NavItem("nav.budget", "/strategic/budget", "budget.plan", 11),)
CURVE_POINTS = 60
PALETTE = qualitative.Plotly
"""One colour per channel: its curve and its current and recommended points."""
MIN_SPEND_DAYS = 56
"""Days of spend below which the page warns (and the strategic overview shows no plan)."""


def split_rows(view: BudgetPlanView) -> list[dict[str, Any]]:
    """One row per channel (and week): current and recommended daily spend, change, outcome."""
    out = []
    for r in view.plan.rows:
        change = None if r.current_spend is None else r.spend - r.current_spend
        out.append(
            {
                "channel": r.channel,
                "week": r.week,
                "current_spend": r.current_spend,
                "recommended_spend": r.spend,
                "change": change,
                "change_rel": change / r.current_spend
                if change is not None and r.current_spend
                else None,
                "predicted_outcome": r.outcome,
                "predicted_revenue": r.revenue,
                "marginal_return": r.marginal_roas,
                "at_bound": r.at_bound,
            }
        )
    return out


def _per_channel(rows: list[dict[str, Any]]) -> dict[str, tuple[float | None, float]]:
    """Mean daily (current, recommended) spend per channel over the plan's weeks."""
    acc: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        acc.setdefault(r["channel"], []).append(r)
    out: dict[str, tuple[float | None, float]] = {}
    for ch, rs in acc.items():
        cur = [r["current_spend"] for r in rs if r["current_spend"] is not None]
        rec = math.fsum(r["recommended_spend"] for r in rs) / len(rs)
        out[ch] = (math.fsum(cur) / len(cur) if cur else None, rec)
    return out


def split_chart(t: Catalog, rows: list[dict[str, Any]]) -> Any:
    """Grouped bars per channel: current and recommended daily spend."""
    split = _per_channel(rows)
    names = list(split)
    fig = go.Figure(
        [
            go.Bar(x=names, y=[split[n][0] for n in names], name=t("acq.budget.col.current")),
            go.Bar(x=names, y=[split[n][1] for n in names], name=t("acq.budget.col.recommended")),
        ]
    )
    fig.update_layout(
        title={"text": t("acq.budget.split_chart"), "font": {"size": 14}}, barmode="group"
    )
    return figure_json(fig)


def curves_chart(t: Catalog, view: BudgetPlanView, rows: list[dict[str, Any]]) -> Any:
    """Predicted revenue per day against daily spend for each channel, current and plan marked."""
    split = _per_channel(rows)
    value = view.value_per_outcome
    traces = []
    for i, c in enumerate(view.curves):
        colour = PALETTE[i % len(PALETTE)]
        v = value.get(c.channel, 0.0) if isinstance(value, dict) else float(value)
        cur, rec = split.get(c.channel, (None, 0.0))
        top = max(2.0 * c.typical_spend, 1.3 * max(cur or 0.0, rec), 1.0)
        x = np.linspace(0.0, top, CURVE_POINTS)
        traces.append(
            go.Scatter(
                x=x.tolist(),
                y=(v * c.response(x)).tolist(),
                mode="lines",
                name=c.channel,
                line={"color": colour},
            )
        )
        marks = [
            (cur, t("acq.budget.col.current"), "circle"),
            (rec, t("acq.budget.col.recommended"), "diamond"),
        ]
        for spend, label, symbol in marks:
            if spend is not None:
                traces.append(
                    go.Scatter(
                        x=[spend],
                        y=[float(v * c.response(spend))],
                        mode="markers",
                        name=f"{c.channel}: {label}",
                        marker={"size": 10, "symbol": symbol, "color": colour},
                        showlegend=False,
                    )
                )
    fig = go.Figure(traces)
    fig.update_layout(title={"text": t("acq.budget.curves_chart"), "font": {"size": 14}})
    fig.update_xaxes(title_text=t("acq.budget.axis_spend"))
    fig.update_yaxes(title_text=t("acq.budget.axis_revenue"), rangemode="tozero")
    return figure_json(fig)


def _curve_rows(view: BudgetPlanView) -> list[dict[str, Any]]:
    return [
        {
            "channel": c.channel,
            "form": c.form,
            "outcome": c.outcome,
            "typical_spend": c.typical_spend,
            "days": c.days,
            "r_squared": c.r_squared,
        }
        for c in view.curves
    ]


@router.get("/strategic/budget")
def budget(
    request: Request,
    wh: Annotated[Warehouse, Depends(open_warehouse)],
    p: Annotated[Principal, Depends(require("budget.plan"))],
    total: Annotated[float | None, Query(gt=0, le=1e12)] = None,
    objective: Annotated[Objective, Query()] = "revenue",
    outcome: Annotated[Outcome, Query()] = "new_customers",
    form: Annotated[CurveForm, Query()] = "power",
    margin: Annotated[float, Query(gt=0, le=1)] = 1.0,
    weeks: Annotated[int, Query(ge=0, le=52)] = 0,
    max_scale: Annotated[float, Query(ge=0, le=100)] = DEFAULT_MAX_SCALE,
) -> Response:
    """The plan of a daily budget: table, current vs recommended chart, response curves."""
    t = catalog(page_language(request, p))
    current = current_spend_for(request, wh)
    current_total = math.fsum(current.values())
    daily = total if total is not None else (round(current_total, 2) or None)
    view: BudgetPlanView | None = None
    reason = detail = None
    if not current and total is None:
        reason = t("acq.budget.no_spend")
    elif daily is None:
        reason = t("acq.budget.no_recent_spend")
    else:
        try:
            view = budget_plan_for(
                request,
                wh,
                daily * 7 * weeks if weeks else daily,
                objective=objective,
                outcome=outcome,
                form=form,
                margin=margin,
                weeks=weeks,
                max_scale=max_scale,
            )
        except ShopscopeError as exc:
            reason, detail = t("acq.budget.unavailable"), str(exc)
    rows = split_rows(view) if view is not None else []
    short = None
    if view is not None:
        record_budget_plan(request, p, view)
        days = min(c.days for c in view.curves)
        if days < MIN_SPEND_DAYS:
            short = t("acq.budget.short_history", days=days, needed=MIN_SPEND_DAYS)
    return render(
        request,
        "budget/budget.html",
        principal=p,
        view=view,
        rows=rows,
        reason=reason,
        detail=detail,
        short=short,
        current_total=current_total,
        params={
            "total": daily,
            "objective": objective,
            "outcome": outcome,
            "form": form,
            "margin": margin,
            "weeks": weeks,
            "max_scale": max_scale,
        },
        split_chart=split_chart(t, rows) if rows else None,
        curves_chart=curves_chart(t, view, rows) if view is not None else None,
        currency=shop_currency(request, wh),
        tables={"plan": rows, "curves": _curve_rows(view) if view is not None else []},
    )
