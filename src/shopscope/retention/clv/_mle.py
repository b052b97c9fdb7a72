"""Maximum-likelihood machinery shared by the CLV models (private).

Parameters are optimised on the log scale (all are positive) with L-BFGS-B from a fixed start,
then refined with Nelder-Mead from the L-BFGS-B optimum; standard errors come from the inverse
of a central-difference Hessian of the negative log-likelihood in the natural parameters.
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005); kept as is.
# ruff: noqa: N803, N806

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from shopscope.errors import ConvergenceError, InvalidInputError

__all__ = [
    "ConvergenceError",
    "FloatArray",
    "MLEModel",
    "MLEResult",
    "as_rfm",
    "as_weights",
    "fit_mle",
    "summary_rows",
]

FloatArray = npt.NDArray[np.float64]
LogLik = Callable[[FloatArray], FloatArray]
"""Per-customer log-likelihoods for a vector of natural (positive) parameters."""


@dataclass(frozen=True)
class MLEResult:
    """Estimates, maximised log-likelihood and standard errors (NaN where not estimable)."""

    params: dict[str, float]
    log_likelihood: float
    standard_errors: dict[str, float]


def as_weights(weights: npt.ArrayLike | None, n: int) -> FloatArray:
    """Validated per-row counts (all ones when ``None``)."""
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise InvalidInputError(f"weights has shape {w.shape}; expected ({n},), one per row.")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InvalidInputError("weights must be finite, non-negative counts with a positive sum.")
    return w


def _neg_total(loglik: LogLik, weights: FloatArray) -> Callable[[FloatArray], float]:
    scale = float(weights.sum())

    def objective(log_theta: FloatArray) -> float:
        with np.errstate(all="ignore"):
            ll = loglik(np.exp(log_theta))
            value = -float(np.sum(weights * ll)) / scale
        return value if np.isfinite(value) else 1e100

    return objective


def _hessian(f: Callable[[FloatArray], float], theta: FloatArray) -> FloatArray:
    """Central-difference Hessian of ``f`` at ``theta`` with relative steps."""
    k = theta.size
    h = 1e-4 * np.maximum(np.abs(theta), 1e-3)
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei = np.zeros(k)
            ej = np.zeros(k)
            ei[i] = h[i]
            ej[j] = h[j]
            val = (
                f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)
            ) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = val
    return hess


def fit_mle(
    model: str,
    names: Sequence[str],
    loglik: LogLik,
    weights: FloatArray,
    *,
    start: Sequence[float],
) -> MLEResult:
    """Maximise ``Σ w·loglik`` over positive parameters; raise :class:`ConvergenceError`."""
    objective = _neg_total(loglik, weights)
    x0 = np.log(np.asarray(start, dtype=np.float64))
    first = minimize(objective, x0, method="L-BFGS-B", bounds=[(-20.0, 20.0)] * len(names))
    refined = minimize(
        objective,
        first.x,
        method="Nelder-Mead",
        bounds=[(-20.0, 20.0)] * len(names),
        # the objective is a mean per customer: 1e-11 is ~1e-8 in the total for 1,000 customers
        options={"xatol": 1e-8, "fatol": 1e-11, "maxiter": 4_000, "maxfev": 6_000},
    )
    best: Any = refined if refined.fun <= first.fun else first
    theta = np.exp(best.x)
    scale = float(weights.sum())
    ll = -best.fun * scale
    if not (np.all(np.isfinite(theta)) and np.isfinite(ll)) or best.fun >= 1e99:
        raise ConvergenceError(
            f"{model} fit did not converge to a finite log-likelihood ({best.message}); check "
            "that the data has enough customers and varied purchase histories."
        )
    if np.any(np.abs(best.x) > 19.0):
        raise ConvergenceError(
            f"{model} fit ran to a parameter bound ({dict(zip(names, theta, strict=True))}); "
            "the data do not identify the model (e.g. no repeat purchases)."
        )

    def neg_ll(t: FloatArray) -> float:
        with np.errstate(all="ignore"):
            return -float(np.sum(weights * loglik(t)))

    hess = _hessian(neg_ll, theta)
    try:
        cov = np.linalg.inv(hess)
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        se = np.full(len(names), np.nan)
    return MLEResult(
        params={n: float(v) for n, v in zip(names, theta, strict=True)},
        log_likelihood=float(ll),
        standard_errors={n: float(v) for n, v in zip(names, se, strict=True)},
    )


def summary_rows(result: MLEResult) -> list[dict[str, float | str]]:
    """One row per parameter: estimate, standard error and a Wald 95% interval."""
    rows: list[dict[str, float | str]] = []
    for name, est in result.params.items():
        se = result.standard_errors[name]
        rows.append(
            {
                "param": name,
                "estimate": est,
                "std_error": se,
                "lower_95": est - 1.959964 * se,
                "upper_95": est + 1.959964 * se,
            }
        )
    return rows


def as_rfm(
    x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike, *, fitting: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validated, broadcast ``(x, t_x, T)``: ``x ≥ 0``, ``0 ≤ t_x ≤ T``, ``t_x = 0`` if x = 0."""
    xa, ta, Ta = np.broadcast_arrays(
        np.asarray(x, dtype=np.float64),
        np.asarray(t_x, dtype=np.float64),
        np.asarray(T, dtype=np.float64),
    )
    if fitting and xa.size == 0:
        raise InvalidInputError("No customers to fit: x, t_x and T are empty.")
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ta)) and np.all(np.isfinite(Ta))):
        raise InvalidInputError("x, t_x and T must be finite numbers (found NaN or inf).")
    bad = (xa < 0) | (ta < 0) | (ta > Ta + 1e-9) | (Ta <= 0) | ((xa == 0) & (ta > 0))
    if np.any(bad):
        i = int(np.argmax(bad))
        raise InvalidInputError(
            f"Invalid summary row {i}: x={xa.flat[i]}, t_x={ta.flat[i]}, T={Ta.flat[i]}; need "
            "x >= 0, 0 <= t_x <= T, T > 0 and t_x = 0 when x = 0 (see rfm_summary)."
        )
    if fitting and not np.any(xa > 0):
        # with no repeat purchase the likelihood rises without bound as λ → 0: no interior MLE
        raise ConvergenceError(
            "No customer has a repeat purchase (all x = 0): the data do not identify the "
            "purchase rate, so BG/NBD and Pareto/NBD cannot be fitted. Use a longer "
            "calibration period."
        )
    return xa.astype(np.float64), ta.astype(np.float64), Ta.astype(np.float64)


class MLEModel:
    """Fitted attributes shared by the maximum-likelihood CLV models.

    Subclasses set ``names`` (parameter order) and ``fit_signature`` (for the not-fitted
    message), and store their :class:`MLEResult` in ``_result`` from ``fit``.
    """

    names: tuple[str, ...] = ()
    fit_signature = "fit(...)"

    def __init__(self) -> None:
        self._result: MLEResult | None = None

    @property
    def _fitted(self) -> MLEResult:
        if self._result is None:
            raise InvalidInputError(
                f"{type(self).__name__} is not fitted yet; call {self.fit_signature} first."
            )
        return self._result

    @property
    def params_(self) -> dict[str, float]:
        """Maximum-likelihood estimates, in the order of ``names``."""
        return self._fitted.params

    @property
    def log_likelihood_(self) -> float:
        """Maximised log-likelihood."""
        return self._fitted.log_likelihood

    @property
    def standard_errors_(self) -> dict[str, float]:
        """Standard errors from the inverse numerical Hessian."""
        return self._fitted.standard_errors

    @property
    def summary(self) -> list[dict[str, float | str]]:
        """One row per parameter: estimate, std_error, lower_95, upper_95."""
        return summary_rows(self._fitted)
