"""Daily spend and outcome series per paid channel (engine aggregates), and curve fitting.

The engine returns one row per (channel, day) with spend (``ad_spend``, summed over
campaigns), new customers (``customers.acquisition_channel`` on the day the customer was first
seen, else their first sale order) and revenue (sale orders by ``orders.channel``). Python
fills the days without rows with zeros and fits :class:`.ResponseModel` per channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from shopscope.acquisition.budget.response import CurveForm, ResponseCurve, ResponseModel
from shopscope.acquisition.performance import check_spend
from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.cohorts import sale_orders
from shopscope.insight.periods import DateRange, in_range

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["Outcome", "current_spend", "daily_series", "daily_table", "fit_response_curves"]

Outcome = Literal["new_customers", "revenue"]


def daily_table(wh: Warehouse, *, period: DateRange | None = None) -> ir.Table:
    """``channel, day, spend, new_customers, revenue`` for channels with spend (Ibis)."""
    a = wh.table("ad_spend")
    if period is not None:
        a = in_range(a, "date", period)
    spend = a.group_by(channel=a.channel, day=a.date).aggregate(
        spend=ibis.coalesce(a.spend, 0.0).sum()
    )
    s = sale_orders(wh)
    first = (
        s.filter(s.customer_id.notnull())
        .group_by("customer_id")
        .aggregate(first_order=s.ordered_at.min())
    )
    c = wh.table("customers")
    j = c.left_join(first, "customer_id")
    j = j.mutate(day=ibis.coalesce(j.first_seen_at, j.first_order).date())
    j = j.filter(j.day.notnull() & j.acquisition_channel.notnull())
    new = j.group_by(channel=j.acquisition_channel, day=j.day).aggregate(new_customers=j.count())
    o = s.filter(s.channel.notnull())
    rev = o.group_by(channel=o.channel, day=o.ordered_at.date()).aggregate(revenue=o.revenue.sum())
    out = spend.left_join(new, ["channel", "day"]).drop("channel_right", "day_right")
    out = out.left_join(rev, ["channel", "day"]).drop("channel_right", "day_right")
    return out.mutate(
        new_customers=ibis.coalesce(out.new_customers, 0).cast("int64"),
        revenue=ibis.coalesce(out.revenue, 0.0),
    ).order_by("channel", "day")


def daily_series(
    wh: Warehouse, *, period: DateRange | None = None
) -> dict[str, tuple[list[date], np.ndarray, np.ndarray, np.ndarray]]:
    """Per channel with spend: consecutive days, spend, new customers, revenue (zero-filled).

    A day inside the channel's spend span without an ``ad_spend`` row counts as 0 spend; its
    outcomes are taken from the engine as well (they happened without spend that day).
    """
    check_spend(wh, period)
    data = daily_table(wh, period=period).to_pyarrow()
    if data.num_rows == 0:
        raise NotFoundError(
            "No ad_spend rows" + (f" in {period}" if period else "") + ": response curves need "
            "daily spend per channel. Load ad_spend (date, channel, campaign, spend)."
        )
    out: dict[str, tuple[list[date], np.ndarray, np.ndarray, np.ndarray]] = {}
    lo = min(data.column("day").to_pylist())
    hi = max(data.column("day").to_pylist())
    if period is not None:
        lo, hi = period.start, period.end
    days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    missing = _outcomes_without_spend(wh, period)
    for ch in sorted(set(data.column("channel").to_pylist())):
        part = data.filter(pa.compute.equal(data.column("channel"), ch)).to_pylist()
        spend = np.zeros(len(days))
        new = np.zeros(len(days))
        rev = np.zeros(len(days))
        for r in part:
            i = index[r["day"]]
            spend[i], new[i], rev[i] = r["spend"], r["new_customers"], r["revenue"]
        extra = missing.get(ch, {})
        for d, (n, v) in extra.items():
            if d in index:
                new[index[d]], rev[index[d]] = n, v
        out[ch] = (days, spend, new, rev)
    return out


def _outcomes_without_spend(
    wh: Warehouse, period: DateRange | None
) -> dict[str, dict[date, tuple[int, float]]]:
    """Outcomes of spend channels on days that have no ad_spend row (zero-spend days)."""
    a = wh.table("ad_spend")
    channels = a.select("channel").distinct()
    s = sale_orders(wh)
    o = s.filter(s.channel.notnull())
    rev = o.group_by(channel=o.channel, day=o.ordered_at.date()).aggregate(revenue=o.revenue.sum())
    rev = rev.semi_join(channels, "channel")
    if period is not None:
        rev = in_range(rev, "day", period)
    spend_days = a.select(channel=a.channel, day=a.date).distinct()
    rev = rev.anti_join(spend_days, ["channel", "day"])
    out: dict[str, dict[date, tuple[int, float]]] = {}
    for r in rev.to_pyarrow().to_pylist():
        out.setdefault(r["channel"], {})[r["day"]] = (0, float(r["revenue"]))
    return out


def current_spend(wh: Warehouse, *, days: int = 28) -> dict[str, float]:
    """Mean daily spend per channel over the last ``days`` days of ``ad_spend``."""
    a = wh.table("ad_spend")
    last = a.aggregate(hi=a.date.max()).to_pyarrow().column("hi")[0].as_py()
    if last is None:
        return {}
    recent = a.filter(a.date > last - timedelta(days=days))
    rows = recent.group_by("channel").aggregate(s=ibis.coalesce(recent.spend, 0.0).sum())
    return {r["channel"]: float(r["s"]) / days for r in rows.to_pyarrow().to_pylist()}


def fit_response_curves(
    wh: Warehouse,
    *,
    outcome: Outcome = "revenue",
    form: CurveForm = "power",
    channels: Sequence[str] | None = None,
    period: DateRange | None = None,
    adstock: bool = True,
    baseline: bool = True,
    n_boot: int = 100,
    seed: int = 0,
) -> tuple[ResponseCurve, ...]:
    """Fit one response curve per channel with spend.

    Parameters
    ----------
    wh
        The warehouse (``ad_spend``, ``orders``, ``customers``).
    outcome
        ``"revenue"`` (sale-order revenue by order channel per day) or ``"new_customers"``.
    form, adstock, baseline
        See :class:`.ResponseModel`.
    channels
        Restrict to these channels (default: every channel in ``ad_spend``).
    period
        Fit on these days (default: the whole spend history).
    n_boot, seed
        Bootstrap replicates for the intervals and their seed.
    """
    if outcome not in ("revenue", "new_customers"):
        raise InvalidInputError(f"Unknown outcome {outcome!r}; use revenue or new_customers.")
    series = daily_series(wh, period=period)
    chosen = list(channels) if channels else sorted(series)
    unknown = [c for c in chosen if c not in series]
    if unknown:
        raise NotFoundError(
            f"No ad_spend for channel(s) {', '.join(unknown)}; channels with spend: "
            f"{', '.join(sorted(series))}."
        )
    curves = []
    for i, ch in enumerate(chosen):
        _, spend, new, rev = series[ch]
        y = new if outcome == "new_customers" else rev
        model = ResponseModel(form, adstock=adstock, baseline=baseline)
        model.fit(spend, y, channel=ch, outcome_name=outcome, n_boot=n_boot, seed=seed + i)
        curves.append(model.curve)
    return tuple(curves)
