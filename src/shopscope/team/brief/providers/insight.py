"""Strategic findings from insight: revenue movement with its drivers, anomalous days."""

from __future__ import annotations

from typing import Any

from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, last_days, param, pct, provider

__all__ = ["anomalies", "kpi_movement"]


@provider("kpi_movement")
def kpi_movement(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Revenue over the last ``days`` against the ``days`` before, with its drivers."""
    from shopscope.insight.drivers import explain_revenue_change

    days = param(params, "days", 7, int)
    min_change = param(params, "min_change", 0.10, float)
    report = explain_revenue_change(ctx.wh, last_days(ctx.as_of, days))
    rel = report.change_rel
    if rel is None or abs(rel) < min_change:
        return []
    up = rel > 0
    return [
        Finding(
            key="kpi_movement:revenue",
            values={
                "direction": "up" if up else "down",
                "direction_zh": "上升" if up else "下降",
                "change_pct": pct(rel),
                "headline": report.headline,
                "headline_zh": report.headline_zh,
                "start": report.current.start.isoformat(),
                "end": report.current.end.isoformat(),
            },
            evidence={
                "revenue_current": round(report.revenue_current, 2),
                "revenue_previous": round(report.revenue_previous, 2),
                "change_rel": rel,
            },
        )
    ]


@provider("anomalies")
def anomalies(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Anomalous days among the last ``days`` (robust weekday-and-trend baseline)."""
    from shopscope.insight.anomalies import detect_anomalies

    days = param(params, "days", 7, int)
    threshold = param(params, "threshold", 3.5, float)
    kpis = tuple(params.get("kpis", ("revenue", "orders", "conversion_rate")))
    found = detect_anomalies(ctx.wh, last_days(ctx.as_of, days), kpis=kpis, threshold=threshold)
    return [
        Finding(
            key=f"anomaly:{a.kpi}:{a.day.isoformat()}",
            values={
                "kpi": a.kpi,
                "day": a.day.isoformat(),
                "direction": a.direction,
                "direction_zh": "偏高" if a.direction == "up" else "偏低",
                "size_pct": pct(a.size),
                "drivers": "; ".join(a.drivers[:2]) or "no single driver",
            },
            evidence={"value": a.value, "expected": a.expected, "score": a.score},
        )
        for a in found
    ]
