"""Inventory policy per SKU and location from a forecast: a continuous-review ``(s, S)`` policy.

* ``mu`` = mean daily forecast over the horizon; ``sigma`` = RMSE of the daily forecast errors in
  the backtest (bias included), or ``sqrt(mu)`` (Poisson) when the series could not be scored.
  Over ``L`` days the error spread is ``sigma L^b`` with ``b`` the forecast's ``error_growth``
  (0.5 for independent daily errors; larger when errors persist, as level errors do).
* Lead time ``L`` from ``inventory.lead_time_days``; when missing, ``default_lead_time`` (14 days)
  with a warning. Lead-time spread ``s_L = lead_time_cv × L``.
* ``s = ROP = ceil(mu L + z sigma_L)`` with ``sigma_L = sqrt(sigma² L^(2b) + mu² s_L²)``.
* ``Q = max(EOQ, MOQ)`` rounded up to the pack size, where EOQ uses ``order_cost`` per order
  and ``holding_rate × unit_cost`` per unit-year (30 days of demand when the unit cost is
  unknown); ``S = s + Q``.
* When the inventory position ``IP = on_hand + on_order`` is at or below ``s``, the suggested
  order is ``S - IP``, at least the MOQ, rounded up to whole packs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.supply.inventory.formulas import (
    economic_order_quantity,
    lead_time_demand_sd,
    safety_factor,
    stockout_probability,
)

__all__ = ["DEFAULT_LEAD_TIME_DAYS", "Policy", "PolicyConfig", "compute_policy", "round_order"]

FloatArray = npt.NDArray[np.float64]

DEFAULT_LEAD_TIME_DAYS = 14.0
"""Lead time assumed for rows without ``lead_time_days`` (a warning names them)."""


@dataclass(frozen=True)
class PolicyConfig:
    """Policy parameters (validated on creation).

    Attributes
    ----------
    service_level
        Target cycle service level (probability of no stock-out per replenishment cycle).
    lead_time_cv
        Lead-time standard deviation as a share of the lead time.
    default_lead_time
        Days assumed where ``lead_time_days`` is missing.
    order_cost
        Cost of placing one order line (shop currency).
    holding_rate
        Holding cost per year as a share of unit cost.
    """

    service_level: float = 0.95
    lead_time_cv: float = 0.0
    default_lead_time: float = DEFAULT_LEAD_TIME_DAYS
    order_cost: float = 25.0
    holding_rate: float = 0.25

    def __post_init__(self) -> None:
        if not 0 < self.service_level < 1:
            raise InvalidInputError(
                f"service_level = {self.service_level}; use a value strictly between 0 and 1, "
                "e.g. 0.95."
            )
        for name in ("lead_time_cv", "order_cost"):
            if getattr(self, name) < 0:
                raise InvalidInputError(f"{name} = {getattr(self, name)}; it must be >= 0.")
        if self.default_lead_time <= 0 or self.holding_rate <= 0:
            raise InvalidInputError("default_lead_time and holding_rate must be > 0.")


@dataclass(frozen=True)
class Policy:
    """Vectors of the policy, one entry per row."""

    mean: FloatArray
    sigma: FloatArray
    lead_time: FloatArray
    lead_time_default: npt.NDArray[np.bool_]
    sd_lead_time_demand: FloatArray
    safety_stock: FloatArray
    reorder_point: FloatArray
    order_qty: FloatArray
    order_up_to: FloatArray
    eoq: FloatArray
    moq: FloatArray
    pack: FloatArray


def _column(table: pa.Table, name: str) -> FloatArray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def round_order(qty: FloatArray, moq: FloatArray, pack: FloatArray) -> FloatArray:
    """At least ``moq`` (when ordering at all), rounded up to whole packs."""
    q = np.where(qty > 0, np.maximum(qty, moq), 0.0)
    return np.ceil(q / pack - 1e-9) * pack


def compute_policy(
    mean: FloatArray,
    sigma: FloatArray,
    snapshot: pa.Table,
    config: PolicyConfig,
    ids: tuple[str, ...],
    *,
    error_growth: float = 0.5,
) -> Policy:
    """The ``(s, S)`` policy of each row of ``snapshot`` (warns about defaulted lead times)."""
    lead = _column(snapshot, "lead_time_days")
    missing = np.isnan(lead) | (lead < 0)
    if missing.any():
        names = [ids[i] for i in np.flatnonzero(missing)]
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        warnings.warn(
            f"No lead time for {len(names)} SKU/location(s) ({shown}); assuming "
            f"{config.default_lead_time:g} days. Fill inventory.lead_time_days or pass "
            "--default-lead-time.",
            UserWarning,
            stacklevel=3,
        )
    lead = np.where(missing, config.default_lead_time, lead)
    sigma = np.where(np.isfinite(sigma), sigma, np.sqrt(np.maximum(mean, 0.0)))
    sd_l = lead_time_demand_sd(
        sigma, lead, mean=mean, lead_time_sd=config.lead_time_cv * lead, exponent=error_growth
    )
    ss = safety_factor(config.service_level) * sd_l
    rop = np.ceil(mean * lead + ss - 1e-9)  # whole units, rounded up
    cost = _column(snapshot, "unit_cost")
    eoq = economic_order_quantity(365.0 * mean, config.order_cost, config.holding_rate * cost)
    eoq = np.where(np.isfinite(eoq), eoq, 30.0 * mean)
    moq = np.nan_to_num(_column(snapshot, "moq"), nan=0.0)
    pack = np.nan_to_num(_column(snapshot, "pack_size"), nan=1.0)
    pack = np.where(pack >= 1, pack, 1.0)
    q = round_order(np.maximum(eoq, 1.0), moq, pack)
    q = np.where(mean > 0, q, 0.0)
    return Policy(mean, sigma, lead, missing, sd_l, ss, rop, q, rop + q, eoq, moq, pack)


def stockout_risk(policy: Policy, position: FloatArray) -> FloatArray:
    """Probability that demand over one lead time exceeds the inventory position."""
    return stockout_probability(
        position, policy.mean * policy.lead_time, policy.sd_lead_time_demand
    )
