"""Acquisition-cohort findings: channels whose recent cohorts do not pay back their CAC."""

from __future__ import annotations

from typing import Any

from shopscope.errors import NotFoundError
from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, param, pct, provider

__all__ = ["cohort_payback"]


def recovery(
    rows: list[dict[str, Any]],
    curve: dict[tuple[str, Any], list[float]],
    months: int,
    margin: float,
) -> float | None:
    """Margin recovered within ``months`` months over CAC, pooled over cohorts ``rows``."""
    spend = sum(r["spend"] for r in rows)
    earned = sum(
        margin * r["customers"] * curve[(r["channel"], r["cohort"])][months - 1] for r in rows
    )
    return earned / spend if spend > 0 else None


@provider("cohort_payback")
def cohort_payback(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Paid channels whose recent acquisition cohorts do not pay back within ``months`` months,
    or pay back materially slower than the cohorts before.

    From ``acquisition.cohort_economics``: for each channel with spend, the last ``recent``
    monthly cohorts observed for more than ``months`` months and the ``earlier`` cohorts before
    them. Their pooled **recovery** is ``margin x`` cumulative revenue per customer after
    ``months`` months, summed over customers, over the cohorts' spend (1 = CAC paid back). A
    channel is a finding when the recent recovery is below 1, or below ``1 - min_drop`` times
    the earlier recovery; cohorts need ``min_customers`` customers in all.
    """
    from shopscope.acquisition.cohorts import cohort_economics

    months = param(params, "months", 3, int)
    recent = param(params, "recent", 3, int)
    earlier = param(params, "earlier", 6, int)
    margin = param(params, "margin", 0.5, float)
    min_drop = param(params, "min_drop", 0.25, float)
    min_customers = param(params, "min_customers", 30, int)
    if not ctx.wh.has_table("ad_spend") or ctx.wh.table("ad_spend").count().execute() == 0:
        raise NotFoundError("No ad_spend rows: CAC payback needs the channels' spend.")
    econ = ctx.cached(
        f"cohort_economics:{margin}",
        lambda: cohort_economics(ctx.wh, margin=margin, predict=False),
    )
    curve: dict[tuple[str, Any], list[float]] = {}
    for c in econ.curves.to_pylist():
        curve.setdefault((c["channel"], c["cohort"]), []).append(
            c["cumulative_revenue_per_customer"]
        )
    by_channel: dict[str, list[dict[str, Any]]] = {}
    for r in econ.rows.to_pylist():
        if r["spend"] > 0 and r["months_observed"] > months:
            by_channel.setdefault(r["channel"], []).append(r)
    out: list[Finding] = []
    for channel, rows in sorted(by_channel.items()):
        rows.sort(key=lambda r: r["cohort"])
        now, before = rows[-recent:], rows[-recent - earlier : -recent]
        if sum(r["customers"] for r in now) < min_customers:
            continue
        r_now = recovery(now, curve, months, margin)
        r_before = recovery(before, curve, months, margin) if before else None
        if r_now is None:
            continue
        slower = r_before is not None and r_now < (1.0 - min_drop) * r_before
        if r_now >= 1.0 and not slower:
            continue
        cac = sum(r["spend"] for r in now) / sum(r["customers"] for r in now)
        paybacks = [r["payback_month"] for r in now]
        out.append(
            Finding(
                key=f"payback:{channel}",
                values={
                    "channel": channel,
                    "months": months,
                    "recovery_pct": f"{r_now:.0%}",
                    "recovery_before_pct": f"{r_before:.0%}" if r_before is not None else "-",
                    "change_pct": pct(r_now / r_before - 1.0) if r_before else "-",
                    "cac": f"{cac:,.2f}",
                    "cohorts": f"{now[0]['cohort']:%Y-%m}..{now[-1]['cohort']:%Y-%m}",
                    "payback": ", ".join("-" if p is None else f"month {p}" for p in paybacks),
                    "reason": "not paid back" if r_now < 1.0 else "paying back slower",
                    "reason_zh": "未收回获客成本" if r_now < 1.0 else "回本变慢",
                    "margin_pct": f"{margin:.0%}",
                },
                evidence={
                    "recovery": r_now,
                    "recovery_before": r_before,
                    "cac": cac,
                    "customers": sum(r["customers"] for r in now),
                    "payback_months": ",".join("-" if p is None else str(p) for p in paybacks),
                },
            )
        )
    return out
