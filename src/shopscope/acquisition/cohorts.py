"""Acquired-cohort economics: what each channel's monthly cohort cost, spent and will spend.

For channel ``c`` and acquisition month ``m`` (a customer's first sale order, as in
:mod:`shopscope.insight.cohorts`; the channel is ``customers.acquisition_channel``):

* ``customers``: customers acquired; ``spend``: the channel's ``ad_spend`` in that month;
  ``CAC = spend / customers`` (null for channels without spend);
* ``cumulative revenue per customer`` after ``k`` months: goods revenue of the cohort's sale
  orders in months ``0..k`` since acquisition, divided by ``customers`` (observed months only);
* ``predicted LTV``: revenue to date plus the expected revenue of the next ``horizon_months``
  months from retention's BG/NBD + Gamma-Gamma models (fitted on all customers at the end of
  the data), averaged over the cohort; null when the models cannot be fitted;
* ``payback month``: the first ``k`` where ``margin`` x cumulative revenue per customer reaches
  the CAC (null if not yet); ``LTV / CAC``.

"How much have the customers that paid search acquired in April spent by July, and when did
they pay back?" is the row ``(paid_search, April)`` and its curve up to ``k = 3``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pyarrow as pa

from shopscope.errors import InvalidInputError, NotFoundError, ShopscopeError
from shopscope.insight.cohorts import cohort_activity, period_index, sale_orders
from shopscope.insight.periods import DateRange, data_range

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["CohortEconomics", "cohort_economics", "predicted_future_value", "value_per_customer"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CohortEconomics:
    """Per channel and acquisition month: cost, revenue to date, predicted LTV, payback.

    Attributes
    ----------
    rows
        ``channel, cohort, customers, spend, cac, months_observed, revenue_per_customer,
        predicted_ltv, ltv_to_cac, payback_month`` (Arrow).
    curves
        ``channel, cohort, period, cumulative_revenue_per_customer`` (Arrow, observed months).
    horizon_months, margin
        Prediction horizon and the margin used for payback.
    note
        How LTV was obtained (or why it is missing).
    """

    rows: pa.Table
    curves: pa.Table
    horizon_months: int
    margin: float
    note: str


def predicted_future_value(
    wh: Warehouse, end: date, *, months: int = 12
) -> tuple[dict[str, float], str]:
    """Expected revenue of each customer over the next ``months`` (BG/NBD + Gamma-Gamma).

    Returns the mapping (empty when the models cannot be fitted) and a note saying which.
    """
    from shopscope.retention.clv import BGNBD, GammaGamma, customer_lifetime_value, rfm_summary

    data = rfm_summary(wh, calibration_end=end, time_unit="week")
    ids = data.column("customer_id").to_pylist()
    x = data.column("x").to_numpy().astype(float)
    t_x = data.column("t_x").to_numpy().astype(float)
    big_t = data.column("T").to_numpy().astype(float)
    mon = data.column("monetary").to_numpy().astype(float)
    observed = big_t > 0
    repeat = (x > 0) & (mon > 0)
    try:
        bg = BGNBD().fit(x[observed], t_x[observed], big_t[observed])
        gg = GammaGamma().fit(x[repeat], mon[repeat])
    except (ShopscopeError, ValueError) as exc:
        log.info("CLV models not fitted: %s", exc)
        return {}, f"predicted LTV unavailable: CLV models could not be fitted ({exc})"
    # customers first seen on the last day have T = 0: predict them as seen for one day
    clv = customer_lifetime_value(bg, gg, x, t_x, np.maximum(big_t, 1 / 7), mon, months=months)
    note = (
        f"predicted LTV = revenue to date + BG/NBD x Gamma-Gamma expected revenue over the next "
        f"{months} months (retention.clv, fitted at {end})"
    )
    return dict(zip(ids, (float(v) for v in clv), strict=True)), note


def value_per_customer(wh: Warehouse, *, months: int = 12) -> dict[str, float]:
    """Mean revenue per acquired customer in their first ``months`` months, per channel.

    Only cohorts observed for at least ``months`` months count (all cohorts when none is).
    """
    act = cohort_activity(wh, grain="month", by="channel").to_pyarrow().to_pylist()
    available = data_range(wh)
    if not act or available is None:
        return {}
    last = period_index(available.end, "month")
    full = [r for r in act if last - period_index(r["cohort"], "month") >= months]
    use = full or act
    sizes: dict[tuple[str, date], int] = {}
    revenue: dict[str, float] = {}
    for r in use:
        key = (r["channel"], r["cohort"])
        if r["period"] == 0:
            sizes[key] = int(r["customers"])
        if r["period"] < months:
            revenue[r["channel"]] = revenue.get(r["channel"], 0.0) + float(r["revenue"])
    totals: dict[str, int] = {}
    for (ch, _), n in sizes.items():
        totals[ch] = totals.get(ch, 0) + n
    return {ch: revenue.get(ch, 0.0) / n for ch, n in totals.items() if n > 0}


def cohort_economics(
    wh: Warehouse,
    *,
    period: DateRange | None = None,
    horizon_months: int = 12,
    margin: float = 1.0,
    predict: bool = True,
) -> CohortEconomics:
    """Cohort economics per channel and acquisition month.

    Parameters
    ----------
    wh
        The warehouse.
    period
        Keep cohorts acquired in this range (activity observed to the end of the data).
    horizon_months
        Months of future revenue in the predicted LTV.
    margin
        Gross margin in (0, 1] applied to revenue for the payback month (1: revenue payback).
    predict
        Fit the CLV models for predicted LTV (False: revenue to date only).
    """
    if horizon_months < 1 or not 0 < margin <= 1:
        raise InvalidInputError(
            f"horizon_months={horizon_months}, margin={margin}: need >= 1 month and a margin "
            "in (0, 1]."
        )
    available = data_range(wh)
    if available is None:
        raise NotFoundError("No orders: cohorts need sale orders. Load data first.")
    act = cohort_activity(wh, grain="month", by="channel", period=period).to_pyarrow()
    spend = _monthly_spend(wh)
    future: dict[str, float] = {}
    note = "predicted LTV not requested"
    if predict:
        future, note = predicted_future_value(wh, available.end, months=horizon_months)
    future_by = _future_by_cohort(wh, future, period) if future else {}
    last = period_index(available.end, "month")
    groups: dict[tuple[str, date], dict[int, float]] = {}
    sizes: dict[tuple[str, date], int] = {}
    for r in act.to_pylist():
        key = (r["channel"], r["cohort"])
        groups.setdefault(key, {})[int(r["period"])] = float(r["revenue"])
        if r["period"] == 0:
            sizes[key] = int(r["customers"])
    rows: list[dict[str, Any]] = []
    curve_rows: list[dict[str, Any]] = []
    for (ch, cohort), by_k in sorted(groups.items()):
        n = sizes.get((ch, cohort), 0)
        if n == 0:
            continue
        observed = last - period_index(cohort, "month") + 1
        cum = np.cumsum([by_k.get(k, 0.0) for k in range(observed)]) / n
        cost = spend.get((ch, cohort))
        cac = cost / n if cost else None
        payback = next(
            (k for k, v in enumerate(cum) if cac is not None and margin * v >= cac), None
        )
        ltv = float(cum[-1]) + future_by[(ch, cohort)] / n if (ch, cohort) in future_by else None
        rows.append(
            {
                "channel": ch,
                "cohort": cohort,
                "customers": n,
                "spend": cost or 0.0,
                "cac": cac,
                "months_observed": observed,
                "revenue_per_customer": float(cum[-1]),
                "predicted_ltv": ltv,
                "ltv_to_cac": ltv / cac if ltv is not None and cac else None,
                "payback_month": payback,
            }
        )
        curve_rows += [
            {"channel": ch, "cohort": cohort, "period": k, "cumulative_revenue_per_customer": v}
            for k, v in enumerate(cum.tolist())
        ]
    schema = pa.schema(
        [
            ("channel", pa.string()),
            ("cohort", pa.date32()),
            ("customers", pa.int64()),
            ("spend", pa.float64()),
            ("cac", pa.float64()),
            ("months_observed", pa.int64()),
            ("revenue_per_customer", pa.float64()),
            ("predicted_ltv", pa.float64()),
            ("ltv_to_cac", pa.float64()),
            ("payback_month", pa.int64()),
        ]
    )
    curve_schema = pa.schema(
        [
            ("channel", pa.string()),
            ("cohort", pa.date32()),
            ("period", pa.int64()),
            ("cumulative_revenue_per_customer", pa.float64()),
        ]
    )
    return CohortEconomics(
        pa.Table.from_pylist(rows, schema=schema),
        pa.Table.from_pylist(curve_rows, schema=curve_schema),
        horizon_months,
        margin,
        note,
    )


def _monthly_spend(wh: Warehouse) -> dict[tuple[str, date], float]:
    a = wh.table("ad_spend")
    m = a.group_by(channel=a.channel, cohort=a.date.truncate("M")).aggregate(
        spend=ibis.coalesce(a.spend, 0.0).sum()
    )
    return {(r["channel"], r["cohort"]): float(r["spend"]) for r in m.to_pyarrow().to_pylist()}


def _future_by_cohort(
    wh: Warehouse, future: dict[str, float], period: DateRange | None
) -> dict[tuple[str, date], float]:
    s = sale_orders(wh)
    s = s.filter(s.customer_id.notnull())
    first = s.group_by("customer_id").aggregate(acquired_at=s.ordered_at.min())
    c = wh.table("customers").select("customer_id", "acquisition_channel")
    j = first.left_join(c, "customer_id")
    j = j.select(
        "customer_id",
        channel=ibis.coalesce(j.acquisition_channel, "unknown"),
        cohort=j.acquired_at.truncate("M").date(),
    )
    out: dict[tuple[str, date], float] = {}
    for r in j.to_pyarrow().to_pylist():
        if period is not None and not (period.start.replace(day=1) <= r["cohort"] <= period.end):
            continue
        key = (r["channel"], r["cohort"])
        out[key] = out.get(key, 0.0) + future.get(r["customer_id"], 0.0)
    return out
