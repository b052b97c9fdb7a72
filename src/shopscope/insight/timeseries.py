"""KPIs per day, ISO week or month, and a KPI against its comparison period bucket by bucket.

The engine groups by bucket (orders by ``ordered_at``, events by ``occurred_at``); the few
bucket rows that come back are laid on the full calendar of the range, so every bucket is
present: 0 for sums and counts, null for ratios without a denominator.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import ibis.expr.types as ir
import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.insight.kpis import Grouping, check_kpis, kpi_table
from shopscope.insight.periods import Comparison, DateRange, Grain, comparison_range
from shopscope.warehouse.connection import Warehouse

__all__ = ["bucket_of", "buckets", "kpi_series", "series_table", "series_with_comparison"]

_GRAINS = ("day", "week", "month")
# Sums and counts are 0 in an empty bucket; ratios (and event counts without events) are null.
_ZERO_FILLED = ("gmv", "net_revenue", "orders", "customers", "new_customers", "returning_customers")


def _check_grain(grain: str) -> None:
    if grain not in _GRAINS:
        raise InvalidInputError(f"Unknown grain {grain!r}; use one of {', '.join(_GRAINS)}.")


def bucket_of(ts: ir.TimestampValue, grain: Grain) -> ir.DateValue:
    """The bucket of ``ts``: its day, the Monday of its ISO week, or the first of its month."""
    if grain == "day":
        return ts.date()
    return ts.truncate("W" if grain == "week" else "M").date()


def _bucket_start(d: date, grain: Grain) -> date:
    if grain == "day":
        return d
    if grain == "week":
        return d - timedelta(days=d.weekday())
    return d.replace(day=1)


def buckets(period: DateRange, grain: Grain) -> list[date]:
    """Every bucket that overlaps ``period``, in order (partial first/last weeks and months)."""
    _check_grain(grain)
    out: list[date] = []
    d = _bucket_start(period.start, grain)
    while d <= period.end:
        out.append(d)
        if grain == "day":
            d += timedelta(days=1)
        elif grain == "week":
            d += timedelta(days=7)
        else:
            d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def _grouping(grain: Grain) -> Grouping:
    return Grouping(
        lines=lambda t: t.mutate(member=bucket_of(t.ordered_at, grain)),
        events=lambda e: e.mutate(member=bucket_of(e.occurred_at, grain)),
        # A customer is new in the bucket of their first sale order ever.
        is_new=lambda first_at, member: bucket_of(first_at, grain) == member,
    )


def series_table(
    wh: Warehouse, period: DateRange, *, grain: Grain = "day", kpis: Sequence[str] = ("orders",)
) -> ir.Table:
    """Ibis table of the KPIs per bucket that has data (``bucket`` + KPI columns; not run)."""
    _check_grain(grain)
    kpis = check_kpis(kpis)
    t = kpi_table(wh, period, kpis, _grouping(grain))
    return t.select(bucket=t.member, **{k: t[k] for k in kpis})


def kpi_series(
    wh: Warehouse,
    period: DateRange,
    *,
    grain: Grain = "day",
    kpis: Sequence[str] = ("net_revenue", "orders", "aov", "conversion_rate"),
) -> pa.Table:
    """KPIs per bucket of ``period``, every bucket present.

    Parameters
    ----------
    wh
        The warehouse.
    period
        Inclusive UTC days.
    grain
        ``day``, ``week`` (ISO weeks, bucket = Monday) or ``month`` (bucket = the 1st). Edge
        buckets cover only the days inside ``period``.
    kpis
        Keys of :data:`~shopscope.insight.kpis.KPI_KEYS`.

    Returns
    -------
    pyarrow.Table
        ``bucket`` (date) and one float64 column per KPI.
    """
    kpis = check_kpis(kpis)
    got = series_table(wh, period, grain=grain, kpis=kpis).to_pyarrow().to_pylist()
    by_bucket = {r["bucket"]: r for r in got}
    calendar = buckets(period, grain)
    columns: dict[str, pa.Array] = {"bucket": pa.array(calendar, pa.date32())}
    for k in kpis:
        fill = 0.0 if k in _ZERO_FILLED else None
        values = [by_bucket[b][k] if b in by_bucket else fill for b in calendar]
        columns[k] = pa.array(values, pa.float64())
    return pa.table(columns)


def series_with_comparison(
    wh: Warehouse,
    period: DateRange,
    *,
    grain: Grain = "day",
    kpi: str = "net_revenue",
    compare: Comparison = "previous",
) -> pa.Table:
    """One KPI per bucket next to the comparison period's bucket at the same offset.

    Bucket ``i`` of ``period`` is paired with bucket ``i`` of the comparison range
    (``previous`` or ``yoy``, see :func:`~shopscope.insight.periods.comparison_range`).

    Returns
    -------
    pyarrow.Table
        ``bucket``, ``previous_bucket``, ``current``, ``previous``, ``delta`` = current −
        previous and ``delta_rel`` = delta / |previous| (null when previous is 0 or null).
    """
    check_kpis([kpi])
    other = comparison_range(period, compare)
    now = kpi_series(wh, period, grain=grain, kpis=[kpi])
    then = kpi_series(wh, other, grain=grain, kpis=[kpi])
    cur = now.column(kpi).to_pylist()
    prev_all = then.column(kpi).to_pylist()
    prev_buckets = then.column("bucket").to_pylist()
    n = len(cur)
    prev = [prev_all[i] if i < len(prev_all) else None for i in range(n)]
    delta = [None if a is None or b is None else a - b for a, b in zip(cur, prev, strict=True)]
    rel = [None if d is None or not b else d / abs(b) for d, b in zip(delta, prev, strict=True)]
    return pa.table(
        {
            "bucket": now.column("bucket"),
            "previous_bucket": pa.array(
                [prev_buckets[i] if i < len(prev_buckets) else None for i in range(n)],
                pa.date32(),
            ),
            "current": pa.array(cur, pa.float64()),
            "previous": pa.array(prev, pa.float64()),
            "delta": pa.array(delta, pa.float64()),
            "delta_rel": pa.array(rel, pa.float64()),
        }
    )
