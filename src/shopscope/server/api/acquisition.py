"""Acquisition endpoints: channel performance, attribution, acquired cohorts (budget plans:
``api/budget.py``).

See ``docs/methods/channels.md`` and ``docs/methods/attribution.md``.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from shopscope.cli.output import to_jsonable
from shopscope.errors import InvalidInputError
from shopscope.server.api.common import ERRORS, PageParams, Paging, cached, list_result
from shopscope.server.auth import Principal, require
from shopscope.server.state import open_warehouse
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
From = Annotated[date | None, Query(alias="from", description="First day, YYYY-MM-DD.")]
To = Annotated[date | None, Query(alias="to", description="Last day, YYYY-MM-DD.")]
Grain = Literal["channel", "campaign", "day"]
ALL_DAYS = 100_000
"""``default_days`` that makes an open ``from`` reach back to the first day of data."""
Margin = Annotated[
    float, Query(gt=0, le=1, description="Gross margin in (0, 1] for payback (1: revenue).")
]


def _period(wh: Warehouse, start: date | None, end: date | None) -> Any:
    from shopscope.insight.periods import resolve_range

    return resolve_range(wh, start, end)


def _optional_period(wh: Warehouse, start: date | None, end: date | None) -> Any:
    """``None`` (all data) unless a bound is given; an open bound extends to the data's edge."""
    from shopscope.insight.periods import resolve_range

    if start is None and end is None:
        return None
    return resolve_range(wh, start, end, default_days=ALL_DAYS)


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
    start: date | None = None,
    end: date | None = None,
) -> Any:
    """The :class:`~shopscope.acquisition.AttributionReport` of the given models (cached).

    Paths ending in ``start``..``end`` (either bound may be open); all the data when neither
    is given. The period is part of the cache key.
    """
    from shopscope.acquisition.attribution import attribution_report
    from shopscope.acquisition.paths import PathOptions

    period = _optional_period(wh, start, end)
    return cached(
        request,
        ("acq_attribution", models, lookback, period),
        lambda: attribution_report(
            wh, models=models, period=period, options=PathOptions(lookback_days=lookback)
        ),
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
    start: Annotated[
        date | None, Query(alias="from", description="Paths ending on or after this day.")
    ] = None,
    end: Annotated[
        date | None, Query(alias="to", description="Paths ending on or before this day.")
    ] = None,
) -> JSONResponse:
    """Attribution models side by side: credited conversions and revenue (default: all paths).

    With ``from``/``to``, only the paths that end (convert, or are cut) in that range count.
    """
    chosen = parse_models(models)
    r = attribution_for(request, wh, chosen, lookback, start, end)
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


def _payback(rows: list[dict[str, Any]], curves: list[dict[str, Any]], margin: float) -> Any:
    """First month ``k`` in which the pooled cohorts observed for ``k + 1`` months pay back.

    Pools the channel's cohorts with spend that have been observed for at least ``k + 1``
    months: ``margin`` x their revenue per customer by month ``k`` against their CAC
    (spend / customers); ``None`` when that never happens (or the channel has no spend).
    """
    cum = {
        (c["cohort"], int(c["period"])): float(c["cumulative_revenue_per_customer"]) for c in curves
    }
    paid = [r for r in rows if (r["spend"] or 0) > 0 and r["customers"]]
    for k in range(max((int(r["months_observed"]) for r in paid), default=0)):
        seen = [r for r in paid if r["months_observed"] > k]
        spend = sum(float(r["spend"]) for r in seen)
        revenue = sum(r["customers"] * cum.get((r["cohort"], k), 0.0) for r in seen)
        if margin * revenue >= spend:
            return k
    return None


def cohort_summary(
    rows: list[dict[str, Any]],
    curves: list[dict[str, Any]] | None = None,
    margin: float = 1.0,
) -> list[dict[str, Any]]:
    """Per channel over its cohorts: customers, spend, CAC, revenue and LTV per customer.

    With the cohorts' ``curves`` it adds the pooled ``payback_month`` (see :func:`_payback`).
    """
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
        mine = [r for r in rows if r["channel"] == ch]
        out.append(
            {
                "channel": ch,
                "customers": int(size),
                "spend": a["spend"],
                "cac": cac,
                "revenue_per_customer": a["revenue"] / size if size else None,
                "predicted_ltv": ltv,
                "ltv_to_cac": ltv / cac if ltv is not None and cac else None,
                "payback_month": None
                if curves is None or cac is None
                else _payback(mine, [c for c in curves if c["channel"] == ch], margin),
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
        "by_channel": cohort_summary(rows, r.curves.to_pylist(), r.margin),
    }
    return _page(request, p, rows, page, "acquisition_cohorts", extra)
