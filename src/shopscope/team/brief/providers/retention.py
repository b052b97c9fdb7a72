"""Retention findings: valuable customers at risk of churning."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, param, provider

__all__ = ["vip_at_risk"]


@provider("vip_at_risk")
def vip_at_risk(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Valuable customers whose P(alive) fell over the last ``days`` (``retention.churn``)."""
    from shopscope.retention.churn import churn_risk

    days = param(params, "days", 90, int)
    top = param(params, "max_items", 10, int)
    result = churn_risk(
        ctx.wh,
        from_date=ctx.as_of - timedelta(days=days),
        to_date=ctx.as_of,
        time_unit="week",
        limit=top,
    )
    return [
        Finding(
            key=f"vip:{r['customer_id']}",
            values={
                "customer_id": r["customer_id"],
                "weeks": int(r["x"]) + 1,
                "quiet_days": int(r["days_since_last_purchase"]),
                "p_alive_pct": f"{r['p_alive_to']:.0%}",
                "value_at_risk": f"{r['value_at_risk']:,.0f}",
            },
            evidence={
                "p_alive_from": r["p_alive_from"],
                "p_alive_to": r["p_alive_to"],
                "clv_if_alive": r["clv_if_alive"],
            },
        )
        for r in result.customers.to_pylist()
    ]
