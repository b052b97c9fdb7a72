"""Progress against monthly targets: month to date, pro-rated target, run-rate, pace status.

For a month ``M`` and a day ``as_of`` in it (see ``docs/methods/targets.md``):

* ``actual`` is the metric over ``M``'s first day .. ``as_of`` (KPIs as ``insight.kpis``
  defines them; ``ad_spend`` is Σ ``ad_spend.spend``, of the channel or of the whole shop);
* ``share`` is the part of the month's total expected by ``as_of``. For the sales totals
  (net_revenue, orders, new_customers), when the history holds the same month last year, it is
  last year's share of the same days (seasonality within the month, weekends, paydays);
  otherwise, and always for ad budgets (paced evenly unless planned otherwise), it is the
  share of days, ``days_elapsed / days_in_month``. Ratio KPIs (aov, conversion_rate) are
  levels, not totals: ``share`` is 1 and they are compared with the target as they stand;
* ``target_to_date = target × share``; ``projected = actual / share`` (the run-rate month end);
* ``gap = actual − target_to_date``, ``gap_rel = actual / target_to_date − 1``;
* status: for ad budgets ``over_budget`` when ``gap_rel > tolerance``, ``under_budget`` when
  ``gap_rel < −tolerance``; for the KPIs ``ahead`` / ``behind`` likewise; else ``on_track``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.team.targets.store import Target, list_targets, parse_month

if TYPE_CHECKING:
    from shopscope.insight.periods import DateRange
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "ADDITIVE",
    "PaceStatus",
    "TargetProgress",
    "month_days",
    "target_progress",
    "year_earlier",
]

PaceStatus = Literal["ahead", "on_track", "behind", "over_budget", "under_budget", "no_data"]
Prorating = Literal["days", "last_year", "level"]
ADDITIVE = ("net_revenue", "orders", "new_customers", "ad_spend")
_SEASONAL = ("net_revenue", "orders", "new_customers")


@dataclass(frozen=True)
class TargetProgress:
    """One target's progress on ``as_of`` (see the module docstring for the formulas)."""

    metric: str
    channel: str | None
    month: date
    as_of: date
    days_elapsed: int
    days_in_month: int
    target: float
    prorating: Prorating
    share: float
    target_to_date: float
    actual: float | None
    projected: float | None
    gap: float | None
    gap_rel: float | None
    status: PaceStatus
    reason: str | None = None


def month_days(month: date) -> int:
    """Days in ``month``."""
    return calendar.monthrange(month.year, month.month)[1]


def year_earlier(day: date) -> date:
    """The same day a year earlier (the 28th for 29 February)."""
    last = month_days(date(day.year - 1, day.month, 1))
    return date(day.year - 1, day.month, min(day.day, last))


def _kpis(wh: Warehouse, period: DateRange, keys: list[str]) -> dict[str, float | None]:
    from shopscope.insight.kpis import kpi_table, value_with_reason, whole_period

    if not keys:
        return {}
    rows = kpi_table(wh, period, keys, whole_period(period)).to_pyarrow().to_pylist()
    row = rows[0] if rows else {}
    return {k: value_with_reason(k, row).value if row else 0.0 for k in keys}


def _spend(wh: Warehouse, period: DateRange) -> dict[str | None, float]:
    """Spend per channel over ``period`` and the shop total under ``None``."""
    t = wh.table("ad_spend")
    t = t.filter((t.date >= period.start) & (t.date <= period.end))
    rows = t.group_by("channel").aggregate(spend=t.spend.sum()).to_pyarrow().to_pylist()
    out: dict[str | None, float] = {r["channel"]: float(r["spend"] or 0.0) for r in rows}
    out[None] = sum(out.values())
    return out


def _status(metric: str, gap_rel: float | None, actual: float, tolerance: float) -> PaceStatus:
    budget = metric == "ad_spend"
    if gap_rel is None:  # nothing expected by now
        if actual > 0:
            return "over_budget" if budget else "ahead"
        return "on_track"
    if gap_rel > tolerance:
        return "over_budget" if budget else "ahead"
    if gap_rel < -tolerance:
        return "under_budget" if budget else "behind"
    return "on_track"


def _shares(
    wh: Warehouse, month: date, as_of: date, metrics: list[str], first_day: date | None
) -> dict[str, tuple[Prorating, float]]:
    """``metric -> (prorating, share)`` for the additive sales metrics."""
    from shopscope.insight.periods import DateRange

    by_days = (as_of - month).days + 1
    days_share = by_days / month_days(month)
    ly_month = year_earlier(month)
    out: dict[str, tuple[Prorating, float]] = {m: ("days", days_share) for m in metrics}
    seasonal = [m for m in metrics if m in _SEASONAL]
    if not seasonal or first_day is None or first_day > ly_month or as_of == _month_end(month):
        return out
    ly_end = date(ly_month.year, ly_month.month, month_days(ly_month))
    part = _kpis(wh, DateRange(ly_month, year_earlier(as_of)), seasonal)
    whole = _kpis(wh, DateRange(ly_month, ly_end), seasonal)
    for m in seasonal:
        p, w = part.get(m), whole.get(m)
        if p is not None and w is not None and w > 0 and 0 < p <= w:
            out[m] = ("last_year", p / w)
    return out


def _month_end(month: date) -> date:
    return date(month.year, month.month, month_days(month))


def target_progress(
    wh: Warehouse,
    month: str | date | None = None,
    as_of: date | None = None,
    *,
    tolerance: float = 0.10,
) -> list[TargetProgress]:
    """Progress of every target of ``month`` on ``as_of``.

    Parameters
    ----------
    wh:
        The warehouse.
    month:
        The month (``YYYY-MM`` or its first day); default: the month of ``as_of``.
    as_of:
        The last day counted; default: the last order day. A day after the month's end counts
        the whole month.
    tolerance:
        Relative gap within which a target is ``on_track`` (0.10 = ±10%).

    Returns
    -------
    list[TargetProgress]
        One row per target of the month (empty when the month has none).

    Raises
    ------
    InvalidInputError
        For a bad month or tolerance, or ``as_of`` before the month starts.
    """
    from shopscope.insight.periods import DateRange, data_range

    if not 0 <= tolerance < 1:
        raise InvalidInputError(f"Tolerance {tolerance!r} must be in [0, 1), e.g. 0.1 for ±10%.")
    span = data_range(wh) if wh.has_table("orders") else None
    if as_of is None:
        if span is None:
            raise NotFoundError("No orders in the warehouse: give as_of, or load data first.")
        as_of = span.end
    first = parse_month(month) if month is not None else as_of.replace(day=1)
    if as_of < first:
        raise InvalidInputError(
            f"as_of {as_of} is before the month {first:%Y-%m} starts; choose a day in or after it."
        )
    as_of = min(as_of, _month_end(first))
    targets = list_targets(wh, first)
    if not targets:
        return []
    period = DateRange(first, as_of)
    kpi_keys = sorted({t.metric for t in targets if t.metric != "ad_spend"})
    actuals: dict[str, float | None] = dict(_kpis(wh, period, kpi_keys))
    spend = _spend(wh, period) if any(t.metric == "ad_spend" for t in targets) else {}
    additive = [m for m in kpi_keys if m in ADDITIVE] + ["ad_spend"]
    shares = _shares(wh, first, as_of, additive, span.start if span else None)
    return [_row(t, first, as_of, actuals, spend, shares, tolerance) for t in targets]


def _row(
    t: Target,
    first: date,
    as_of: date,
    actuals: dict[str, float | None],
    spend: dict[str | None, float],
    shares: dict[str, tuple[Prorating, float]],
    tolerance: float,
) -> TargetProgress:
    if t.metric == "ad_spend":
        actual: float | None = spend.get(t.channel, 0.0)
    else:
        actual = actuals.get(t.metric)
    prorating, share = shares.get(t.metric, ("level", 1.0))
    to_date = t.value * share
    reason = None
    if actual is None:
        gap = gap_rel = projected = None
        status: PaceStatus = "no_data"
        reason = f"{t.metric} has no value for {first:%Y-%m} up to {as_of} (missing data)."
    else:
        gap, gap_rel = actual - to_date, (actual / to_date - 1.0 if to_date > 0 else None)
        projected = actual / share if share > 0 else actual
        status = _status(t.metric, gap_rel, actual, tolerance)
    return TargetProgress(
        metric=t.metric, channel=t.channel, month=first, as_of=as_of,
        days_elapsed=(as_of - first).days + 1, days_in_month=month_days(first), target=t.value,
        prorating=prorating, share=share, target_to_date=to_date, actual=actual,
        projected=projected, gap=gap, gap_rel=gap_rel, status=status, reason=reason,
    )  # fmt: skip
