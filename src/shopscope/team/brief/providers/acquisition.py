"""Acquisition findings: paid channels whose ROAS fell."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, last_days, param, pct, provider

__all__ = ["roas_drop"]


@provider("roas_drop")
def roas_drop(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Paid channels whose ROAS over the last ``days`` fell by ``min_drop`` or more against the
    ``days`` before, among channels that spent at least ``min_spend`` in both windows."""
    from shopscope.acquisition import channel_table
    from shopscope.insight.periods import DateRange

    days = param(params, "days", 28, int)
    min_drop = param(params, "min_drop", 0.35, float)
    min_spend = param(params, "min_spend", 100.0, float)
    current = last_days(ctx.as_of, days)
    previous = DateRange(current.start - timedelta(days=days), current.start - timedelta(days=1))

    def by_channel(period: Any) -> dict[str, dict[str, Any]]:
        rows = channel_table(ctx.wh, period).to_pyarrow().to_pylist()
        return {r["channel"]: r for r in rows}

    now, before = by_channel(current), by_channel(previous)
    out: list[Finding] = []
    for channel, row in sorted(now.items()):
        old = before.get(channel)
        if old is None or min(row["spend"] or 0.0, old["spend"] or 0.0) < min_spend:
            continue
        if not row["roas"] or not old["roas"]:
            continue
        change = row["roas"] / old["roas"] - 1.0
        if change > -min_drop:
            continue
        out.append(
            Finding(
                key=f"roas:{channel}",
                values={
                    "channel": channel,
                    "roas": f"{row['roas']:.2f}",
                    "roas_before": f"{old['roas']:.2f}",
                    "change_pct": pct(change),
                    "spend_change_pct": pct(row["spend"] / old["spend"] - 1.0),
                    "days": days,
                },
                evidence={
                    "roas": row["roas"],
                    "roas_before": old["roas"],
                    "spend": row["spend"],
                    "spend_before": old["spend"],
                },
            )
        )
    return out
