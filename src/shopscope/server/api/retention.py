"""Retention endpoints: RFM segments and scores, customer lifetime value (BG/NBD + Gamma-Gamma)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from shopscope.errors import NotFoundError
from shopscope.server.api.common import ERRORS, Paging, cached, json_result, list_result
from shopscope.server.auth import Principal, require
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["ClvResult", "clv_result", "router", "segments_for"]

router = APIRouter(tags=["retention"], responses=ERRORS)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Reader = Annotated[Principal, Depends(require("retention.read"))]
AsOf = Annotated[date | None, Query(description="Score as of this day (default: after the data).")]
Bins = Annotated[Literal[5, 3], Query(description="Score bins: 5 or 3.")]


def segments_for(request: Request, wh: Warehouse, as_of: date | None, bins: Literal[5, 3]) -> Any:
    """RFM segment summaries (cached)."""
    from shopscope.retention.rfm import segment_summary

    return cached(
        request,
        ("rfm_segments", as_of, bins),
        lambda: segment_summary(wh, as_of=as_of, bins=bins),
    )


@router.get("/rfm/segments")
def rfm_segments(
    request: Request, wh: WH, page: Paging, p: Reader, as_of: AsOf = None, bins: Bins = 5
) -> Response:
    """RFM segments (Champions … Lost): customers, share, revenue and averages."""
    rows = [dataclasses.asdict(s) for s in segments_for(request, wh, as_of, bins)]
    return list_result(request, p, rows, page, name="rfm_segments")


@router.get("/rfm/customers")
def rfm_customers(
    request: Request,
    wh: WH,
    page: Paging,
    p: Reader,
    as_of: AsOf = None,
    bins: Bins = 5,
    segment: Annotated[str | None, Query(max_length=64, description="Only this segment.")] = None,
) -> Response:
    """Customers with recency, frequency, monetary, scores and segment."""
    from shopscope.retention.rfm import rfm_scores

    table = cached(
        request, ("rfm_scores", as_of, bins), lambda: rfm_scores(wh, as_of=as_of, bins=bins)
    )
    rows = table.to_pylist()
    if segment is not None:
        known = sorted({r["segment"] for r in rows})
        if segment not in known:
            raise NotFoundError(f"No segment {segment!r}; segments: {', '.join(known)}.")
        rows = [r for r in rows if r["segment"] == segment]
    return list_result(request, p, rows, page, name="rfm_customers")


@dataclass(frozen=True)
class ClvResult:
    """BG/NBD + Gamma-Gamma fitted at ``calibration_end`` and each customer's 12-month CLV."""

    calibration_end: date
    customers: int
    repeat_customers: int
    purchase_model: list[dict[str, Any]]
    spend_model: list[dict[str, Any]]
    total_clv: float
    table: list[dict[str, Any]]
    warnings: list[str]


def clv_result(wh: Warehouse, calibration_end: date | None) -> ClvResult:
    """Fit BG/NBD + Gamma-Gamma (``retention.clv.fit_clv``) and value customers over 12 months
    (``predict_clv``); see ``docs/methods/clv.md``."""
    from shopscope.retention.clv.predict import fit_clv, predict_clv

    models = fit_clv(wh, calibration_end=calibration_end, model="bgnbd")
    fit = models.fit
    predicted = predict_clv(models, months=12).to_pylist()
    table = [
        {
            "customer_id": r["customer_id"],
            "repeat_purchases": int(r["x"]),
            "probability_alive": float(r["p_alive"]),
            "clv_12m": float(r["clv"]),
        }
        for r in predicted
    ]
    return ClvResult(
        fit.calibration_end,
        fit.customers,
        fit.repeat_customers,
        [dataclasses.asdict(p) for p in fit.purchase_params],
        [dataclasses.asdict(p) for p in fit.spend_params],
        float(sum(r["clv_12m"] for r in table)),
        table,
        list(fit.warnings),
    )


@router.get("/clv")
def clv(
    request: Request,
    wh: WH,
    _p: Reader,
    calibration_end: Annotated[date | None, Query(description="Default: last order day.")] = None,
) -> JSONResponse:
    """The fitted CLV models (parameters with standard errors) and the total 12-month CLV."""
    r = cached(request, ("clv", calibration_end), lambda: clv_result(wh, calibration_end))
    return json_result({k: v for k, v in dataclasses.asdict(r).items() if k != "table"})


@router.get("/clv/customers")
def clv_customers(
    request: Request,
    wh: WH,
    page: Paging,
    p: Reader,
    calibration_end: Annotated[date | None, Query(description="Default: last order day.")] = None,
) -> Response:
    """Customers by expected 12-month lifetime value, highest first."""
    r = cached(request, ("clv", calibration_end), lambda: clv_result(wh, calibration_end))
    return list_result(request, p, r.table, page, name="clv_customers")


def churn_for(request: Request, wh: Warehouse, from_date: date | None, to_date: date | None) -> Any:
    """Churn risk between two days (cached); default: the 90 days up to the last order day."""
    from datetime import timedelta

    from shopscope.retention.churn import churn_risk
    from shopscope.warehouse.status import shop_summary

    if to_date is None:
        last = shop_summary(wh).last_order
        if last is None:
            raise NotFoundError("No orders, so there is no churn risk to estimate.")
        to_date = last.date()
    start = from_date or to_date - timedelta(days=90)
    return cached(
        request,
        ("churn", start, to_date),
        lambda: churn_risk(wh, from_date=start, to_date=to_date, limit=None),
    )


@router.get("/churn")
def churn(
    request: Request,
    wh: WH,
    page: Paging,
    p: Reader,
    from_date: Annotated[
        date | None, Query(alias="from", description="Earlier day (default: `to` − 90 days).")
    ] = None,
    to_date: Annotated[
        date | None, Query(alias="to", description="Later day (default: last order day).")
    ] = None,
) -> Response:
    """Valuable customers whose P(alive) fell between two days, by value at risk (MBG/NBD)."""
    result = churn_for(request, wh, from_date, to_date)
    return list_result(request, p, result.customers.to_pylist(), page, name="churn")


@router.get("/audiences")
def audiences(request: Request, wh: WH, page: Paging, p: Reader) -> Response:
    """Saved audiences (save them with `shopscope audience save`)."""
    from shopscope.retention.audiences import list_audiences

    rows = [dataclasses.asdict(a) for a in list_audiences(wh)]
    return list_result(request, p, rows, page, name="audiences")


@router.get("/audiences/{name}/members")
def audience_members(
    request: Request,
    wh: WH,
    page: Paging,
    p: Reader,
    name: str,
    opt_in_only: Annotated[
        bool, Query(description="Only customers who agreed to marketing e-mail.")
    ] = False,
) -> Response:
    """An audience's members with opt-in and location; `format=csv` for e-mail and ads tools."""
    from shopscope.retention.audiences import export_audience

    rows = export_audience(wh, name, opt_in_only=opt_in_only).to_pylist()
    return list_result(request, p, rows, page, name=f"audience_{name}")
