"""Supply pages: category & supply (tactical), the restock list and delivery routes (execution)."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal

import plotly.graph_objects as go
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from plotly.subplots import make_subplots

from shopscope.errors import ShopscopeError
from shopscope.server.api.common import shop_currency
from shopscope.server.api.supply import (
    abc_for,
    forecast_for,
    plan_for,
    plan_rows,
    routes_for,
    routes_summary,
)
from shopscope.server.auth import Principal, require
from shopscope.server.i18n import Catalog, catalog
from shopscope.server.pages import NavItem
from shopscope.server.pages.charts import figure_json
from shopscope.server.pages.render import page_language, render
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = (
    NavItem("nav.supply", "/tactical/supply", "supply.read", 24),
    NavItem("nav.restock", "/execution/restock", "supply.operate", 32),
    NavItem("nav.routes", "/execution/routes", "supply.operate", 33),
)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Location = Annotated[str | None, Query(max_length=64)]
RISK_ROWS = 25
"""Rows of the stock-risk table shown on the page (the CSV export has them all)."""


def _blank(value: str | None) -> str | None:
    return value if value else None


def matrix_chart(abc: Any, t: Catalog) -> Any:
    """A 3 × 3 heatmap: SKUs per ABC (rows) × XYZ (columns) cell, revenue share as text."""
    cells = {c.cell: c for c in abc.matrix}
    rows, cols = ["A", "B", "C"], ["X", "Y", "Z"]
    z = [[cells[r + c].skus for c in cols] for r in rows]
    text = [[f"{r}{c}: {cells[r + c].revenue_share:.0%}" for c in cols] for r in rows]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=cols,
            y=rows,
            text=text,
            texttemplate="%{z} · %{text}",
            colorscale="Blues",
            colorbar={"title": {"text": t("supply.skus")}},
            hovertemplate="%{y}%{x}: %{z}<extra></extra>",
        )
    )
    fig.update_layout(title={"text": t("supply.matrix_chart"), "font": {"size": 14}})
    fig.update_xaxes(title_text=t("supply.xyz_axis"), side="top")
    fig.update_yaxes(title_text=t("supply.abc_axis"), autorange="reversed")
    return figure_json(fig)


def forecast_chart(view: Any, t: Catalog) -> Any:
    """Recent actual demand, the forecast and its prediction interval (a shaded band)."""
    days = [r["date"] for r in view.forecast]
    fig = go.Figure(
        [
            go.Scatter(
                x=[h["date"] for h in view.history],
                y=[h["units"] for h in view.history],
                mode="lines",
                name=t("supply.actual"),
            ),
            go.Scatter(
                x=days,
                y=[r["upper"] for r in view.forecast],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            ),
            go.Scatter(
                x=days,
                y=[r["lower"] for r in view.forecast],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(99, 110, 250, 0.2)",
                name=t("supply.interval", coverage=f"{view.coverage:.0%}"),
            ),
            go.Scatter(
                x=days,
                y=[r["forecast"] for r in view.forecast],
                mode="lines",
                name=t("supply.forecast_line"),
                line={"dash": "dash"},
            ),
        ]
    )
    fig.update_layout(title={"text": t("supply.forecast_chart"), "font": {"size": 14}})
    fig.update_yaxes(title_text=t("supply.units_per_day"), rangemode="tozero")
    return figure_json(fig)


@router.get("/tactical/supply")
def supply(
    request: Request,
    wh: WH,
    p: Annotated[Principal, Depends(require("supply.read"))],
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    location: Location = None,
    level: Annotated[Literal["sku", "category", "total"], Query()] = "total",
    key: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    """ABC-XYZ matrix, stock risk from the replenishment plan, a forecast with intervals."""
    t = catalog(page_language(request, p))
    abc = abc_for(request, wh, start, end)
    plan = plan_for(request, wh, None, 0.95)
    risk = sorted(
        plan_rows(plan, location=_blank(location)),
        key=lambda r: (-(r["stockout_risk"] or 0.0), r["sku"], r["location"]),
    )
    view: Any = None
    forecast_error = None
    try:
        view = forecast_for(request, wh, level, _blank(key), 28, 0.8)
    except ShopscopeError as exc:
        forecast_error = str(exc)
    locations = sorted({r["location"] for r in plan.rows.to_pylist()})
    items = abc.items.to_pylist()
    return render(
        request,
        "supply/supply.html",
        principal=p,
        abc=abc,
        matrix_chart=matrix_chart(abc, t),
        plan=plan,
        risk=risk[:RISK_ROWS],
        locations=locations,
        keys=sorted({str(r["category"]) for r in items}) + sorted({r["sku"] for r in items}),
        view=view,
        forecast_chart=forecast_chart(view, t) if view is not None else None,
        forecast_error=forecast_error,
        filters={"start": start, "end": end, "location": location, "level": level, "key": key},
        currency=shop_currency(request, wh),
        tables={
            "abc_matrix": list(abc.matrix),
            "abc_items": items,
            "stock_risk": risk,
            "forecast": view.forecast if view is not None else [],
        },
    )


@router.get("/execution/restock")
def restock(
    request: Request,
    wh: WH,
    p: Annotated[Principal, Depends(require("supply.operate"))],
    as_of: Annotated[date | None, Query()] = None,
    location: Location = None,
) -> Response:
    """SKUs to order: quantity, value, the day to order by and the expected arrival."""
    plan = plan_for(request, wh, as_of, 0.95)
    rows = plan_rows(plan, location=_blank(location), only_orders=True)
    return render(
        request,
        "supply/restock.html",
        principal=p,
        plan=plan,
        rows=rows,
        total_value=math.fsum(r["order_value"] or 0.0 for r in rows),
        due_now=sum(1 for r in rows if r["order_by"] is not None and r["order_by"] <= plan.as_of),
        locations=sorted({r["location"] for r in plan.rows.to_pylist()}),
        filters={"as_of": as_of, "location": location},
        currency=shop_currency(request, wh),
        tables={"restock": rows},
    )


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = (math.radians(v) for v in (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def route_chart(result: Any, t: Catalog) -> Any:
    """Routes as lines on longitude/latitude, one panel per group of depots within 800 km."""
    depots = {d.name: (d.lat, d.lon) for d in result.depots}
    groups: list[list[str]] = []
    for name, where in depots.items():
        home = next((g for g in groups if _km(depots[g[0]], where) <= 800), None)
        if home is None:
            groups.append([name])
        else:
            home.append(name)
    panel = {name: k + 1 for k, g in enumerate(groups) for name in g}
    fig = make_subplots(rows=1, cols=len(groups), subplot_titles=[", ".join(g) for g in groups])
    for route in result.plan.routes:
        pts = [depots[route.depot]]
        pts += [result.stop_coords[s.stop_index] for s in route.stops]
        pts.append(depots[route.depot])
        labels = [route.depot, *(s.stop_id for s in route.stops), route.depot]
        fig.add_trace(
            go.Scatter(
                x=[b for _a, b in pts],
                y=[a for a, _b in pts],
                mode="lines+markers",
                name=route.vehicle,
                text=labels,
                marker={"size": 6},
                hovertemplate="%{text}<extra>" + route.vehicle + "</extra>",
            ),
            row=1,
            col=panel[route.depot],
        )
    for k, group in enumerate(groups):
        fig.add_trace(
            go.Scatter(
                x=[depots[n][1] for n in group],
                y=[depots[n][0] for n in group],
                mode="markers+text",
                text=group,
                textposition="top center",
                name=t("supply.depots"),
                legendgroup="depots",
                showlegend=k == 0,
                marker={"symbol": "square", "size": 12, "color": "black"},
            ),
            row=1,
            col=k + 1,
        )
    fig.update_xaxes(title_text=t("supply.longitude"))
    fig.update_yaxes(title_text=t("supply.latitude"))
    for k in range(1, len(groups) + 1):
        fig.update_yaxes(scaleanchor="x" if k == 1 else f"x{k}", scaleratio=1.0, row=1, col=k)
    figure = figure_json(fig)
    figure["layout"]["height"] = 420
    return figure


@router.get("/execution/routes")
def routes(
    request: Request,
    wh: WH,
    p: Annotated[Principal, Depends(require("supply.operate"))],
    day: Annotated[date | None, Query()] = None,
) -> Response:
    """The day's route manifests per vehicle, totals, the route chart and unroutable orders."""
    t = catalog(page_language(request, p))
    result = routes_for(request, wh, day)
    summary = routes_summary(result)
    per_vehicle = {
        v["vehicle"]: [r for r in summary["manifest"] if r["vehicle"] == v["vehicle"]]
        for v in summary["vehicles"]
    }
    return render(
        request,
        "supply/routes.html",
        principal=p,
        day=summary["day"],
        summary=summary,
        per_vehicle=per_vehicle,
        routes_chart=route_chart(result, t) if result.plan.routes else None,
        tables={"vehicles": summary["vehicles"], "manifest": summary["manifest"]},
    )
