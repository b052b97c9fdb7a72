"""Supply findings: SKUs at risk of stocking out, one by one and in summary."""

from __future__ import annotations

from typing import Any

from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, param, provider

__all__ = ["stock_risk", "stock_risk_summary"]


def _replenishment(ctx: BriefContext) -> Any:
    from shopscope.supply.inventory import replenishment_plan

    return ctx.cached("replenishment", lambda: replenishment_plan(ctx.wh, as_of=ctx.as_of))


def _at_risk(ctx: BriefContext, min_risk: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _replenishment(ctx).rows.to_pylist()
    risky = [r for r in rows if (r["stockout_risk"] or 0) >= min_risk and r["order_qty"] > 0]
    return sorted(risky, key=lambda r: (-r["stockout_risk"], r["sku"], r["location"]))


@provider("stock_risk")
def stock_risk(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """SKUs likely to stock out before a new order can arrive, with the order to place."""
    min_risk = param(params, "min_risk", 0.5, float)
    top = param(params, "max_items", 20, int)
    return [
        Finding(
            key=f"restock:{r['sku']}:{r['location']}",
            values={
                "sku": r["sku"],
                "location": r["location"],
                "order_qty": f"{r['order_qty']:,.0f}",
                "order_by": str(r["order_by"]),
                "days_of_cover": f"{r['days_of_cover']:.1f}",
                "risk_pct": f"{r['stockout_risk']:.0%}",
            },
            evidence={
                "on_hand": r["on_hand"],
                "on_order": r["on_order"],
                "mean_daily_demand": r["mean_daily_demand"],
                "lead_time_days": r["lead_time_days"],
                "stockout_risk": r["stockout_risk"],
            },
        )
        for r in _at_risk(ctx, min_risk)[:top]
    ]


@provider("stock_risk_summary")
def stock_risk_summary(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """How many SKUs are at stock-out risk and the value of the orders that would cover them."""
    min_risk = param(params, "min_risk", 0.5, float)
    risky = _at_risk(ctx, min_risk)
    if not risky:
        return []
    value = sum(float(r["order_value"] or 0.0) for r in risky)
    return [
        Finding(
            key="stock_risk_summary",
            values={"skus": len(risky), "order_value": f"{value:,.0f}"},
            evidence={"skus": len(risky), "order_value": value},
        )
    ]
