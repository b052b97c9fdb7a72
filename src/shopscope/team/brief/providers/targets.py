"""Strategic findings from targets: KPIs behind their monthly target, budgets off pace.

Both read :func:`shopscope.team.targets.target_progress` for the month of the brief's day
(``docs/methods/targets.md``) and are skipped with a reason when that month has no targets.
"""

from __future__ import annotations

from typing import Any

from shopscope.errors import NotFoundError
from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, param, pct, provider

__all__ = ["METRIC_EN", "METRIC_ZH", "budget_pacing", "kpi_vs_target"]

METRIC_EN = {
    "net_revenue": "Net revenue",
    "orders": "Orders",
    "new_customers": "New customers",
    "aov": "Average order value",
    "conversion_rate": "Conversion rate",
    "ad_spend": "Ad spend",
}
METRIC_ZH = {
    "net_revenue": "净收入",
    "orders": "订单数",
    "new_customers": "新客数",
    "aov": "客单价",
    "conversion_rate": "转化率",
    "ad_spend": "广告花费",
}


def _progress(ctx: BriefContext, metric: str) -> list[Any]:
    """This month's progress rows of ``metric`` (cached per brief); raises when none exist."""
    from shopscope.team.targets import target_progress

    month = ctx.as_of.replace(day=1)
    rows: list[Any] = ctx.cached(
        "targets:progress", lambda: target_progress(ctx.wh, month, ctx.as_of, tolerance=0.0)
    )
    if not any(r.metric == metric for r in rows):
        what = "channel budgets (ad_spend)" if metric == "ad_spend" else "KPI targets"
        raise NotFoundError(
            f"No {what} for {month:%Y-%m}: set them with `shopscope targets set` or "
            "`shopscope targets import`, or on /strategic/targets."
        )
    return [r for r in rows if r.metric == metric]


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


@provider("kpi_vs_target")
def kpi_vs_target(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """KPIs of ``metrics`` whose month to date is behind the pro-rated target by more than
    ``tolerance``, once ``min_days`` of the month have passed, with the drivers of revenue
    (month to date against the as many days before it, ``insight.drivers``)."""
    from shopscope.insight.drivers import explain_revenue_change
    from shopscope.insight.periods import DateRange

    tolerance = param(params, "tolerance", 0.10, float)
    min_days = param(params, "min_days", 7, int)
    metrics = list(params.get("metrics", ("net_revenue", "orders")))
    rows = [r for m in metrics for r in _progress(ctx, m)]
    behind = [
        r
        for r in rows
        if r.days_elapsed >= min_days and r.gap_rel is not None and r.gap_rel < -tolerance
    ]
    if not behind:
        return []
    first, as_of = behind[0].month, behind[0].as_of
    period = DateRange(first, as_of)
    report = ctx.cached(f"targets:drivers:{first}", lambda: explain_revenue_change(ctx.wh, period))
    return [
        Finding(
            key=f"target:{r.metric}:{r.month:%Y-%m}",
            values={
                "metric": r.metric,
                "metric_en": METRIC_EN.get(r.metric, r.metric),
                "metric_zh": METRIC_ZH.get(r.metric, r.metric),
                "month": f"{r.month:%Y-%m}",
                "as_of": r.as_of.isoformat(),
                "actual": _num(r.actual),
                "target_to_date": _num(r.target_to_date),
                "target": _num(r.target),
                "projected": _num(r.projected),
                "gap_pct": pct(r.gap_rel),
                "headline": report.headline,
                "headline_zh": report.headline_zh,
            },
            evidence={
                "actual": round(r.actual, 2),
                "target_to_date": round(r.target_to_date, 2),
                "target": r.target,
                "projected": round(r.projected, 2),
                "gap_rel": r.gap_rel,
                "prorating": r.prorating,
            },
        )
        for r in behind
    ]


@provider("budget_pacing")
def budget_pacing(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Channel budgets (``ad_spend`` targets) whose spend to date is over or under the budget
    pro-rated by days by more than ``tolerance``, once ``min_days`` of the month have passed;
    ``under`` = false reports overspending only."""
    tolerance = param(params, "tolerance", 0.20, float)
    min_days = param(params, "min_days", 7, int)
    under = param(params, "under", True, bool)
    out: list[Finding] = []
    for r in _progress(ctx, "ad_spend"):
        if r.days_elapsed < min_days or r.actual is None:
            continue
        rel = r.gap_rel
        over = (rel is None and r.actual > 0) or (rel is not None and rel > tolerance)
        short = under and rel is not None and rel < -tolerance
        if not (over or short):
            continue
        channel = r.channel or "all channels"
        out.append(
            Finding(
                key=f"budget:{channel}:{r.month:%Y-%m}",
                values={
                    "channel": channel,
                    "direction": "over" if over else "under",
                    "direction_zh": "超支" if over else "投放不足",
                    "month": f"{r.month:%Y-%m}",
                    "spend": _num(r.actual),
                    "budget_to_date": _num(r.target_to_date),
                    "budget": _num(r.target),
                    "projected": _num(r.projected),
                    "pace_pct": pct(rel) if rel is not None else "n/a",
                },
                evidence={
                    "spend": round(r.actual, 2),
                    "budget_to_date": round(r.target_to_date, 2),
                    "budget": r.target,
                    "projected": round(r.projected, 2),
                    "pace_rel": rel,
                },
            )
        )
    return out
