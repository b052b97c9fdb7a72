"""Churn risk: valuable customers whose probability of being alive is falling.

For two days ``from_date < to_date`` the purchase model is fitted once, on the history up to
``to_date``; each customer's ``P(alive)`` is then evaluated on their summary at both days with
the same parameters. A customer is *at risk* when ``P(alive)`` fell by at least ``min_drop``.
They are ranked by the value that drained away::

    clv_if_alive  = clv / P(alive at to_date)          (CLV given the customer is still active)
    value_at_risk = clv_if_alive · (P_from − P_to)

so a big drop of a high-value customer ranks first. With BG/NBD a customer without repeat
purchases is alive for sure (``P = 1``), so one-time buyers are never at risk; the default
model is therefore the modified BG/NBD, where they can be (see ``docs/methods/churn-audiences.md``).
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005); kept as is.
# ruff: noqa: N806

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopscope.errors import InvalidInputError
from shopscope.retention.clv.predict import CLVFit, ModelName, fit_clv, predict_clv
from shopscope.retention.clv.summary import TimeUnit, rfm_summary

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["ChurnRisk", "churn_risk"]


@dataclass(frozen=True)
class ChurnRisk:
    """Ranked at-risk customers and the totals (``customers`` holds the top ``limit``)."""

    from_date: dt.date
    to_date: dt.date
    fit: CLVFit
    customers_scored: int
    at_risk: int
    value_at_risk: float
    """Sum of ``value_at_risk`` over all at-risk customers (not only the listed ones)."""
    customers: pa.Table
    """``customer_id, x, days_since_last_purchase, p_alive_from, p_alive_to, p_alive_drop,
    clv, clv_if_alive, value_at_risk``, highest ``value_at_risk`` first."""


def churn_risk(
    wh: Warehouse,
    *,
    from_date: dt.date,
    to_date: dt.date,
    model: ModelName = "mbgnbd",
    time_unit: TimeUnit = "week",
    months: int = 12,
    monthly_discount: float = 0.01,
    min_drop: float = 0.1,
    limit: int | None = 100,
) -> ChurnRisk:
    """Customers whose ``P(alive)`` fell by ``min_drop`` or more, by value at risk.

    Parameters
    ----------
    wh
        The warehouse.
    from_date, to_date
        The two days compared (both inclusive calibration ends); ``from_date`` must be on or
        after the first order.
    model
        Purchase model (default ``"mbgnbd"``: one-time buyers can be inactive).
    months, monthly_discount
        CLV horizon and discount rate.
    min_drop
        Smallest fall of ``P(alive)`` that counts (0..1).
    limit
        Rows listed (``None``: all at-risk customers).

    Raises
    ------
    InvalidInputError
        Dates in the wrong order, ``from_date`` before the first order, ``min_drop`` outside
        ``[0, 1]``, or any error of :func:`fit_clv`.
    """
    if from_date >= to_date:
        raise InvalidInputError(
            f"from_date {from_date} must be before to_date {to_date}; swap them."
        )
    if not 0.0 <= min_drop <= 1.0:
        raise InvalidInputError(f"min_drop={min_drop} must be in [0, 1] (e.g. 0.1).")
    if limit is not None and limit < 1:
        raise InvalidInputError(f"limit={limit} must be >= 1 (or None for all).")
    models = fit_clv(wh, calibration_end=to_date, model=model, time_unit=time_unit)
    before = rfm_summary(wh, calibration_end=from_date, time_unit=time_unit)
    if before.num_rows == 0:
        raise InvalidInputError(
            f"No customer had ordered by from_date {from_date}; choose a later day."
        )
    now = predict_clv(models, months=months, monthly_discount=monthly_discount)
    both = now.join(
        before.select(["customer_id", "x", "t_x", "T"]).rename_columns(
            ["customer_id", "x_from", "t_x_from", "T_from"]
        ),
        "customer_id",
        join_type="inner",
    )
    T_from = np.maximum(both.column("T_from").to_numpy(), 1e-9)
    p_from = models.purchases.probability_alive(
        both.column("x_from").to_numpy(), both.column("t_x_from").to_numpy(), T_from
    )
    p_to = both.column("p_alive").to_numpy()
    clv = both.column("clv").to_numpy()
    # clv = P(alive) · value given alive; P(alive) > 0 always (expit of a finite log-odds)
    if_alive = clv / np.maximum(p_to, 1e-300)
    drop = p_from - p_to
    unit_days = 7.0 if time_unit == "week" else 1.0
    since = (both.column("T").to_numpy() - both.column("t_x").to_numpy()) * unit_days
    table = pa.table(
        {
            "customer_id": both.column("customer_id"),
            "x": both.column("x"),
            "days_since_last_purchase": np.round(since).astype(np.int64),
            "p_alive_from": p_from,
            "p_alive_to": p_to,
            "p_alive_drop": drop,
            "clv": clv,
            "clv_if_alive": if_alive,
            "value_at_risk": if_alive * drop,
        }
    )
    risky = table.filter(pc.greater_equal(table.column("p_alive_drop"), min_drop - 1e-12))
    risky = risky.filter(pc.greater(risky.column("p_alive_drop"), 0.0))
    ranked = risky.sort_by([("value_at_risk", "descending"), ("customer_id", "ascending")])
    return ChurnRisk(
        from_date=from_date,
        to_date=to_date,
        fit=models.fit,
        customers_scored=table.num_rows,
        at_risk=ranked.num_rows,
        value_at_risk=float(pc.sum(ranked.column("value_at_risk")).as_py() or 0.0),
        customers=ranked if limit is None else ranked.slice(0, limit),
    )
