"""Insight endpoints: KPIs, the report, breakdowns, drivers of change, cohorts, anomalies."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from shopscope.server.api.common import (
    ERRORS,
    DimensionName,
    Paging,
    Period,
    PeriodParams,
    cached,
    json_result,
    list_result,
)
from shopscope.server.auth import Principal, require
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["router"]

router = APIRouter(tags=["insight"], responses=ERRORS)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Reader = Annotated[Principal, Depends(require("insight.read"))]


def resolved(wh: Warehouse, f: PeriodParams) -> Any:
    """The :class:`~shopscope.insight.DateRange` of a period filter (validated against the data)."""
    from shopscope.insight.periods import resolve_range

    return resolve_range(wh, f.start, f.end)


def report_for(request: Request, wh: Warehouse, f: PeriodParams) -> Any:
    """The full business report of a period (cached)."""
    from shopscope.insight.report import build_report

    period = resolved(wh, f)
    return cached(
        request, ("report", period, f.compare), lambda: build_report(wh, period, compare=f.compare)
    )


@router.get("/kpis")
def kpis(request: Request, wh: WH, f: Period, _p: Reader) -> JSONResponse:
    """Headline KPIs of the period with the comparison period and deltas."""
    from shopscope.insight.kpis import compare_kpis

    period = resolved(wh, f)
    rows = cached(
        request, ("kpis", period, f.compare), lambda: compare_kpis(wh, period, compare=f.compare)
    )
    return json_result({"period": str(period), "compare": f.compare, "kpis": list(rows)})


@router.get("/report")
def report(request: Request, wh: WH, f: Period, _p: Reader) -> JSONResponse:
    """Every insight section: KPIs, series, drivers, breakdowns, cohorts, anomalies."""
    return json_result(report_for(request, wh, f))


@router.get("/drivers")
def drivers(request: Request, wh: WH, f: Period, _p: Reader) -> JSONResponse:
    """What drove the revenue change: sessions × conversion × order value, by dimension."""
    r = report_for(request, wh, f)
    if r.drivers is None:
        return json_result({"drivers": None, "notes": list(r.notes)})
    return json_result(r.drivers)


@router.get("/breakdowns/{dimension}")
def breakdown(
    request: Request,
    wh: WH,
    f: Period,
    page: Paging,
    p: Reader,
    dimension: Annotated[DimensionName, Path(description="What to split by.")],
) -> Response:
    """Net revenue, orders and AOV per member of ``dimension``, largest first."""
    from shopscope.insight.breakdowns import breakdown as compute

    period = resolved(wh, f)
    table = cached(
        request, ("breakdown", period, dimension), lambda: compute(wh, period, dimension)
    )
    return list_result(request, p, table.to_pylist(), page, name=f"breakdown_{dimension}")


@router.get("/cohorts")
def cohorts(
    request: Request,
    wh: WH,
    _p: Reader,
    grain: Annotated[Literal["month", "week"], Query()] = "month",
    metric: Annotated[Literal["customers", "revenue", "orders"], Query()] = "customers",
    max_periods: Annotated[int, Query(ge=1, le=60)] = 12,
) -> JSONResponse:
    """Acquisition cohorts: size and activity in each period after the first order."""
    from shopscope.insight.cohorts import cohort_matrix

    m = cached(
        request,
        ("cohorts", grain, metric, max_periods),
        lambda: cohort_matrix(wh, grain=grain, metric=metric, max_periods=max_periods),
    )
    return json_result(m)


@router.get("/anomalies")
def anomalies(request: Request, wh: WH, f: Period, page: Paging, p: Reader) -> Response:
    """Days whose revenue, orders or conversion left their robust baseline, with drivers."""
    r = report_for(request, wh, f)
    rows: list[dict[str, Any]] = [
        dataclasses.asdict(a) | {"drivers": "; ".join(a.drivers)} for a in r.anomalies
    ]
    return list_result(request, p, rows, page, name="anomalies")
