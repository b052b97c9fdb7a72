"""Acquisition cohorts: retention, orders and revenue by months (or weeks) since acquisition.

A customer's *acquisition date* is their first sale order ever; the cohort is the calendar
month (or ISO week, starting Monday) of that date, and period ``k`` is the ``k``-th calendar
grain after it (period 0 is the acquisition grain itself). Guests (``customer_id`` null) are
left out. The relational part (:func:`sale_orders`, :func:`cohort_activity`) is Ibis run by the
backend; the matrix is assembled in NumPy from the compact cohort × period aggregate.

See ``docs/methods/cohorts.md`` for definitions and validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal, get_args

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.definitions import GOODS_KINDS, REVERSAL_STATUSES
from shopscope.insight.periods import DateRange, data_range, in_range

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "GOODS_KINDS",
    "NON_SALE_STATUSES",
    "CohortGrain",
    "CohortMatrix",
    "CohortMetric",
    "cohort_activity",
    "cohort_matrix",
    "ltv_curves",
    "order_revenue",
    "period_index",
    "sale_orders",
]

CohortMetric = Literal["customers", "orders", "revenue"]
CohortGrain = Literal["week", "month"]
LtvGroup = Literal["cohort", "channel"]

NON_SALE_STATUSES = REVERSAL_STATUSES
"""Order statuses that never count as a sale."""

_EPOCH_MONDAY = date(1970, 1, 5)
_WEEK_SECONDS = 7 * 86_400


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidInputError(f"Unknown {name} {value!r}; allowed: {', '.join(allowed)}.")


# -- relational part (Ibis) -------------------------------------------------------------------


def order_revenue(wh: Warehouse) -> ir.Table:
    """Per order: ``revenue`` (positive goods lines) and ``line_total`` (all lines, signed).

    Goods lines are those whose SKU has ``item_kind`` in :data:`GOODS_KINDS` or no products row.
    """
    items = wh.table("order_items")
    products = wh.table("products").select("sku", "item_kind")
    lines = items.left_join(products, items.sku == products.sku)
    goods = lines.item_kind.isnull() | lines.item_kind.isin(list(GOODS_KINDS))
    amount = lines.quantity * lines.unit_price
    return lines.group_by("order_id").aggregate(
        revenue=ibis.ifelse(goods & (lines.quantity > 0), amount, 0.0).sum(),
        line_total=amount.sum(),
    )


def sale_orders(wh: Warehouse) -> ir.Table:
    """Sale orders with their revenue: order_id, customer_id, ordered_at, channel, device, revenue.

    A sale order has a status outside :data:`NON_SALE_STATUSES` and a positive
    ``gross_amount`` (when null: a positive sum of quantity × unit price over its lines).
    Its revenue is the sum of quantity × unit price over its goods lines with positive quantity.
    """
    orders = wh.table("orders")
    rev = order_revenue(wh)
    j = orders.left_join(rev, orders.order_id == rev.order_id)
    positive = ibis.ifelse(
        j.gross_amount.isnull(), ibis.coalesce(j.line_total, 0.0) > 0, j.gross_amount > 0
    )
    sale = j.filter(j.status.notin(list(NON_SALE_STATUSES)) & positive)
    return sale.select(
        "order_id",
        "customer_id",
        "ordered_at",
        "channel",
        "device",
        revenue=ibis.coalesce(sale.revenue, 0.0),
    )


def _grain_start(ts: ir.TimestampValue, grain: CohortGrain) -> ir.TimestampValue:
    return ts.truncate("M" if grain == "month" else "W")


def _grain_number(ts: ir.TimestampValue, grain: CohortGrain) -> ir.IntegerValue:
    """Grains since an epoch, for a timestamp already truncated to ``grain``."""
    if grain == "month":
        return (ts.year() * 12 + ts.month()).cast("int64")
    # Truncated weeks are whole multiples of 7 days apart; round() absorbs float error.
    return (ts.epoch_seconds() / _WEEK_SECONDS).round().cast("int64")


def cohort_activity(
    wh: Warehouse,
    *,
    grain: CohortGrain = "month",
    by: LtvGroup | None = None,
    period: DateRange | None = None,
) -> ir.Table:
    """Cohort × period aggregate of sale orders by known customers (an Ibis expression).

    Parameters
    ----------
    wh
        The warehouse.
    grain
        ``"month"`` (calendar months) or ``"week"`` (ISO weeks from Monday).
    by
        ``"channel"`` adds a ``channel`` column: the customer's ``acquisition_channel``
        (``"unknown"`` when missing). ``None`` or ``"cohort"``: no extra column.
    period
        Keep only customers acquired in this range (observation is not cut).

    Returns
    -------
    ibis.Table
        Columns ``[channel,] cohort`` (date: start of the acquisition grain), ``period``
        (int64, grains since acquisition), ``customers`` (distinct customers with a sale order
        in that period), ``orders`` (sale orders) and ``revenue``.
    """
    _check_choice("grain", grain, get_args(CohortGrain))
    s = sale_orders(wh)
    s = s.filter(s.customer_id.notnull()).select("customer_id", "ordered_at", "revenue")
    first = s.group_by("customer_id").aggregate(acquired_at=s.ordered_at.min())
    if period is not None:
        first = in_range(first, "acquired_at", period)
    if by == "channel":
        customers = wh.table("customers").select("customer_id", "acquisition_channel")
        first = first.left_join(customers, "customer_id").select(
            "customer_id",
            "acquired_at",
            channel=ibis.coalesce(customers.acquisition_channel, "unknown"),
        )
    j = s.join(first, "customer_id")
    cohort_ts = _grain_start(j.acquired_at, grain)
    order_ts = _grain_start(j.ordered_at, grain)
    j = j.mutate(
        cohort=cohort_ts.date(),
        period=_grain_number(order_ts, grain) - _grain_number(cohort_ts, grain),
    )
    keys = ["channel", "cohort", "period"] if by == "channel" else ["cohort", "period"]
    return j.group_by(keys).aggregate(
        customers=j.customer_id.nunique(),
        orders=j.count(),
        revenue=j.revenue.sum(),
    )


# -- calendar helpers -------------------------------------------------------------------------


def period_index(day: date, grain: CohortGrain) -> int:
    """Grains between a fixed epoch and the grain containing ``day`` (differences matter)."""
    if grain == "month":
        return day.year * 12 + day.month - 1
    return (day - _EPOCH_MONDAY).days // 7


def _observable_periods(cohort: date, end: date, grain: CohortGrain, *, complete: bool) -> int:
    """How many periods of ``cohort`` have started (or, if ``complete``, ended) by ``end``."""
    last = end + timedelta(days=1) if complete else end
    n = period_index(last, grain) - period_index(cohort, grain)
    return max(n if complete else n + 1, 0)


# -- result and API ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortMatrix:
    """A cohort matrix: one row per acquisition cohort, one column per period since acquisition.

    Attributes
    ----------
    grain
        ``"week"`` or ``"month"``.
    metric
        ``"customers"`` (active customers), ``"orders"`` (sale orders) or ``"revenue"``.
    cohorts
        Start of each cohort (Monday or first of month), ascending.
    sizes
        Customers acquired in each cohort.
    values
        Shape ``(n_cohorts, n_periods)``; ``values[i, k]`` is the metric in the ``k``-th grain
        after acquisition; NaN where that grain starts after the end of the data.
    retention
        For ``metric="customers"``: ``values / sizes`` (period 0 is 1.0); otherwise None.
    """

    grain: CohortGrain
    metric: CohortMetric
    cohorts: tuple[date, ...]
    sizes: tuple[int, ...]
    values: np.ndarray
    retention: np.ndarray | None

    def to_arrow(self) -> pa.Table:
        """Long format: ``cohort, period, value, retention`` (observable cells only)."""
        rows_c: list[date] = []
        rows_p: list[int] = []
        rows_v: list[float] = []
        rows_r: list[float | None] = []
        for i, cohort in enumerate(self.cohorts):
            for k in range(self.values.shape[1]):
                v = float(self.values[i, k])
                if np.isnan(v):
                    continue
                rows_c.append(cohort)
                rows_p.append(k)
                rows_v.append(v)
                rows_r.append(None if self.retention is None else float(self.retention[i, k]))
        return pa.table(
            {
                "cohort": pa.array(rows_c, pa.date32()),
                "period": pa.array(rows_p, pa.int64()),
                "value": pa.array(rows_v, pa.float64()),
                "retention": pa.array(rows_r, pa.float64()),
            }
        )


def _data_end(wh: Warehouse) -> date:
    available = data_range(wh)
    if available is None:
        raise NotFoundError(
            "The warehouse has no orders, so there are no cohorts. Load data with "
            "`shopscope demo` or `shopscope ingest`."
        )
    return available.end


def _no_customers(where: str) -> NotFoundError:
    return NotFoundError(
        f"No sale orders by known customers{where}: cohorts need orders with a customer_id "
        "and a positive amount that are not cancelled, returned or refunded."
    )


def cohort_matrix(
    wh: Warehouse,
    *,
    grain: CohortGrain = "month",
    metric: CohortMetric = "customers",
    period: DateRange | None = None,
    max_periods: int | None = None,
) -> CohortMatrix:
    """The acquisition-cohort matrix of active customers, orders or revenue.

    Parameters
    ----------
    wh
        The warehouse.
    grain
        ``"month"`` or ``"week"``.
    metric
        ``"customers"``, ``"orders"`` or ``"revenue"``.
    period
        Keep cohorts acquired in this range; activity is observed to the end of the data.
    max_periods
        Keep at most this many periods (columns), from period 0.

    Returns
    -------
    CohortMatrix
        The matrix; a period counts as observable once it has started by the last order day
        in the warehouse, so the latest column of each cohort may be partial.

    Raises
    ------
    NotFoundError
        No orders, or no sale orders by known customers (in ``period``).
    InvalidInputError
        Unknown ``grain`` or ``metric``, or ``max_periods < 1``.

    References
    ----------
    .. [1] Fader, P. S., & Hardie, B. G. S. (2010). Customer-base valuation in a contractual
       setting: the perils of ignoring heterogeneity. *Marketing Science* 29(1), 85-93
       (cohort retention tables).
    """
    _check_choice("grain", grain, get_args(CohortGrain))
    _check_choice("metric", metric, get_args(CohortMetric))
    if max_periods is not None and max_periods < 1:
        raise InvalidInputError(f"max_periods must be at least 1, got {max_periods}.")
    end = _data_end(wh)
    agg = cohort_activity(wh, grain=grain, period=period).to_pyarrow()
    if agg.num_rows == 0:
        raise _no_customers("" if period is None else f" acquired in {period}")
    cohort_col = agg.column("cohort").to_pylist()
    period_col = np.asarray(agg.column("period").to_pylist(), dtype=np.int64)
    value_col = np.asarray(agg.column(metric).to_pylist(), dtype=np.float64)
    customers_col = np.asarray(agg.column("customers").to_pylist(), dtype=np.int64)
    cohorts = tuple(sorted(set(cohort_col)))
    row = {c: i for i, c in enumerate(cohorts)}
    observable = [_observable_periods(c, end, grain, complete=False) for c in cohorts]
    n_periods = max(observable)
    if max_periods is not None:
        n_periods = min(n_periods, max_periods)
    values = np.full((len(cohorts), n_periods), np.nan)
    for i, n in enumerate(observable):
        values[i, : min(n, n_periods)] = 0.0
    sizes = np.zeros(len(cohorts), dtype=np.int64)
    for c, k, v, n in zip(cohort_col, period_col, value_col, customers_col, strict=True):
        i = row[c]
        if k == 0:
            sizes[i] = n
        if k < n_periods:
            values[i, k] = v
    retention = values / sizes[:, None] if metric == "customers" else None
    return CohortMatrix(
        grain=grain,
        metric=metric,
        cohorts=cohorts,
        sizes=tuple(int(s) for s in sizes),
        values=values,
        retention=retention,
    )


def ltv_curves(
    wh: Warehouse,
    *,
    by: LtvGroup = "cohort",
    grain: CohortGrain = "month",
    max_periods: int | None = None,
) -> pa.Table:
    """Cumulative revenue per acquired customer by periods since acquisition.

    Parameters
    ----------
    wh
        The warehouse.
    by
        ``"cohort"`` (one curve per acquisition cohort) or ``"channel"`` (acquisition channel).
    grain
        ``"month"`` or ``"week"``.
    max_periods
        Keep at most this many periods.

    Returns
    -------
    pyarrow.Table
        ``group`` (cohort start as ISO date, or channel), ``period``, ``customers`` (customers
        whose period is fully observed) and ``cumulative_revenue_per_customer`` (revenue of
        periods ``0..period`` divided by ``customers``). Only *complete* periods count: a curve
        point at period ``k`` uses exactly the cohorts whose ``k``-th grain ended by the last
        day of data, so immature cohorts never pull a channel's curve down.

    Raises
    ------
    NotFoundError
        No orders or no sale orders by known customers.
    InvalidInputError
        Unknown ``by`` or ``grain``, or ``max_periods < 1``.

    References
    ----------
    .. [1] Gupta, S., Lehmann, D. R., & Stuart, J. A. (2004). Valuing customers. *Journal of
       Marketing Research* 41(1), 7-18.
    """
    _check_choice("by", by, get_args(LtvGroup))
    _check_choice("grain", grain, get_args(CohortGrain))
    if max_periods is not None and max_periods < 1:
        raise InvalidInputError(f"max_periods must be at least 1, got {max_periods}.")
    end = _data_end(wh)
    agg = cohort_activity(wh, grain=grain, by=by).to_pyarrow()
    if agg.num_rows == 0:
        raise _no_customers("")
    cohorts = agg.column("cohort").to_pylist()
    groups = (
        agg.column("channel").to_pylist() if by == "channel" else [c.isoformat() for c in cohorts]
    )
    # (group, cohort) -> size and revenue per period
    sizes: dict[tuple[str, date], int] = {}
    revenue: dict[tuple[str, date], dict[int, float]] = {}
    for g, c, k, n, r in zip(
        groups,
        cohorts,
        agg.column("period").to_pylist(),
        agg.column("customers").to_pylist(),
        agg.column("revenue").to_pylist(),
        strict=True,
    ):
        if k == 0:
            sizes[(g, c)] = int(n)
        revenue.setdefault((g, c), {})[int(k)] = float(r)
    out_g: list[str] = []
    out_k: list[int] = []
    out_n: list[int] = []
    out_v: list[float] = []
    for g in sorted(set(groups)):
        members = [key for key in sizes if key[0] == g]
        complete = {key: _observable_periods(key[1], end, grain, complete=True) for key in members}
        horizon = max(complete.values(), default=0)
        if max_periods is not None:
            horizon = min(horizon, max_periods)
        cumulative = {key: 0.0 for key in members}
        for k in range(horizon):
            n_k, total = 0, 0.0
            for key in members:
                cumulative[key] += revenue[key].get(k, 0.0)
                if complete[key] > k:
                    n_k += sizes[key]
                    total += cumulative[key]
            if n_k == 0:
                continue
            out_g.append(g)
            out_k.append(k)
            out_n.append(n_k)
            out_v.append(total / n_k)
    return pa.table(
        {
            "group": pa.array(out_g, pa.string()),
            "period": pa.array(out_k, pa.int64()),
            "customers": pa.array(out_n, pa.int64()),
            "cumulative_revenue_per_customer": pa.array(out_v, pa.float64()),
        }
    )
