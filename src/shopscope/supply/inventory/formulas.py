"""Textbook inventory formulas, vectorised: safety stock, reorder point, order-up-to, EOQ.

Notation: daily demand mean ``mu`` and standard deviation ``sigma`` (here: of the forecast
error), lead time ``L`` days with standard deviation ``s_L``, review period ``R`` days, cycle
service level ``CSL`` (probability of no stock-out in a replenishment cycle), ``z = Φ⁻¹(CSL)``.

* Demand over the lead time: mean ``mu L``, standard deviation
  ``sigma_L = sqrt(L sigma² + mu² s_L²)`` (independent daily demand, lead time independent of
  demand).
* Safety stock ``ss = z sigma_L``; reorder point ``ROP = mu L + ss``.
* Periodic review: order-up-to level ``OUL = mu (R + L) + z sqrt((R + L) sigma² + mu² s_L²)``.
* Expected shortage per cycle ``ESC = -ss (1 - Φ(ss / sigma_L)) + sigma_L φ(ss / sigma_L)``;
  fill rate ``1 - ESC / Q``.
* Economic order quantity ``EOQ = sqrt(2 D S / H)`` (annual demand ``D``, cost per order ``S``,
  holding cost per unit and year ``H``).

References
----------
Chopra, S. & Meindl, P. Supply Chain Management: Strategy, Planning, and Operation. Pearson;
chapter "Managing Economies of Scale in a Supply Chain: Cycle Inventory" (EOQ) and chapter
"Managing Uncertainty in a Supply Chain: Safety Inventory" (the formulas above).
Silver, E. A., Pyke, D. F. & Peterson, R. (1998). Inventory Management and Production Planning
and Scheduling, 3rd ed., Wiley, chapter 7.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

from shopscope.errors import InvalidInputError

__all__ = [
    "cycle_service_level",
    "economic_order_quantity",
    "expected_shortage",
    "fill_rate",
    "lead_time_demand_sd",
    "order_up_to_level",
    "reorder_point",
    "safety_factor",
    "safety_stock",
    "safety_stock_for_fill_rate",
    "stockout_probability",
]

FloatArray = npt.NDArray[np.float64]


def _arr(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _check_nonneg(**values: npt.ArrayLike) -> None:
    for name, value in values.items():
        a = _arr(value)
        if np.isnan(a).any() or (a < 0).any():
            raise InvalidInputError(f"{name} must be >= 0 and not NaN; got {value!r}.")


def safety_factor(service_level: npt.ArrayLike) -> FloatArray:
    """``z = Φ⁻¹(CSL)`` for a cycle service level in (0, 1)."""
    sl = _arr(service_level)
    if ((sl <= 0) | (sl >= 1) | np.isnan(sl)).any():
        raise InvalidInputError(
            f"service level {service_level!r} must be strictly between 0 and 1 (e.g. 0.95)."
        )
    return _arr(stats.norm.ppf(sl))


def lead_time_demand_sd(
    sigma: npt.ArrayLike,
    lead_time: npt.ArrayLike,
    *,
    mean: npt.ArrayLike = 0.0,
    lead_time_sd: npt.ArrayLike = 0.0,
    review: npt.ArrayLike = 0.0,
    exponent: float = 0.5,
) -> FloatArray:
    """``sqrt((L + R) sigma² + mu² s_L²)``: spread of demand over the protection interval.

    ``exponent`` generalises the first term to ``(L + R)^(2 b) sigma²`` for daily errors that
    are correlated (``b`` > 0.5, see ``ForecastResult.error_growth``); 0.5 is the textbook.
    """
    _check_nonneg(sigma=sigma, lead_time=lead_time, lead_time_sd=lead_time_sd, review=review)
    span = _arr(lead_time) + _arr(review)
    spread = span ** (2.0 * exponent) * _arr(sigma) ** 2
    return _arr(np.sqrt(spread + (_arr(mean) * _arr(lead_time_sd)) ** 2))


def safety_stock(
    service_level: npt.ArrayLike,
    sigma: npt.ArrayLike,
    lead_time: npt.ArrayLike,
    *,
    mean: npt.ArrayLike = 0.0,
    lead_time_sd: npt.ArrayLike = 0.0,
    review: npt.ArrayLike = 0.0,
) -> FloatArray:
    """``z sigma_L`` for a cycle service level (``review`` > 0: periodic review)."""
    sd = lead_time_demand_sd(sigma, lead_time, mean=mean, lead_time_sd=lead_time_sd, review=review)
    return safety_factor(service_level) * sd


def reorder_point(
    mean: npt.ArrayLike,
    sigma: npt.ArrayLike,
    lead_time: npt.ArrayLike,
    service_level: npt.ArrayLike,
    *,
    lead_time_sd: npt.ArrayLike = 0.0,
) -> FloatArray:
    """``mu L + z sigma_L`` (continuous review)."""
    _check_nonneg(mean=mean)
    ss = safety_stock(service_level, sigma, lead_time, mean=mean, lead_time_sd=lead_time_sd)
    return _arr(mean) * _arr(lead_time) + ss


def order_up_to_level(
    mean: npt.ArrayLike,
    sigma: npt.ArrayLike,
    lead_time: npt.ArrayLike,
    review: npt.ArrayLike,
    service_level: npt.ArrayLike,
    *,
    lead_time_sd: npt.ArrayLike = 0.0,
) -> FloatArray:
    """``mu (R + L) + z sqrt((R + L) sigma² + mu² s_L²)`` (periodic review every ``R`` days)."""
    _check_nonneg(mean=mean)
    ss = safety_stock(
        service_level, sigma, lead_time, mean=mean, lead_time_sd=lead_time_sd, review=review
    )
    return _arr(mean) * (_arr(lead_time) + _arr(review)) + ss


def cycle_service_level(
    reorder_point: npt.ArrayLike, mean_demand: npt.ArrayLike, sd_demand: npt.ArrayLike
) -> FloatArray:
    """``Φ((ROP - mu_L) / sigma_L)``: probability of no stock-out in a cycle."""
    return _arr(stats.norm.cdf(_arr(reorder_point), _arr(mean_demand), _arr(sd_demand)))


def stockout_probability(
    position: npt.ArrayLike, mean_demand: npt.ArrayLike, sd_demand: npt.ArrayLike
) -> FloatArray:
    """``P(demand > position)`` under a normal demand (0 or 1 when the spread is 0)."""
    pos, mu, sd = np.broadcast_arrays(_arr(position), _arr(mean_demand), _arr(sd_demand))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p = stats.norm.sf((pos - mu) / np.where(sd > 0, sd, 1.0))
    return _arr(np.where(sd > 0, p, (mu > pos).astype(float)))


def expected_shortage(safety: npt.ArrayLike, sd_demand: npt.ArrayLike) -> FloatArray:
    """Expected units short per cycle: ``-ss (1 - Φ(ss/σ)) + σ φ(ss/σ)`` (normal loss)."""
    ss, sd = _arr(safety), _arr(sd_demand)
    z = ss / np.where(sd > 0, sd, 1.0)
    return _arr(-ss * stats.norm.sf(z) + sd * stats.norm.pdf(z))


def fill_rate(
    safety: npt.ArrayLike, sd_demand: npt.ArrayLike, order_qty: npt.ArrayLike
) -> FloatArray:
    """Share of demand served from stock: ``1 - ESC / Q``."""
    return 1.0 - expected_shortage(safety, sd_demand) / _arr(order_qty)


def safety_stock_for_fill_rate(target: float, sd_demand: float, order_qty: float) -> float:
    """The safety stock whose fill rate is ``target`` (solves ``ESC(ss) = (1 - fr) Q``)."""
    if not 0 < target < 1:
        raise InvalidInputError(f"fill rate {target!r} must be strictly between 0 and 1.")
    if sd_demand <= 0 or order_qty <= 0:
        raise InvalidInputError("sd_demand and order_qty must be > 0 for a fill-rate target.")
    goal = (1.0 - target) * order_qty

    def gap(ss: float) -> float:
        return float(expected_shortage(ss, sd_demand)) - goal

    lo, hi = -10.0 * sd_demand, 10.0 * sd_demand
    if gap(lo) < 0:  # even a deeply negative safety stock meets the target
        return lo
    return float(optimize.brentq(gap, lo, hi, xtol=1e-9))


def economic_order_quantity(
    annual_demand: npt.ArrayLike, order_cost: npt.ArrayLike, holding_cost: npt.ArrayLike
) -> FloatArray:
    """``sqrt(2 D S / H)``; NaN where the holding cost is not positive."""
    _check_nonneg(annual_demand=annual_demand, order_cost=order_cost)
    h = _arr(holding_cost)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.sqrt(2.0 * _arr(annual_demand) * _arr(order_cost) / np.where(h > 0, h, np.nan))
    return _arr(q)
