"""Honest uncertainty for small shops: data checks, Hessian intervals, a parametric bootstrap.

With a few hundred customers the maximum-likelihood estimates of BG/NBD-type models are loose
and the Wald intervals of :attr:`summary` (symmetric, possibly below zero) mislead. This module

* checks whether the data can support a model at all (:func:`assess_data`): it refuses fewer
  customers than parameters and data without repeat purchases, and warns below
  :data:`SMALL_CUSTOMERS` customers or :data:`SMALL_REPEATERS` repeat customers;
* gives Hessian intervals on the log scale (:func:`hessian_intervals`, always positive);
* runs a parametric bootstrap (:func:`bootstrap_intervals`): simulate from the fitted model at
  every customer's own age ``T``, refit, take percentiles. Refits that fail are counted, never
  dropped silently; a refit whose optimum runs to the edge of the search range counts as
  failed too, and more than half failing raises :class:`ConvergenceError`.

References
----------
.. [1] Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 6 and 13
   (parametric bootstrap, percentile intervals). Chapman & Hall.
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005); kept as is.
# ruff: noqa: N803, N806

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from shopscope.errors import ConvergenceError, InvalidInputError
from shopscope.retention.clv._mle import MLEModel, as_rfm
from shopscope.retention.clv.bgnbd import BGNBD
from shopscope.retention.clv.gammagamma import GammaGamma
from shopscope.retention.clv.mbgnbd import ModifiedBGNBD
from shopscope.retention.clv.paretonbd import ParetoNBD
from shopscope.retention.clv.simulate import PurchaseProcess, simulate_purchases, simulate_spend

__all__ = [
    "SMALL_CUSTOMERS",
    "SMALL_REPEATERS",
    "BootstrapResult",
    "DataAdequacy",
    "ParameterInterval",
    "assess_data",
    "bootstrap_intervals",
    "hessian_intervals",
]

log = logging.getLogger(__name__)

SMALL_CUSTOMERS = 500
"""Below this many customers the fit is flagged ``small`` (intervals are wide)."""
SMALL_REPEATERS = 100
"""Below this many customers with a repeat purchase the fit is flagged ``small``."""

_Z95 = 1.959964


@dataclass(frozen=True)
class DataAdequacy:
    """Whether a purchase summary can support a 4-parameter purchase model.

    ``status`` is ``"ok"``, ``"small"`` (fit, but report intervals; warnings say why) or
    ``"insufficient"`` (the fit is refused; ``warnings`` says why and how to fix it).
    """

    customers: int
    repeat_customers: int
    repeat_transactions: int
    status: Literal["ok", "small", "insufficient"]
    warnings: tuple[str, ...]


def assess_data(x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> DataAdequacy:
    """Check a ``(x, t_x, T)`` summary before fitting (logs each warning).

    Raises
    ------
    InvalidInputError
        Invalid summary rows (see :func:`rfm_summary` conventions).
    """
    xa, _, Ta = as_rfm(x, t_x, T)
    n = int(xa.size)
    repeaters = int(np.count_nonzero(xa > 0))
    notes: list[str] = []
    status: Literal["ok", "small", "insufficient"] = "ok"
    if n < 4:
        status = "insufficient"
        notes.append(
            f"{n} customer(s) cannot identify the 4 parameters of a purchase model; at least "
            f"{SMALL_CUSTOMERS} are advisable. Use a longer history or more customers."
        )
    elif repeaters == 0:
        status = "insufficient"
        notes.append(
            "No customer has a repeat purchase: the purchase rate is not identified. Use a "
            "longer calibration period."
        )
    else:
        if n < SMALL_CUSTOMERS:
            status = "small"
            notes.append(
                f"Only {n} customers (< {SMALL_CUSTOMERS}): estimates are uncertain; read the "
                "bootstrap intervals (`bootstrap_intervals`), not the point values alone."
            )
        if repeaters < SMALL_REPEATERS:
            status = "small"
            notes.append(
                f"Only {repeaters} customers with a repeat purchase (< {SMALL_REPEATERS}): the "
                "dropout parameters (a, b or s, beta) are weakly identified."
            )
        if n >= 4 and float(np.ptp(Ta)) == 0.0 and repeaters < n:
            notes.append("Every customer has the same age T: a single cohort; fine but narrow.")
    for note in notes:
        log.warning("CLV data check: %s", note)
    return DataAdequacy(n, repeaters, int(xa.sum()), status, tuple(notes))


@dataclass(frozen=True)
class ParameterInterval:
    """A parameter's estimate with a 95% interval (``method``: ``hessian`` or ``bootstrap``)."""

    param: str
    estimate: float
    lower_95: float
    upper_95: float
    method: str
    std_error: float | None = None


def hessian_intervals(model: MLEModel) -> list[ParameterInterval]:
    """95% intervals ``θ̂ · exp(±1.96 se/θ̂)`` (Wald on the log scale, delta method).

    Unlike the natural-scale Wald interval of ``summary`` these stay positive. Parameters
    without a finite standard error get ``nan`` bounds (rendered as empty).
    """
    out: list[ParameterInterval] = []
    for name, est in model.params_.items():
        se = model.standard_errors_[name]
        spread = np.exp(_Z95 * se / est) if np.isfinite(se) else np.nan
        out.append(ParameterInterval(name, est, est / spread, est * spread, "hessian", se))
    return out


@dataclass(frozen=True)
class BootstrapResult:
    """Percentile intervals from ``replicates`` parametric bootstrap refits."""

    model: str
    intervals: tuple[ParameterInterval, ...]
    replicates: int
    failed: int
    """Refits that raised :class:`ConvergenceError` or ran to the edge of the search range
    (excluded from the percentiles)."""
    seed: int


_PROCESS: dict[type[MLEModel], PurchaseProcess] = {
    BGNBD: "bgnbd",
    ModifiedBGNBD: "mbgnbd",
    ParetoNBD: "paretonbd",
}


def bootstrap_intervals(
    model: MLEModel,
    T: npt.ArrayLike,
    *,
    x: npt.ArrayLike | None = None,
    replicates: int = 200,
    seed: int,
) -> BootstrapResult:
    """Parametric bootstrap of a fitted model's parameters.

    Purchase models (:class:`BGNBD`, :class:`ModifiedBGNBD`, :class:`ParetoNBD`) simulate
    ``(x, t_x)`` at the customers' ages ``T``; :class:`GammaGamma` simulates mean spend for
    the customers' repeat counts ``x`` (pass ``x``; ``T`` is then ignored).

    Parameters
    ----------
    model
        A fitted model.
    T
        The customers' ages as used in the fit.
    x
        Repeat counts (Gamma-Gamma only).
    replicates
        Number of simulated data sets (>= 20).
    seed
        Seed of the simulation.

    Raises
    ------
    InvalidInputError
        Unknown model type, ``replicates`` < 20, or missing ``x`` for Gamma-Gamma.
    ConvergenceError
        More than half the refits failed: the data cannot support the model.
    """
    if replicates < 20:
        raise InvalidInputError(f"replicates={replicates}: use at least 20 (200 is typical).")
    params = model.params_
    draws: list[list[float]] = []
    failed = 0
    seeds = np.random.SeedSequence(seed).generate_state(replicates)
    for k in range(replicates):
        s = int(seeds[k])
        try:
            if isinstance(model, GammaGamma):
                if x is None:
                    raise InvalidInputError("Gamma-Gamma bootstrap needs x (repeat counts).")
                xa = np.asarray(x, dtype=np.float64)
                refit: MLEModel = GammaGamma().fit(xa, simulate_spend(params, xa, seed=s))
            else:
                process = _PROCESS.get(type(model))
                if process is None:
                    raise InvalidInputError(f"No bootstrap for {type(model).__name__}.")
                xs, txs = simulate_purchases(process, params, T, seed=s)
                refit = type(model)().fit(xs, txs, T)  # type: ignore[attr-defined]
        except ConvergenceError:
            failed += 1
            continue
        if refit.at_bound_:
            # a refit at the edge of the search range has no finite estimate to take
            failed += 1
            continue
        draws.append([refit.params_[n] for n in params])
    if failed * 2 > replicates:
        raise ConvergenceError(
            f"{failed} of {replicates} bootstrap refits of {type(model).__name__} failed: the "
            "data cannot support the model (too few customers or repeat purchases)."
        )
    arr = np.asarray(draws)
    lo, hi = np.percentile(arr, [2.5, 97.5], axis=0)
    intervals = tuple(
        ParameterInterval(name, params[name], float(lo[i]), float(hi[i]), "bootstrap")
        for i, name in enumerate(params)
    )
    if failed:
        log.warning("%d of %d bootstrap refits failed and were excluded", failed, replicates)
    return BootstrapResult(type(model).__name__, intervals, replicates, failed, seed)
