"""Replay the ``(s, S)`` policy over the last ``days`` of history, beside what the shop did.

Every ``replan_days`` the forecast and the policy are recomputed from the history up to that
day (nothing from the future). Each day, per SKU and location: orders due arrive; the day's
demand (the observed depletion; on the shop's stock-out days, which are censored, the current
forecast mean) is served from stock, the rest is lost; when the inventory position is at or
below ``s`` an order of ``S - IP`` (MOQ, packs) is placed and arrives after the lead time
(drawn from a normal with sd ``lead_time_cv × L`` when that is positive, seeded). The start
stock is the shop's on the day before; its open orders arrive after half a lead time.

Measures, for the simulation and for the shop over the same days:

* fill rate = units served / units demanded (the shop's: its depletion, at most the same demand,
  day by day);
* cycle service level = share of replenishment cycles without lost demand, a cycle running
  from the arrival of an order the policy placed to the next arrival (simulation only: the
  shop's arrivals are not observed). Cycles fed by the shop's starting stock are not counted;
  fill rate and stock-out days cover every simulated day;
* stock-out day share = share of SKU-location days that end with nothing on hand;
* mean inventory value = mean over days of Σ on hand × unit cost.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.supply.forecast.config import ForecastConfig
from shopscope.supply.forecast.forecaster import forecast_panel
from shopscope.supply.inventory.history import (
    StockHistory,
    snapshot_at,
    stock_history,
    stock_summary,
)
from shopscope.supply.inventory.plan import PLANNING_FORECAST
from shopscope.supply.inventory.policy import (
    FloatArray,
    Policy,
    PolicyConfig,
    compute_policy,
    round_order,
)
from shopscope.warehouse.connection import Warehouse

__all__ = ["Outcome", "Simulation", "simulate_policy"]


@dataclass(frozen=True)
class Outcome:
    """Service and stock of one way of running the shop (``None``: not observable)."""

    fill_rate: float
    cycle_service_level: float | None
    cycles: int | None
    stockout_day_share: float
    mean_inventory_value: float


@dataclass(frozen=True)
class Simulation:
    """The policy's simulated outcome beside the shop's actual one, and per-row detail."""

    start: date
    end: date
    service_level: float
    simulated: Outcome
    actual: Outcome
    rows: pa.Table


def _snapshot_vectors(
    wh: Warehouse, day: date, ids: tuple[str, ...]
) -> tuple[FloatArray, FloatArray]:
    inv = wh.table("inventory")
    snap = snapshot_at(wh, inv.filter(inv.date <= day))
    keys = [
        f"{s}@{loc}"
        for s, loc in zip(snap["sku"].to_pylist(), snap["location"].to_pylist(), strict=True)
    ]
    at = {k: i for i, k in enumerate(keys)}
    hand = np.nan_to_num(snap["on_hand"].to_numpy(zero_copy_only=False).astype(float))
    order = np.nan_to_num(snap["on_order"].to_numpy(zero_copy_only=False).astype(float))
    pick = np.array([at.get(k, -1) for k in ids])
    ok = pick >= 0
    return np.where(ok, hand[pick], 0.0), np.where(ok, order[pick], 0.0)


def _plan(hist: StockHistory, cut: int, forecast: ForecastConfig, cfg: PolicyConfig) -> Policy:
    result = forecast_panel(hist.panel.head(cut), forecast)
    n, h = len(hist.panel.ids), result.horizon
    mean = result.forecast.column("forecast").to_numpy().reshape(n, h).mean(axis=1)
    sigma = result.series.column("rmse").to_numpy(zero_copy_only=False).astype(float)
    return compute_policy(
        mean, sigma, hist.snapshot, cfg, hist.panel.ids, error_growth=result.error_growth
    )


def simulate_policy(
    wh: Warehouse,
    *,
    days: int = 182,
    replan_days: int = 28,
    policy: PolicyConfig | None = None,
    forecast: ForecastConfig = PLANNING_FORECAST,
    skus: tuple[str, ...] | None = None,
    location: str | None = None,
    seed: int = 0,
) -> Simulation:
    """Simulate the policy over the last ``days`` days of the inventory history."""
    cfg = policy or PolicyConfig()
    if days < 1 or replan_days < 1:
        raise InvalidInputError("days and replan_days must be positive integers.")
    hist = stock_history(wh, skus=skus, location=location)
    panel = hist.panel
    first = panel.periods - days
    if first < 98:
        raise InvalidInputError(
            f"The inventory history has {panel.periods} days; simulating the last {days} leaves "
            f"{first} days to forecast from, and the backtest needs at least 98. Use fewer "
            "--days."
        )
    with warnings.catch_warnings(record=True) as caught:  # lead-time defaults: warn once
        warnings.simplefilter("always")
        pol = _plan(hist, first, forecast, cfg)
    for w in caught[:1]:
        warnings.warn(w.message, UserWarning, stacklevel=2)
    start_day = panel.start + timedelta(days=first)
    hand, pipeline = _snapshot_vectors(wh, start_day - timedelta(days=1), panel.ids)
    hand = np.maximum(hand, 0.0)
    n = len(panel.ids)
    rng = np.random.default_rng(seed)
    lead = pol.lead_time
    arrivals = np.zeros((days + int(lead.max() * 2) + 10, n))
    arrivals[np.minimum(np.ceil(lead / 2).astype(int), days), np.arange(n)] += pipeline
    ours = np.zeros(arrivals.shape, dtype=bool)  # arrivals of orders the policy placed
    cost = np.nan_to_num(hist.snapshot["unit_cost"].to_numpy(zero_copy_only=False).astype(float))
    served, demand, hand_sum, out_days, shop_served = (np.zeros(n) for _ in range(5))
    cycles, bad_cycles = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    in_cycle, short = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    value = 0.0
    for d in range(days):
        t = first + d
        if d and d % replan_days == 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                pol = _plan(hist, t, forecast, cfg)
        came = arrivals[d] > 0
        cycles = cycles + (came & in_cycle)
        bad_cycles = bad_cycles + (came & in_cycle & short)
        in_cycle = np.where(came, ours[d], in_cycle)  # a cycle starts at the policy's arrival
        short = np.where(came, False, short)
        hand = hand + arrivals[d]
        want = np.where(panel.censored[:, t], pol.mean, panel.values[:, t])
        got = np.minimum(hand, want)
        hand = hand - got
        short = short | (want - got > 1e-9)
        served, demand = served + got, demand + want
        shop_served += np.minimum(panel.values[:, t], want)  # what left the shop's shelf
        out_days += hand <= 0
        hand_sum += hand
        value += float((hand * cost).sum())
        position = hand + arrivals[d + 1 :].sum(axis=0)
        need = (position <= pol.reorder_point) & (pol.mean > 0)
        if need.any():
            qty = round_order(pol.order_up_to - position, pol.moq, pol.pack) * need
            lt = lead if cfg.lead_time_cv == 0 else rng.normal(lead, cfg.lead_time_cv * lead)
            due = d + np.maximum(np.round(lt), 1).astype(int)
            rows = np.flatnonzero(need)
            due = np.minimum(due[rows], arrivals.shape[0] - 1)
            arrivals[due, rows] += qty[rows]
            ours[due, rows] = True
    end_day = start_day + timedelta(days=days - 1)
    shop = stock_summary(wh, start_day, end_day, panel.ids)
    shop_hand = np.nan_to_num(shop["mean_on_hand"].to_numpy(zero_copy_only=False).astype(float))
    shop_out = np.nan_to_num(shop["stockout_days"].to_numpy(zero_copy_only=False).astype(float))
    total = float(demand.sum())
    simulated = Outcome(
        fill_rate=float(served.sum()) / total if total else 1.0,
        cycle_service_level=1.0 - float(bad_cycles.sum() / cycles.sum()) if cycles.sum() else None,
        cycles=int(cycles.sum()),
        stockout_day_share=float(out_days.sum()) / (n * days),
        mean_inventory_value=value / days,
    )
    actual = Outcome(
        fill_rate=float(shop_served.sum()) / total if total else 1.0,
        cycle_service_level=None,
        cycles=None,
        stockout_day_share=float(shop_out.sum()) / (n * days),
        mean_inventory_value=float((shop_hand * cost).sum()),
    )
    rows = pa.table(
        {
            "sku": hist.snapshot["sku"],
            "location": hist.snapshot["location"],
            "demand": demand,
            "sim_fill_rate": np.where(demand > 0, served / np.where(demand > 0, demand, 1), np.nan),
            "shop_fill_rate": np.where(
                demand > 0, shop_served / np.where(demand > 0, demand, 1), np.nan
            ),
            "sim_cycles": cycles,
            "sim_short_cycles": bad_cycles,
            "sim_stockout_days": out_days,
            "shop_stockout_days": shop_out,
            "sim_mean_on_hand": hand_sum / days,
            "shop_mean_on_hand": shop_hand,
        }
    )
    return Simulation(start_day, end_day, cfg.service_level, simulated, actual, rows)
