"""Product findings: SKUs whose sales moved significantly against the shop's own movement."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from shopscope.errors import NotFoundError
from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, param, pct, provider

__all__ = ["sku_trends"]


def window_sales(ctx: BriefContext, days: int) -> dict[str, dict[str, Any]]:
    """Per SKU: sale lines, units and net revenue in the last ``days`` days (``cur_*``) and the
    ``days`` before (``prev_*``), plus its title (one engine query)."""
    import ibis

    from shopscope.insight.definitions import GOODS_KINDS, REVERSAL_STATUSES

    for name in ("orders", "order_items", "products"):
        if not ctx.wh.has_table(name):
            raise NotFoundError(f"The warehouse has no {name} table; load data first.")
    end = datetime.combine(ctx.as_of + timedelta(days=1), time())
    mid, start = end - timedelta(days=days), end - timedelta(days=2 * days)
    o, i, p = ctx.wh.table("orders"), ctx.wh.table("order_items"), ctx.wh.table("products")
    o = o.filter(
        (o.ordered_at >= start) & (o.ordered_at < end) & o.status.notin(list(REVERSAL_STATUSES))
    )
    lines = i.filter(i.quantity > 0).join(o, "order_id").left_join(p, i.sku == p.sku)
    lines = lines.filter(lines.item_kind.isnull() | lines.item_kind.isin(list(GOODS_KINDS)))
    cur = lines.ordered_at >= mid
    net = lines.quantity * lines.unit_price - ibis.coalesce(lines.discount_amount, 0.0)
    agg = lines.group_by(sku=lines.sku).aggregate(
        title=lines.title.max(),
        cur_lines=cur.ifelse(1, 0).sum(),
        prev_lines=cur.ifelse(0, 1).sum(),
        cur_units=cur.ifelse(lines.quantity, 0).sum(),
        prev_units=cur.ifelse(0, lines.quantity).sum(),
        cur_revenue=cur.ifelse(net, 0.0).sum(),
        prev_revenue=cur.ifelse(0.0, net).sum(),
    )
    return {r["sku"]: r for r in agg.to_pyarrow().to_pylist()}


@provider("sku_trends")
def sku_trends(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """SKUs whose sale lines of the last ``days`` moved against the ``days`` before by at least
    ``min_change`` relative to the whole shop, significant at family-wise ``alpha``.

    Conditional on a SKU's lines in both windows ``n = a + b``, the current count ``a`` is
    Binomial(n, p0) when the SKU keeps its share of the shop, with ``p0`` the shop's share of
    lines in the current window (so shop-wide seasonality and promotions cancel). The two-sided
    exact test's p-value is Bonferroni-corrected over the SKUs with at least ``min_lines``.
    """
    from scipy.stats import binomtest

    days = param(params, "days", 28, int)
    min_lines = param(params, "min_lines", 20, int)
    min_change = param(params, "min_change", 0.3, float)
    alpha = param(params, "alpha", 0.01, float)
    top = param(params, "max_items", 5, int)
    sales = window_sales(ctx, days)
    shop_cur = sum(r["cur_lines"] for r in sales.values())
    shop_prev = sum(r["prev_lines"] for r in sales.values())
    if shop_cur == 0 or shop_prev == 0:
        raise NotFoundError(
            f"No sale lines in the last {days} days or the {days} before {ctx.as_of}; "
            "a trend needs both windows."
        )
    p0 = shop_cur / (shop_cur + shop_prev)
    tested = {s: r for s, r in sales.items() if r["cur_lines"] + r["prev_lines"] >= min_lines}
    found: list[tuple[float, Finding]] = []
    for sku, r in tested.items():
        a, b = r["cur_lines"], r["prev_lines"]
        p_value = min(1.0, binomtest(a, a + b, p0).pvalue * len(tested))
        rel = (a / shop_cur) / (b / shop_prev) - 1.0 if b else float("inf")
        if p_value >= alpha or abs(rel) < min_change:
            continue
        up = rel > 0
        stake = abs(r["cur_revenue"] - r["prev_revenue"])
        found.append(
            (
                -stake,
                Finding(
                    key=f"trend:{sku}",
                    values={
                        "sku": sku,
                        "title": r["title"] or "",
                        "direction": "up" if up else "down",
                        "direction_zh": "上升" if up else "下降",
                        "change_pct": pct(r["cur_units"] / r["prev_units"] - 1.0)
                        if r["prev_units"]
                        else "new",
                        "vs_shop_pct": pct(rel) if b else "new",
                        "units": int(r["cur_units"]),
                        "units_before": int(r["prev_units"]),
                        "revenue": f"{r['cur_revenue']:,.0f}",
                        "at_stake": f"{stake:,.0f}",
                        "days": days,
                        "p_value": f"{p_value:.1g}",
                    },
                    evidence={
                        "lines": a,
                        "lines_before": b,
                        "units": r["cur_units"],
                        "units_before": r["prev_units"],
                        "revenue": round(r["cur_revenue"], 2),
                        "revenue_before": round(r["prev_revenue"], 2),
                        "shop_lines": shop_cur,
                        "shop_lines_before": shop_prev,
                        "p_value_adjusted": p_value,
                    },
                    link=f"/tactical/supply?sku={sku}",
                ),
            )
        )
    found.sort(key=lambda t: t[0])
    ups = [f for _, f in found if f.values["direction"] == "up"][:top]
    downs = [f for _, f in found if f.values["direction"] == "down"][:top]
    return downs + ups
