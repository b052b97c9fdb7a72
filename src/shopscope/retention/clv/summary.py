"""Recency-frequency-monetary summaries for buy-till-you-die models, computed in the engine.

The conventions are those of Hardie's CDNOW summary files (Fader, Hardie & Lee 2005):

* a *purchase day* is a customer-day with at least one sale order (status not cancelled,
  returned or refunded); several orders on one day count once;
* ``x`` = purchase days in the calibration period minus one (the first purchase is not a repeat);
* ``t_x`` = time from the first to the last purchase day; ``T`` = time from the first purchase
  day to ``calibration_end`` (days between the two dates, so a first purchase on 1997-01-01 and
  an end of 1997-09-30 give 272 days = 38.86 weeks); orders *on* ``calibration_end`` belong to
  the calibration period;
* ``monetary`` = mean revenue of the repeat purchase days (0 when ``x = 0``), a day's revenue
  being the sum of ``gross_amount`` over its sale orders (Fader & Hardie 2013);
* ``x_holdout`` = purchase days in ``(calibration_end, observation_end]``.

References
----------
.. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting Your Customers" the Easy
   Way: An Alternative to the Pareto/NBD Model. *Marketing Science* 24(2), 275-284.
.. [2] Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma Model of Monetary Value.
   http://brucehardie.com/notes/025/
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.insight.definitions import REVERSAL_STATUSES

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["TimeUnit", "rfm_summary", "rfm_summary_table"]

TimeUnit = Literal["day", "week"]
"""The unit of ``t_x`` and ``T``."""

_DAYS_PER_UNIT: dict[str, float] = {"day": 1.0, "week": 7.0}


def rfm_summary(
    wh: Warehouse,
    *,
    calibration_end: dt.date,
    observation_end: dt.date | None = None,
    time_unit: TimeUnit = "week",
) -> pa.Table:
    """:func:`rfm_summary_table`, executed (a pyarrow table sorted by ``customer_id``)."""
    expr = rfm_summary_table(
        wh, calibration_end=calibration_end, observation_end=observation_end, time_unit=time_unit
    )
    table: pa.Table = expr.to_pyarrow()
    return table


def rfm_summary_table(
    wh: Warehouse,
    *,
    calibration_end: dt.date,
    observation_end: dt.date | None = None,
    time_unit: TimeUnit = "week",
) -> ir.Table:
    """Per-customer ``(x, t_x, T, monetary[, x_holdout])`` from the ``orders`` table.

    Parameters
    ----------
    wh
        An open warehouse with an ``orders`` table.
    calibration_end
        Last day (inclusive) of the calibration period.
    observation_end
        Last day (inclusive) of the holdout period; when given, ``x_holdout`` is added.
    time_unit
        ``"week"`` (Hardie's convention) or ``"day"``.

    Returns
    -------
    ibis.Table
        Columns ``customer_id, x, t_x, T, monetary`` (and ``x_holdout``), one row per non-guest
        customer with a sale order on or before ``calibration_end``, sorted by ``customer_id``.

    References
    ----------
    .. [1] Fader, Hardie & Lee (2005), section 2 (the ``(x, t_x, T)`` summary).
    .. [2] Fader & Hardie (2013), ``zbar`` = mean of the repeat transactions.
    """
    if time_unit not in _DAYS_PER_UNIT:
        raise InvalidInputError(f"time_unit {time_unit!r} is not supported; use 'day' or 'week'.")
    if observation_end is not None and observation_end <= calibration_end:
        raise InvalidInputError(
            f"observation_end {observation_end} must be after calibration_end "
            f"{calibration_end}; leave it out for a calibration-only summary."
        )
    unit = _DAYS_PER_UNIT[time_unit]
    orders = wh.table("orders")
    sales = orders.filter(
        orders.customer_id.notnull() & orders.status.notin(list(REVERSAL_STATUSES))
    )
    days = sales.group_by(customer_id=sales.customer_id, day=sales.ordered_at.date()).aggregate(
        revenue=ibis.coalesce(sales.gross_amount, 0.0).sum()
    )
    cal_end = ibis.literal(calibration_end)
    cal = days.filter(days.day <= cal_end)
    per = cal.group_by("customer_id").aggregate(
        n=cal.day.count(),
        first=cal.day.min(),
        last=cal.day.max(),
        total=cal.revenue.sum(),
        first_revenue=cal.revenue.argmin(cal.day),
    )
    x = per.n - 1
    out = per.select(
        "customer_id",
        x=x.cast("int64"),
        t_x=(per.last.epoch_days() - per.first.epoch_days()).cast("float64") / unit,
        T=(cal_end.epoch_days() - per.first.epoch_days()).cast("float64") / unit,
        monetary=ibis.ifelse(
            x > 0, (per.total - per.first_revenue) / x.cast("float64"), ibis.literal(0.0)
        ),
    )
    if observation_end is not None:
        hold = days.filter((days.day > cal_end) & (days.day <= ibis.literal(observation_end)))
        counts = hold.group_by("customer_id").aggregate(x_holdout=hold.day.count())
        joined = out.left_join(counts, out.customer_id == counts.customer_id)
        out = joined.select(
            "customer_id",
            "x",
            "t_x",
            "T",
            "monetary",
            x_holdout=ibis.coalesce(joined.x_holdout, 0).cast("int64"),
        )
    return out.order_by("customer_id")
