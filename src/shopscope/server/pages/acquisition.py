"""Tactical acquisition page: channel performance, attribution compared, acquired cohorts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import plotly.graph_objects as go
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from shopscope.errors import ShopscopeError
from shopscope.server.api.acquisition import (
    attribution_for,
    channels_for,
    cohort_summary,
    cohorts_for,
)
from shopscope.server.api.common import shop_currency
from shopscope.server.auth import Principal, require
from shopscope.server.i18n import Catalog, catalog
from shopscope.server.pages import NavItem
from shopscope.server.pages.charts import figure_json
from shopscope.server.pages.render import page_language, render
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = (NavItem("nav.acquisition", "/tactical/acquisition", "acquisition.read", 21),)
PAGE_MODELS = ("last", "first", "linear", "time_decay", "position", "markov")
RECENT_COHORT_MONTHS = 6


def model_label(t: Catalog, model: str) -> str:
    """The translated name of an attribution model."""
    key = f"acq.model.{model}"
    return t(key) if t.has(key) else model


def _roas_cac_chart(t: Catalog, rows: list[dict[str, Any]]) -> Any:
    names = [r["channel"] for r in rows]
    fig = go.Figure(
        [
            go.Bar(x=names, y=[r["roas"] for r in rows], name=t("acq.col.roas")),
            go.Scatter(
                x=names,
                y=[r["cac"] for r in rows],
                name=t("acq.col.cac"),
                mode="markers",
                marker={"size": 12, "symbol": "diamond"},
                yaxis="y2",
            ),
        ]
    )
    fig.update_layout(
        title={"text": t("acq.roas_cac_chart"), "font": {"size": 14}},
        yaxis={"title": {"text": t("acq.col.roas")}},
        yaxis2={"title": {"text": t("acq.col.cac")}, "overlaying": "y", "side": "right"},
    )
    return figure_json(fig)


def _attribution_chart(t: Catalog, models: tuple[str, ...], rows: list[dict[str, Any]]) -> Any:
    names = [r["channel"] for r in rows]
    fig = go.Figure(
        [go.Bar(x=names, y=[r.get(m, 0.0) for r in rows], name=model_label(t, m)) for m in models]
    )
    fig.update_layout(
        title={"text": t("acq.attribution_chart"), "font": {"size": 14}}, barmode="group"
    )
    return figure_json(fig)


@router.get("/tactical/acquisition")
def acquisition(
    request: Request,
    wh: Annotated[Warehouse, Depends(open_warehouse)],
    p: Annotated[Principal, Depends(require("acquisition.read"))],
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    by: Annotated[Literal["channel", "campaign", "day"], Query()] = "channel",
) -> Response:
    """Channel table with a ROAS/CAC chart, attribution models compared, cohort payback.

    ``from``/``to`` choose the channel table's days and the attribution's paths (those ending
    in the range); without them the table shows the last 28 days and attribution all paths.
    """
    t = catalog(page_language(request, p))
    report = channels_for(request, wh, start, end, by)
    rows = report.rows.to_pylist()
    per_channel = (
        rows
        if by == "channel"
        else channels_for(request, wh, start, end, "channel").rows.to_pylist()
    )
    period = report.period
    attribution: Any = None
    attribution_error = None
    try:
        attribution = attribution_for(request, wh, PAGE_MODELS, 30.0, start, end)
    except ShopscopeError as exc:
        attribution_error = str(exc)
    conversions = attribution.compare("conversions") if attribution else []
    revenue = attribution.compare("value") if attribution else []
    cohorts: Any = None
    cohort_error = None
    try:
        cohorts = cohorts_for(request, wh)
    except ShopscopeError as exc:
        cohort_error = str(exc)
    cohort_rows = cohorts.rows.to_pylist() if cohorts else []
    months = sorted({r["cohort"] for r in cohort_rows}, reverse=True)[:RECENT_COHORT_MONTHS]
    recent = [r for r in cohort_rows if r["cohort"] in set(months)]
    recent.sort(key=lambda r: (r["cohort"], r["channel"]), reverse=True)
    summary = cohort_summary(
        cohort_rows,
        cohorts.curves.to_pylist() if cohorts else None,
        cohorts.margin if cohorts else 1,
    )
    return render(
        request,
        "acquisition/acquisition.html",
        principal=p,
        report=report,
        rows=rows,
        by=by,
        period=period,
        filters={"start": start, "end": end},
        channel_chart=_roas_cac_chart(t, per_channel),
        attribution=attribution,
        attribution_error=attribution_error,
        models=PAGE_MODELS,
        model_names={m: model_label(t, m) for m in PAGE_MODELS},
        conversions=conversions,
        revenue=revenue,
        attribution_chart=_attribution_chart(t, PAGE_MODELS, conversions) if conversions else None,
        cohorts=cohorts,
        cohort_error=cohort_error,
        cohort_summary=summary,
        recent_cohorts=recent,
        currency=shop_currency(request, wh),
        tables={
            "channels": rows,
            "attribution_conversions": conversions,
            "attribution_revenue": revenue,
            "cohort_channels": summary,
            "cohorts": cohort_rows,
        },
    )
