"""Acquisition endpoints: channel performance, attribution, acquired cohorts, budget plans.

See ``docs/methods/channels.md``, ``docs/methods/attribution.md`` and ``docs/methods/budget.md``.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from shopscope.appdb.records import audit
from shopscope.cli.output import to_jsonable
from shopscope.errors import InvalidInputError
from shopscope.server.api.common import ERRORS, PageParams, Paging, cached, list_result
from shopscope.server.auth import Principal, client_ip, require
from shopscope.server.state import get_state, open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = [
    "attribution_for",
    "channels_for",
    "cohort_summary",
    "cohorts_for",
    "router",
]

router = APIRouter(tags=["acquisition"], responses=ERRORS)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Reader = Annotated[Principal, Depends(require("acquisition.read"))]
Planner = Annotated[Principal, Depends(require("budget.plan"))]
From = Annotated[date | None, Query(alias="from", description="First day, YYYY-MM-DD.")]
To = Annotated[date | None, Query(alias="to", description="Last day, YYYY-MM-DD.")]
Grain = Literal["channel", "campaign", "day"]
Margin = Annotated[
    float, Query(gt=0, le=1, description="Gross margin in (0, 1] for payback (1: revenue).")
]


def _period(wh: Warehouse, start: date | None, end: date | None) -> Any:
    from shopscope.insight.periods import resolve_range

    return resolve_range(wh, start, end)


def _optional_period(wh: Warehouse, start: date | None, end: date | None) -> Any:
    """``None`` (all data) unless a bound is given."""
    return _period(wh, start, end) if start is not None or end is not None else None


def _page(
    request: Request,
    p: Principal,
    rows: list[dict[str, Any]],
    page: PageParams,
    name: str,
    extra: dict[str, Any],
) -> Response:
    """A page of ``rows`` with ``extra`` fields (period, totals, notes), or every row as CSV."""
    if page.fmt == "csv":
        return list_result(request, p, rows, page, name=name)
    nxt = page.offset + page.limit
    body = {
        **to_jsonable(extra),
        "items": to_jsonable(rows[page.offset : nxt]),
        "total": len(rows),
        "limit": page.limit,
        "offset": page.offset,
        "next_offset": nxt if nxt < len(rows) else None,
    }
    return JSONResponse(body)


def channels_for(
    request: Request, wh: Warehouse, start: date | None, end: date | None, by: Grain
) -> Any:
    """The :class:`~shopscope.acquisition.ChannelReport` of a period (cached)."""
    from shopscope.acquisition.performance import channel_report

    period = _period(wh, start, end)
    return cached(request, ("acq_channels", period, by), lambda: channel_report(wh, period, by=by))


@router.get("/channels")
def channels(
    request: Request,
    wh: WH,
    page: Paging,
    p: Reader,
    start: From = None,
    end: To = None,
    by: Annotated[Grain, Query(description="Rows per channel, campaign or day.")] = "channel",
) -> Response:
    """Channel performance: sessions, orders, revenue, spend, CPC, CAC, ROAS; blended MER."""
    r = channels_for(request, wh, start, end, by)
    extra = {"period": str(r.period), "by": r.by, "totals": r.totals, "notes": list(r.notes)}
    return _page(request, p, r.rows.to_pylist(), page, f"channels_{by}", extra)


def attribution_for(
    request: Request,
    wh: Warehouse,
    models: tuple[str, ...],
    lookback: float,
) -> Any:
    """The :class:`~shopscope.acquisition.AttributionReport` of the given models (cached).

    Paths of all the data; the library takes a ``period`` (paths ending in it), which the
    API and the page do not pass through yet.
    """
    from shopscope.acquisition.attribution import attribution_report
    from shopscope.acquisition.paths import PathOptions

    return cached(
        request,
        ("acq_attribution", models, lookback),
        lambda: attribution_report(wh, models=models, options=PathOptions(lookback_days=lookback)),
    )


def parse_models(values: list[str] | None) -> tuple[str, ...]:
    """Models from repeated and/or comma-separated ``models`` (default: all of them)."""
    from shopscope.acquisition.attribution import ALL_MODELS

    names = [m.strip() for v in values or [] for m in v.split(",") if m.strip()]
    if not names:
        return tuple(ALL_MODELS)
    bad = [m for m in names if m not in ALL_MODELS]
    if bad:
        raise InvalidInputError(
            f"Unknown attribution model(s) {', '.join(repr(b) for b in bad)} in 'models'; use "
            f"{', '.join(ALL_MODELS)} (repeat the parameter or separate names by commas)."
        )
    return tuple(dict.fromkeys(names))


@router.get("/attribution")
def attribution(
    request: Request,
    wh: WH,
    _p: Reader,
    models: Annotated[
        list[str] | None,
        Query(
            max_length=200,
            description="Models to compare (repeat or comma-separate): first, last, "
            "last_non_direct, linear, time_decay, position, markov, markov2, shapley. "
            "Default: all.",
        ),
    ] = None,
    lookback: Annotated[
        float, Query(gt=0, le=365, description="Lookback window in days (touches kept).")
    ] = 30.0,
) -> JSONResponse:
    """Attribution models side by side over all paths: credited conversions and revenue."""
    chosen = parse_models(models)
    r = attribution_for(request, wh, chosen, lookback)
    return JSONResponse(
        to_jsonable(
            {
                "period": str(r.period) if r.period is not None else None,
                "models": list(r.models),
                "lookback_days": lookback,
                "stats": r.stats,
                "conversions": r.compare("conversions"),
                "revenue": r.compare("value"),
                "credits": [dataclasses.asdict(c) for c in r.credits],
                "removal_effects": r.removal_effects,
                "shapley": r.shapley,
            }
        )
    )


def cohorts_for(
    request: Request,
    wh: Warehouse,
    start: date | None = None,
    end: date | None = None,
    margin: float = 1.0,
) -> Any:
    """The :class:`~shopscope.acquisition.CohortEconomics` of the acquired cohorts (cached)."""
    from shopscope.acquisition.cohorts import cohort_economics

    period = _optional_period(wh, start, end)
    return cached(
        request,
        ("acq_cohorts", period, margin),
        lambda: cohort_economics(wh, period=period, margin=margin),
    )


def cohort_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per channel over its cohorts: customers, spend, CAC, revenue and LTV per customer."""
    acc: dict[str, dict[str, float]] = {}
    for r in rows:
        a = acc.setdefault(r["channel"], {"customers": 0.0, "spend": 0.0, "revenue": 0.0})
        n = int(r["customers"] or 0)
        a["customers"] += n
        a["spend"] += float(r["spend"] or 0.0)
        a["revenue"] += n * float(r["revenue_per_customer"] or 0.0)
        if r["predicted_ltv"] is not None:
            a["ltv"] = a.get("ltv", 0.0) + n * float(r["predicted_ltv"])
    out = []
    for ch in sorted(acc):
        a = acc[ch]
        size = a["customers"]
        cac = a["spend"] / size if size and a["spend"] > 0 else None
        ltv = a["ltv"] / size if size and "ltv" in a else None
        out.append(
            {
                "channel": ch,
                "customers": int(size),
                "spend": a["spend"],
                "cac": cac,
                "revenue_per_customer": a["revenue"] / size if size else None,
                "predicted_ltv": ltv,
                "ltv_to_cac": ltv / cac if ltv is not None and cac else None,
            }
        )
    return out


@router.get("/acquisition/cohorts")
def acquisition_cohorts(
    request: Request,
    wh: WH,
    page: Paging,
    p: Reader,
    start: From = None,
    end: To = None,
    margin: Margin = 1.0,
) -> Response:
    """Acquired cohorts per channel and month: CAC, revenue per customer, LTV/CAC, payback."""
    r = cohorts_for(request, wh, start, end, margin)
    rows = r.rows.to_pylist()
    extra = {
        "horizon_months": r.horizon_months,
        "margin": r.margin,
        "note": r.note,
        "by_channel": cohort_summary(rows),
    }
    return _page(request, p, rows, page, "acquisition_cohorts", extra)


def _curve_summary(c: Any) -> dict[str, Any]:
    return {
        "channel": c.channel,
        "form": c.form,
        "outcome": c.outcome,
        "params": c.params,
        "typical_spend": c.typical_spend,
        "response_at_typical": float(c.response(c.typical_spend)),
        "days": c.days,
        "r_squared": c.r_squared,
    }


@router.get("/budget/plan")
def budget_plan(
    request: Request,
    wh: WH,
    p: Planner,
    total: Annotated[
        float, Query(gt=0, le=1e12, description="Budget per day (or over `weeks` weeks).")
    ],
    objective: Annotated[
        Literal["revenue", "profit"], Query(description="Maximise revenue or profit.")
    ] = "revenue",
    outcome: Annotated[
        Literal["new_customers", "revenue"],
        Query(description="Outcome the curves predict (new customers are valued by channel)."),
    ] = "new_customers",
    form: Annotated[Literal["power", "hill"], Query(description="Curve form.")] = "power",
    margin: Margin = 1.0,
    weeks: Annotated[
        int, Query(ge=0, le=52, description="Plan this many weeks; `total` is the whole horizon.")
    ] = 0,
) -> JSONResponse:
    """Fit response curves and split a budget to maximise predicted revenue (observational)."""
    from shopscope.acquisition.budget import (
        OBSERVATIONAL_NOTE,
        allocate_budget,
        current_spend,
        fit_response_curves,
        plan_weeks,
    )
    from shopscope.acquisition.cohorts import value_per_customer

    curves = cached(
        request,
        ("acq_curves", outcome, form),
        lambda: tuple(fit_response_curves(wh, outcome=outcome, form=form, n_boot=0)),
    )
    current = cached(request, "acq_current_spend", lambda: current_spend(wh))
    value: dict[str, float] | float = 1.0
    if outcome == "new_customers":
        per = cached(request, "acq_value_per_customer", lambda: value_per_customer(wh))
        value = {c.channel: per.get(c.channel, 0.0) for c in curves}
    common: dict[str, Any] = {
        "objective": objective,
        "value_per_outcome": value,
        "margin": margin,
        "current": current,
    }
    plan = (
        plan_weeks(curves, total, weeks, **common)
        if weeks > 0
        else allocate_budget(curves, total, **common)
    )
    with get_state(request).db.session() as s:
        audit(
            s,
            p.username,
            "budget.plan",
            target=request.url.path,
            ip=client_ip(request),
            details={
                "total": total,
                "objective": objective,
                "outcome": outcome,
                "form": form,
                "margin": margin,
                "weeks": weeks,
            },
        )
    return JSONResponse(
        to_jsonable(
            {
                "note": OBSERVATIONAL_NOTE,
                "objective": plan.objective,
                "outcome": outcome,
                "budget": plan.budget,
                "weeks": weeks,
                "margin": plan.margin,
                "value_per_outcome": value,
                "curves": [_curve_summary(c) for c in curves],
                "allocation": [dataclasses.asdict(r) for r in plan.rows],
                "predicted_revenue": plan.predicted_revenue,
                "current_revenue": plan.current_revenue,
                "expected_gain": plan.expected_gain,
            }
        )
    )
