"""Supply endpoints: replenishment plan, demand forecast, ABC-XYZ, basket rules, routes, picks.

Reads need ``supply.read``; the day's delivery routes and pick lists need ``supply.operate``.
Every result is cached (``SHOPSCOPE_CACHE_SECONDS``): the replenishment plan forecasts every
SKU and location once, a forecast request forecasts only the one series asked for, and a route
plan is solved once per day with a short time limit.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.server.api.common import (
    ERRORS,
    Fmt,
    Paging,
    cached,
    csv_response,
    json_result,
    list_result,
)
from shopscope.server.auth import Principal, require
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = [
    "ForecastView",
    "abc_for",
    "data_day",
    "forecast_for",
    "period_for",
    "plan_for",
    "plan_rows",
    "router",
    "routes_for",
    "routes_summary",
]

router = APIRouter(tags=["supply"], responses=ERRORS)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Reader = Annotated[Principal, Depends(require("supply.read"))]
Operator = Annotated[Principal, Depends(require("supply.operate"))]
AsOf = Annotated[
    date | None, Query(description="Plan from this day's stock snapshot (default: the last).")
]
ServiceLevel = Annotated[
    float, Query(ge=0.5, le=0.999, description="Target cycle service level, 0.5-0.999.")
]
Start = Annotated[date | None, Query(alias="from", description="First day of history.")]
End = Annotated[date | None, Query(alias="to", description="Last day of history.")]
Day = Annotated[date | None, Query(description="The day, YYYY-MM-DD (default: last day of data).")]
ROUTE_SECONDS = 2.0
"""Solver time limit of the routes endpoint (the page answers within a few seconds)."""
HISTORY_DAYS = 56
"""Days of actual demand returned with a forecast (for the chart)."""


def data_day(wh: Warehouse, day: date | None) -> date:
    """``day`` checked against the data (default: the last day with orders)."""
    from shopscope.insight.periods import data_range

    found = data_range(wh)
    if found is None:
        raise NotFoundError("The warehouse has no orders; load data with `shopscope demo`.")
    if day is None:
        return found.end
    if not found.start <= day <= found.end:
        raise InvalidInputError(
            f"day {day} is outside the data ({found.start} to {found.end}); choose a day in it."
        )
    return day


def period_for(wh: Warehouse, start: date | None, end: date | None) -> Any:
    """The history to analyse: all the data when no bound is given, else the bounded range."""
    from shopscope.insight.periods import resolve_range

    if start is None and end is None:
        return None
    return resolve_range(wh, start, end, default_days=100_000)


# -- replenishment -----------------------------------------------------------------------------


def plan_for(request: Request, wh: Warehouse, as_of: date | None, service_level: float) -> Any:
    """The replenishment plan of every SKU and location (cached; warnings become notes)."""
    from shopscope.supply.inventory import PolicyConfig, replenishment_plan

    def compute() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the plan keeps them in .notes
            return replenishment_plan(
                wh, as_of=as_of, policy=PolicyConfig(service_level=service_level)
            )

    return cached(request, ("supply_plan", as_of, service_level), compute)


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()}


def plan_rows(plan: Any, *, location: str | None = None, only_orders: bool = False) -> list[Any]:
    """Rows of ``plan`` (orders only: largest value first), optionally for one location."""
    table = plan.orders if only_orders else plan.rows
    rows = [_finite(r) for r in table.to_pylist()]
    if location is not None:
        known = sorted({r["location"] for r in plan.rows.to_pylist()})
        if location not in known:
            raise NotFoundError(f"No location {location!r}; locations: {', '.join(known)}.")
        rows = [r for r in rows if r["location"] == location]
    return rows


@router.get("/replenishment")
def replenishment(
    request: Request,
    wh: WH,
    page: Paging,
    p: Reader,
    as_of: AsOf = None,
    service_level: ServiceLevel = 0.95,
    location: Annotated[str | None, Query(max_length=64, description="Only this location.")] = None,
    only_orders: Annotated[bool, Query(description="Only rows with a suggested order.")] = False,
) -> Response:
    """The replenishment plan per SKU and location: policy, cover, risk and order suggestion."""
    plan = plan_for(request, wh, as_of, service_level)
    rows = plan_rows(plan, location=location, only_orders=only_orders)
    return list_result(request, p, rows, page, name="replenishment")


# -- forecast ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastView:
    """One series' daily forecast with intervals, its recent history and backtest accuracy."""

    level: str
    key: str
    last_day: date
    days: int
    coverage: float
    model: str
    demand_class: str
    status: str
    history: list[dict[str, Any]]
    forecast: list[dict[str, Any]]
    accuracy: dict[str, Any]
    benchmark: dict[str, Any]


def _forecast(wh: Warehouse, level: str, key: str | None, days: int, coverage: float) -> Any:
    from shopscope.supply.forecast import ForecastConfig, demand_panel, forecast_panel

    if level != "total" and not key:
        raise InvalidInputError(f"level={level} needs key (a {level}); e.g. key=TEA-0001.")
    if level == "sku":
        panel = demand_panel(wh, level="sku", skus=(str(key),))
    else:
        panel = demand_panel(wh, level="category" if level == "category" else "total")
        if level == "category":
            if key not in panel.ids:
                raise NotFoundError(f"No category {key!r}; categories: {', '.join(panel.ids)}.")
            panel = panel.rows([panel.ids.index(str(key))])
    config = ForecastConfig(horizon=days, heavy_series=0, coverage=coverage)
    result = forecast_panel(panel, config)
    series = result.series.to_pylist()[0]
    n = min(HISTORY_DAYS, panel.periods)
    dates = panel.dates(panel.periods - n, n)
    history = [
        {"date": d, "units": float(u), "censored": bool(c)}
        for d, u, c in zip(dates, panel.values[0, -n:], panel.censored[0, -n:], strict=True)
    ]
    scores = ("mae", "mase", "wape", "bias", "rmse", "scored_periods")
    return ForecastView(
        level=level,
        key=panel.ids[0],
        last_day=panel.start + timedelta(days=panel.periods - 1),
        days=result.horizon,
        coverage=result.coverage,
        model=series["model"],
        demand_class=series["demand_class"],
        status=series["status"],
        history=history,
        forecast=[_finite(r) for r in result.forecast.to_pylist()],
        accuracy={k: series[k] for k in scores},
        benchmark=dataclasses.asdict(result.model_accuracy("seasonal_naive")),
    )


def forecast_for(
    request: Request, wh: Warehouse, level: str, key: str | None, days: int, coverage: float
) -> ForecastView:
    """The forecast of one series (cached)."""
    k = None if level == "total" else key
    view: ForecastView = cached(
        request,
        ("supply_forecast", level, k, days, coverage),
        lambda: _forecast(wh, level, k, days, coverage),
    )
    return view


@router.get("/forecast")
def forecast(
    request: Request,
    wh: WH,
    _p: Reader,
    level: Annotated[
        Literal["sku", "category", "total"], Query(description="Series: sku, category or total.")
    ] = "total",
    key: Annotated[
        str | None, Query(max_length=128, description="The SKU or category (not for total).")
    ] = None,
    days: Annotated[int, Query(ge=1, le=90, description="Days ahead, 1-90.")] = 28,
    coverage: Annotated[
        float, Query(gt=0.5, lt=1.0, description="Prediction-interval coverage.")
    ] = 0.8,
) -> JSONResponse:
    """Daily demand forecast with intervals for one series, its history and backtest accuracy."""
    return json_result(forecast_for(request, wh, level, key, days, coverage))


# -- assortment --------------------------------------------------------------------------------


def abc_for(request: Request, wh: Warehouse, start: date | None, end: date | None) -> Any:
    """The ABC-XYZ classification of the period (cached)."""
    from shopscope.supply.assortment import abc_xyz

    period = period_for(wh, start, end)
    return cached(request, ("supply_abc", period), lambda: abc_xyz(wh, period))


@router.get("/assortment/abc")
def assortment_abc(
    request: Request, wh: WH, _p: Reader, start: Start = None, end: End = None
) -> JSONResponse:
    """The ABC (revenue) × XYZ (weekly demand variability) matrix with a policy per cell."""
    r = abc_for(request, wh, start, end)
    return json_result({k: v for k, v in dataclasses.asdict(r).items() if k != "items"})


@router.get("/assortment/abc/items")
def assortment_abc_items(
    request: Request,
    wh: WH,
    page: Paging,
    p: Reader,
    start: Start = None,
    end: End = None,
    cell: Annotated[
        str | None, Query(pattern="^[ABC][XYZ]$", description="Only this cell, e.g. AX.")
    ] = None,
) -> Response:
    """Per-SKU classes: revenue, shares, ABC class, weekly demand CV, XYZ class and cell."""
    rows = abc_for(request, wh, start, end).items.to_pylist()
    if cell is not None:
        rows = [r for r in rows if r["cell"] == cell]
    return list_result(request, p, rows, page, name="abc_items")


@router.get("/assortment/basket")
def assortment_basket(
    request: Request,
    wh: WH,
    page: Paging,
    p: Reader,
    start: Start = None,
    end: End = None,
    min_support: Annotated[float, Query(gt=0, le=1, description="Smallest share of orders.")] = (
        0.001
    ),
    min_confidence: Annotated[float, Query(ge=0, le=1, description="Smallest P(B | A).")] = 0.05,
    top: Annotated[int, Query(ge=1, le=1000, description="Strongest rules kept (by lift).")] = 100,
) -> Response:
    """Association rules A ⇒ B with support, confidence and lift, strongest first."""
    from shopscope.supply.assortment import association_rules

    period = period_for(wh, start, end)
    result = cached(
        request,
        ("supply_basket", period, min_support, min_confidence, top),
        lambda: association_rules(
            wh, period, min_support=min_support, min_confidence=min_confidence, limit=top
        ),
    )
    return list_result(request, p, result.rules.to_pylist(), page, name="basket_rules")


# -- routes and pick lists ---------------------------------------------------------------------


def routes_for(request: Request, wh: Warehouse, day: date | None) -> Any:
    """The day's :class:`~shopscope.supply.routing.DeliveryPlan` (solved once, cached)."""
    from shopscope.supply.routing import plan_deliveries

    the_day = data_day(wh, day)
    return cached(
        request,
        ("supply_routes", the_day),
        lambda: plan_deliveries(wh, the_day, time_limit=ROUTE_SECONDS, seed=0),
    )


def routes_summary(result: Any) -> dict[str, Any]:
    """Totals, one row per vehicle, the manifest and what could not be routed."""
    plan = result.plan
    vehicles = result.vehicles()
    totals = {
        "stops": plan.stops,
        "vehicles_used": plan.vehicles_used,
        "vehicles_available": plan.vehicles_available,
        "distance_km": round(plan.total_distance, 3),
        "on_time_share": plan.on_time_share,
        "late_stops": list(plan.late_stops),
        "unreachable_stops": list(plan.unreachable_stops),
        "feasible": plan.feasible,
        "solver_seconds": round(plan.runtime, 3),
    }
    return {
        "day": result.day,
        "load_unit": result.load_unit,
        "totals": totals,
        "vehicles": vehicles,
        "manifest": result.manifest(),
        "missing_coordinates": list(result.missing_coordinates),
        "warnings": list(plan.warnings),
    }


@router.get("/routes")
def routes(
    request: Request,
    wh: WH,
    p: Operator,
    day: Day = None,
    fmt: Annotated[
        Fmt, Query(alias="format", description="json, or csv: the per-stop manifest.")
    ] = "json",
) -> Response:
    """Plan the day's deliveries (PyVRP, 2 s): manifests, totals, on-time share, unrouted."""
    summary = routes_summary(routes_for(request, wh, day))
    if fmt == "csv":
        return csv_response(request, p, summary["manifest"], f"routes_{summary['day']}")
    return json_result(summary)


@router.get("/picklists")
def picklists(
    request: Request,
    wh: WH,
    p: Operator,
    day: Day = None,
    max_orders: Annotated[int, Query(ge=1, le=50, description="Orders per cart.")] = 8,
    max_units: Annotated[int, Query(ge=1, le=1000, description="Units per cart.")] = 60,
    fmt: Annotated[
        Fmt, Query(alias="format", description="json, or csv: one row per pick.")
    ] = "json",
) -> Response:
    """The day's pick lists: orders batched per cart, S-shape path, distance saved."""
    from shopscope.supply.warehousing import pick_plan, slotting

    the_day = data_day(wh, day)
    slots = cached(request, ("supply_slotting",), lambda: slotting(wh))
    picks = cached(
        request,
        ("supply_picks", the_day, max_orders, max_units),
        lambda: pick_plan(wh, the_day, slots, max_orders=max_orders, max_units=max_units),
    )
    if fmt == "csv":
        return csv_response(request, p, picks.pick_list(), f"picklists_{the_day}")
    return json_result(picks)
