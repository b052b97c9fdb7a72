"""Tactical retention page: RFM segments, customer lifetime value, churn risk, audiences."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from shopscope.errors import ShopscopeError
from shopscope.server.api.common import cached, shop_currency
from shopscope.server.api.retention import churn_for, clv_result, segments_for
from shopscope.server.auth import Principal, require
from shopscope.server.i18n import catalog
from shopscope.server.pages import NavItem
from shopscope.server.pages.charts import bar_chart
from shopscope.server.pages.render import page_language, render
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = (NavItem("nav.retention", "/tactical/retention", "retention.read", 23),)


@router.get("/tactical/retention")
def retention(
    request: Request,
    wh: Annotated[Warehouse, Depends(open_warehouse)],
    p: Annotated[Principal, Depends(require("retention.read"))],
    as_of: Annotated[date | None, Query()] = None,
    bins: Annotated[Literal[5, 3], Query()] = 5,
) -> Response:
    """RFM segments (chart and table) and the CLV models with the most valuable customers."""
    t = catalog(page_language(request, p))
    segments = segments_for(request, wh, as_of, bins)
    chart = bar_chart(
        [
            t(f"segment.{s.segment}") if t.has(f"segment.{s.segment}") else s.segment
            for s in segments
        ],
        [s.customers for s in segments],
        title=t("retention.customers_by_segment"),
        horizontal=True,
    )
    clv: Any
    try:
        clv = cached(request, ("clv", None), lambda: clv_result(wh, None))
        clv_error = None
    except ShopscopeError as exc:
        clv, clv_error = None, str(exc)
    churn: Any
    try:
        churn = churn_for(request, wh, None, as_of)
        churn_error = None
    except ShopscopeError as exc:
        churn, churn_error = None, str(exc)
    from shopscope.retention.audiences import list_audiences

    saved = list_audiences(wh)
    churn_rows = churn.customers.to_pylist() if churn else []
    return render(
        request,
        "retention/retention.html",
        churn=churn,
        churn_rows=churn_rows[:20],
        churn_error=churn_error,
        audiences=saved,
        principal=p,
        segments=segments,
        rfm_chart=chart,
        clv=clv,
        clv_error=clv_error,
        as_of=as_of,
        bins=bins,
        currency=shop_currency(request, wh),
        tables={
            "segments": list(segments),
            "clv_parameters": [{"model": "BG/NBD", **r} for r in clv.purchase_model]
            + [{"model": "Gamma-Gamma", **r} for r in clv.spend_model]
            if clv
            else [],
            "clv_customers": clv.table if clv else [],
            "churn": churn_rows,
            "audiences": [
                {k: v for k, v in a.__dict__.items() if k != "definition"} for a in saved
            ],
        },
    )
