"""The replenishment plan: policy, cover, stock-out risk and purchase-order suggestions per SKU
and location, from the ``inventory`` table and a forecast of each location's demand."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from shopscope.supply.forecast.config import ForecastConfig
from shopscope.supply.forecast.forecaster import forecast_panel
from shopscope.supply.forecast.summary import Accuracy
from shopscope.supply.inventory.history import stock_history
from shopscope.supply.inventory.policy import (
    FloatArray,
    PolicyConfig,
    compute_policy,
    round_order,
    stockout_risk,
)
from shopscope.warehouse.connection import Warehouse

__all__ = [
    "HORIZON_DAYS",
    "PLANNING_FORECAST",
    "ReplenishmentPlan",
    "days_of_cover",
    "replenishment_plan",
]

HORIZON_DAYS = 3650
"""Order dates further out than this (ten years) are left empty."""

PLANNING_FORECAST = ForecastConfig(criterion="mse", heavy_series=0)
"""Forecast settings for planning: mean-unbiased selection (MSE), batch models only."""


@dataclass(frozen=True)
class ReplenishmentPlan:
    """One row per SKU and location (``rows``), the settings, and what needs attention.

    ``error_growth`` is the exponent ``b`` of lead-time error spread (``sigma L^b``). ``rows``
    columns: ``sku, location, status`` (ok, no_demand, one_sale, negative_stock),
    ``on_hand, on_order, position, mean_daily_demand, sigma_daily, lead_time_days,
    lead_time_source`` (data / default), ``safety_stock, reorder_point, order_up_to, eoq,
    days_of_cover, stockout_risk, order_qty, order_value, order_by, arrival, moq, pack_size,
    unit_cost, model``.
    """

    as_of: date
    service_level: float
    rows: pa.Table
    forecast_accuracy: Accuracy
    error_growth: float = 0.5
    notes: tuple[str, ...] = field(default=())

    @property
    def orders(self) -> pa.Table:
        """Only the rows with a suggested order, largest value first."""
        import pyarrow.compute as pc

        due = self.rows.filter(pc.greater(self.rows.column("order_qty"), 0))
        return due.sort_by([("order_value", "descending"), ("sku", "ascending")])


def days_of_cover(on_hand: FloatArray, path: FloatArray) -> FloatArray:
    """Days until the cumulative forecast ``path (n, h)`` uses up ``on_hand`` (linear within a
    day; past the horizon at the path's mean rate; inf without demand)."""
    cum = np.cumsum(path, axis=1)
    h = path.shape[1]
    out = np.full(on_hand.shape, np.inf)
    rate = path.mean(axis=1)
    for i in range(on_hand.shape[0]):
        if on_hand[i] <= 0:
            out[i] = 0.0
            continue
        k = int(np.searchsorted(cum[i], on_hand[i]))
        if k < h:
            before = cum[i, k - 1] if k > 0 else 0.0
            out[i] = k + (on_hand[i] - before) / max(path[i, k], 1e-12)
        elif rate[i] > 0:
            out[i] = h + (on_hand[i] - cum[i, -1]) / rate[i]
    return out


def replenishment_plan(
    wh: Warehouse,
    *,
    as_of: date | None = None,
    policy: PolicyConfig | None = None,
    forecast: ForecastConfig = PLANNING_FORECAST,
    skus: tuple[str, ...] | None = None,
    location: str | None = None,
) -> ReplenishmentPlan:
    """Plan replenishment from the stock snapshot on ``as_of`` (default: the last one).

    Rows with a missing lead time use the policy's default and raise a ``UserWarning``; rows
    with negative stock are planned with it (backorders reduce the position) and flagged.
    """
    cfg = policy or PolicyConfig()
    hist = stock_history(wh, end=as_of, skus=skus, location=location)
    panel, snap = hist.panel, hist.snapshot
    day = panel.start + timedelta(days=panel.periods - 1)
    result = forecast_panel(panel, forecast)
    n, h = len(panel.ids), result.horizon
    path = result.forecast.column("forecast").to_numpy().reshape(n, h)
    sigma = result.series.column("rmse").to_numpy(zero_copy_only=False).astype(float)
    pol = compute_policy(
        path.mean(axis=1), sigma, snap, cfg, panel.ids, error_growth=result.error_growth
    )
    on_hand = np.asarray(snap.column("on_hand").to_numpy(zero_copy_only=False), float)
    on_order = np.nan_to_num(
        np.asarray(snap.column("on_order").to_numpy(zero_copy_only=False), float)
    )
    position = on_hand + on_order
    negative = on_hand < 0
    notes: list[str] = []
    if negative.any():
        names = [panel.ids[i] for i in np.flatnonzero(negative)]
        msg = (
            f"Negative stock for {len(names)} SKU/location(s) ({', '.join(names[:10])}) on "
            f"{day}: planned as backorders that reduce the inventory position; check the counts."
        )
        warnings.warn(msg, UserWarning, stacklevel=2)
        notes.append(msg)
    if pol.lead_time_default.any():
        notes.append(
            f"{int(pol.lead_time_default.sum())} row(s) use the default lead time of "
            f"{cfg.default_lead_time:g} days."
        )
    need = (position <= pol.reorder_point) & (pol.mean > 0)
    qty = np.where(need, round_order(pol.order_up_to - position, pol.moq, pol.pack), 0.0)
    cost = np.asarray(snap.column("unit_cost").to_numpy(zero_copy_only=False), float)
    wait = np.where(
        pol.mean > 0,
        np.maximum(position - pol.reorder_point, 0) / np.where(pol.mean > 0, pol.mean, 1),
        np.inf,
    )
    # no order date when none is foreseeable within HORIZON_DAYS (slow movers, dead stock)
    order_by = [day + timedelta(days=math.floor(w)) if w <= HORIZON_DAYS else None for w in wait]
    arrival = [
        d + timedelta(days=math.ceil(lt)) if d is not None else None
        for d, lt in zip(order_by, pol.lead_time, strict=True)
    ]
    fstatus = np.array(result.series.column("status").to_pylist())
    status = np.where(
        negative, "negative_stock", np.where(fstatus == "all_zero", "no_demand", fstatus)
    )
    cover = days_of_cover(on_hand, path)
    rows = pa.table(
        {
            "sku": snap.column("sku"),
            "location": snap.column("location"),
            "status": status.tolist(),
            "on_hand": on_hand,
            "on_order": on_order,
            "position": position,
            "mean_daily_demand": pol.mean,
            "sigma_daily": pol.sigma,
            "lead_time_days": pol.lead_time,
            "lead_time_source": np.where(pol.lead_time_default, "default", "data").tolist(),
            "safety_stock": pol.safety_stock,
            "reorder_point": pol.reorder_point,
            "order_up_to": pol.order_up_to,
            "eoq": pol.eoq,
            "days_of_cover": np.where(np.isfinite(cover), cover, np.nan),
            "stockout_risk": stockout_risk(pol, position),
            "order_qty": qty,
            "order_value": qty * np.nan_to_num(cost),
            "order_by": pa.array(order_by, pa.date32()),
            "arrival": pa.array(arrival, pa.date32()),
            "moq": pol.moq,
            "pack_size": pol.pack,
            "unit_cost": cost,
            "model": result.series.column("model"),
        }
    )
    return ReplenishmentPlan(
        day, cfg.service_level, rows, result.selected(), result.error_growth, tuple(notes)
    )
