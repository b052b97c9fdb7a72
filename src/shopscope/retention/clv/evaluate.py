"""Calibration/holdout evaluation: predicted vs actual repeat purchases by frequency bucket.

The model is fitted on ``(calibration start, calibration_end]``; for every customer the
conditional expectation ``E[Y(t*) | x, t_x, T]`` over the holdout length ``t*`` is compared with
the purchase days they actually made in ``(calibration_end, observation_end]``. Customers are
grouped by calibration repeat count ``x = 0, 1, …, 6, 7+`` as in Fader, Hardie & Lee (2005),
Figure 4, and the aggregate error is reported (total, mean absolute and root mean squared error
per customer).
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005); kept as is.
# ruff: noqa: N803

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc

from shopscope.errors import InvalidInputError
from shopscope.retention.clv.gammagamma import TransactionModel
from shopscope.retention.clv.predict import CLVFit, ModelName, fit_clv_summary
from shopscope.retention.clv.summary import TimeUnit, rfm_summary

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "FrequencyBucket",
    "HoldoutError",
    "HoldoutEvaluation",
    "compare_holdout",
    "evaluate_holdout",
]

_DAYS = {"week": 7.0, "day": 1.0}


@dataclass(frozen=True)
class FrequencyBucket:
    """Customers with calibration repeat count ``frequency`` (``"7+"``: seven or more)."""

    frequency: str
    customers: int
    actual_mean: float
    predicted_mean: float
    actual_total: int
    predicted_total: float


@dataclass(frozen=True)
class HoldoutError:
    """Aggregate accuracy over all customers."""

    customers: int
    actual_total: int
    predicted_total: float
    total_error: float
    """``predicted_total / actual_total − 1`` (0 when both are 0)."""
    mae: float
    """Mean absolute error per customer."""
    rmse: float
    """Root mean squared error per customer."""


@dataclass(frozen=True)
class HoldoutEvaluation:
    """Result of :func:`evaluate_holdout`."""

    calibration_end: dt.date
    observation_end: dt.date
    horizon: float
    """Holdout length in model time units."""
    fit: CLVFit
    buckets: tuple[FrequencyBucket, ...]
    error: HoldoutError


def compare_holdout(
    model: TransactionModel,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    x_holdout: npt.ArrayLike,
    horizon: float,
    *,
    top_bucket: int = 7,
) -> tuple[tuple[FrequencyBucket, ...], HoldoutError]:
    """Buckets and aggregate error for a fitted model and a calibration/holdout summary.

    Raises
    ------
    InvalidInputError
        Mismatched lengths, negative holdout counts, ``horizon <= 0`` or ``top_bucket < 1``.
    """
    xa = np.asarray(x, dtype=np.float64)
    actual = np.asarray(x_holdout, dtype=np.float64)
    if actual.shape != xa.shape or np.any(actual < 0) or not np.all(np.isfinite(actual)):
        raise InvalidInputError(
            f"x_holdout must be {xa.shape[0]} finite non-negative counts, one per customer."
        )
    if not horizon > 0 or top_bucket < 1:
        raise InvalidInputError(f"horizon={horizon}, top_bucket={top_bucket}: both must be > 0.")
    if xa.size == 0:
        raise InvalidInputError("No customers to evaluate.")
    predicted = np.asarray(model.conditional_expected_purchases(horizon, xa, t_x, T))
    bucket = np.minimum(xa, top_bucket).astype(np.int64)
    buckets = []
    for k in range(top_bucket + 1):
        sel = bucket == k
        n = int(np.count_nonzero(sel))
        if n == 0:
            continue
        buckets.append(
            FrequencyBucket(
                frequency=f"{k}+" if k == top_bucket else str(k),
                customers=n,
                actual_mean=float(actual[sel].mean()),
                predicted_mean=float(predicted[sel].mean()),
                actual_total=int(actual[sel].sum()),
                predicted_total=float(predicted[sel].sum()),
            )
        )
    a_total, p_total = float(actual.sum()), float(predicted.sum())
    error = HoldoutError(
        customers=int(xa.size),
        actual_total=int(a_total),
        predicted_total=p_total,
        total_error=(p_total / a_total - 1) if a_total > 0 else (0.0 if p_total == 0 else np.inf),
        mae=float(np.mean(np.abs(predicted - actual))),
        rmse=float(np.sqrt(np.mean((predicted - actual) ** 2))),
    )
    return tuple(buckets), error


def evaluate_holdout(
    wh: Warehouse,
    *,
    calibration_end: dt.date,
    observation_end: dt.date,
    model: ModelName = "bgnbd",
    time_unit: TimeUnit = "week",
    top_bucket: int = 7,
) -> HoldoutEvaluation:
    """Fit on the calibration period and compare with the holdout period.

    Only customers first seen by ``calibration_end`` (``T > 0``) are evaluated: later arrivals
    have no calibration history.

    Raises
    ------
    InvalidInputError
        ``observation_end`` not after ``calibration_end``, or any error of :func:`fit_clv`.
    """
    summary = rfm_summary(
        wh, calibration_end=calibration_end, observation_end=observation_end, time_unit=time_unit
    )
    if summary.num_rows == 0:
        raise InvalidInputError(
            f"No customer ordered on or before calibration_end {calibration_end}; choose a "
            "later calibration end."
        )
    models = fit_clv_summary(
        summary, calibration_end=calibration_end, model=model, time_unit=time_unit
    )
    observed = summary.filter(pc.greater(summary.column("T"), 0))
    cols = {c: observed.column(c).to_numpy() for c in ("x", "t_x", "T", "x_holdout")}
    horizon = (observation_end - calibration_end).days / _DAYS[time_unit]
    buckets, error = compare_holdout(
        models.purchases,
        cols["x"],
        cols["t_x"],
        cols["T"],
        cols["x_holdout"],
        horizon,
        top_bucket=top_bucket,
    )
    return HoldoutEvaluation(calibration_end, observation_end, horizon, models.fit, buckets, error)
