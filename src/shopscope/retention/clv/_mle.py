"""Maximum-likelihood machinery shared by the CLV models (private).

Parameters are optimised on the log scale (all are positive) with L-BFGS-B from a fixed start,
then refined with Nelder-Mead from the L-BFGS-B optimum; standard errors come from the inverse
of a central-difference Hessian of the negative log-likelihood in the natural parameters.
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005); kept as is.
# ruff: noqa: N803, N806

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from shopscope.errors import ConvergenceError, InvalidInputError, ShopscopeError

__all__ = [
    "ConvergenceError",
    "FloatArray",
    "MLEModel",
    "MLEResult",
    "as_rfm",
    "as_weights",
    "collapse_rows",
    "fit_mle",
    "summary_rows",
    "warm_start",
]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
LogLik = Callable[[FloatArray], FloatArray]
"""Per-customer log-likelihoods for a vector of natural (positive) parameters."""
LogLikGrad = Callable[[FloatArray], tuple[FloatArray, list[FloatArray]]]
"""Per-customer log-likelihoods and their partial derivatives (natural parameters)."""


@dataclass(frozen=True)
class MLEResult:
    """Estimates, maximised log-likelihood and standard errors (NaN where not estimable)."""

    params: dict[str, float]
    log_likelihood: float
    standard_errors: dict[str, float]
    at_bound: tuple[str, ...] = ()
    """Parameters whose optimum lies at the edge of the search box (see :func:`fit_mle`)."""


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


def collapse_rows(
    columns: tuple[FloatArray, ...], weights: FloatArray
) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """Identical rows merged into one with the summed weight (the likelihood is unchanged).

    Summaries on a day or week grid repeat the same ``(x, t_x, T)`` many times (1M customers
    often have under 100k distinct rows), so each likelihood evaluation gets cheaper. Applied
    only when it at least halves the rows.
    """
    n = columns[0].size
    if n < 5_000:
        return columns, weights
    stacked = np.column_stack(columns)
    # a 64-bit hash of each row's bit patterns, verified below (exact np.unique on collision)
    bits = np.ascontiguousarray(stacked).view(np.uint64)
    key = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(bits.shape[1]):
            key = (key ^ bits[:, j]) * np.uint64(0x9E3779B97F4A7C15)
            key ^= key >> np.uint64(29)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    unique = stacked[first]
    if not np.array_equal(unique[inverse], stacked):
        unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
    if unique.shape[0] * 2 > n:
        return columns, weights
    summed: FloatArray = np.bincount(
        inverse.ravel(), weights=weights, minlength=unique.shape[0]
    ).astype(np.float64)
    return tuple(np.ascontiguousarray(unique[:, i]) for i in range(len(columns))), summed


WARM_ROWS = 20_000
"""Above this many (collapsed) rows, the fit starts from a fit on an evenly strided subsample."""


def warm_start(
    model: Any, columns: tuple[FloatArray, ...], weights: FloatArray, default: Sequence[float]
) -> Sequence[float]:
    """Start values for a large fit: the same model fitted on every k-th row (deterministic).

    The subsample optimum is close to the full one, so the full fit needs a few iterations
    instead of twenty or more; on failure the default start is used.
    """
    n = columns[0].size
    if n <= WARM_ROWS:
        return default
    step = -(-n // (WARM_ROWS // 2))
    try:
        pilot = type(model)().fit(*(c[::step] for c in columns), weights=weights[::step])
    except ShopscopeError:
        return default
    return [pilot.params_[name] for name in model.names]


def _neg_total(loglik: LogLik, weights: FloatArray) -> Callable[[FloatArray], float]:
    scale = float(weights.sum())

    def objective(log_theta: FloatArray) -> float:
        with np.errstate(all="ignore"):
            ll = loglik(np.exp(log_theta))
            value = -float(np.sum(weights * ll)) / scale
        return value if np.isfinite(value) else 1e100

    return objective


def _neg_total_grad(
    score: LogLikGrad, weights: FloatArray
) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    """Mean negative log-likelihood and its gradient in the log-parameters (chain rule ·θ)."""
    scale = float(weights.sum())

    def objective(log_theta: FloatArray) -> tuple[float, FloatArray]:
        theta = np.exp(log_theta)
        with np.errstate(all="ignore"):
            ll, parts = score(theta)
            value = -float(np.sum(weights * ll)) / scale
            grad = np.array([-float(np.sum(weights * g)) / scale for g in parts]) * theta
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return 1e100, np.zeros_like(log_theta)
        return value, grad

    return objective


def _hessian_from_gradient(score: LogLikGrad, weights: FloatArray, theta: FloatArray) -> FloatArray:
    """Hessian of the negative total log-likelihood by central differences of the gradient."""
    k = theta.size
    h = 1e-5 * np.maximum(np.abs(theta), 1e-3)
    hess = np.empty((k, k))

    def grad(t: FloatArray) -> FloatArray:
        with np.errstate(all="ignore"):
            _, parts = score(t)
        return np.array([-float(np.sum(weights * g)) for g in parts])

    for i in range(k):
        e = np.zeros(k)
        e[i] = h[i]
        hess[i] = (grad(theta + e) - grad(theta - e)) / (2 * h[i])
    out: FloatArray = (hess + hess.T) / 2
    return out


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
    score: LogLikGrad | None = None,
) -> MLEResult:
    """Maximise ``Σ w·loglik`` over positive parameters; raise :class:`ConvergenceError`.

    With an analytic ``score`` (log-likelihood and gradient) L-BFGS-B runs on exact gradients
    to a tight tolerance, which takes tens of evaluations; otherwise (or when that run does not
    report success) L-BFGS-B on numerical gradients is refined by Nelder-Mead.
    """
    objective = _neg_total(loglik, weights)
    x0 = np.log(np.asarray(start, dtype=np.float64))
    bounds = [(-20.0, 20.0)] * len(names)
    best: Any = None
    if score is not None:
        with_grad = _neg_total_grad(score, weights)
        point: FloatArray = x0
        # a line search that stalls ("ABNORMAL") at ftol 1e-15 is usually at the optimum
        # already: accept a tiny gradient, else retry once with looser tolerances
        for ftol, gtol in ((1e-15, 1e-9), (1e-12, 1e-7)):
            exact = minimize(
                with_grad,
                point,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"ftol": ftol, "gtol": gtol, "maxiter": 2_000, "maxcor": 20},
            )
            # the objective is a mean per customer: |∇| < 1e-5 is a flat ridge (e.g. a, b → ∞
            # together on small data), where any point along it is as good
            flat = exact.fun < 1e99 and float(np.max(np.abs(exact.jac))) < 1e-5
            if (exact.success or flat) and exact.fun < 1e99:
                best = exact
                break
            point = exact.x if exact.fun < 1e99 else x0
    if best is None:
        first = minimize(objective, x0, method="L-BFGS-B", bounds=bounds)
        refined = minimize(
            objective,
            first.x,
            method="Nelder-Mead",
            bounds=bounds,
            # the objective is a mean per customer: 1e-11 is ~1e-8 in the total for 1,000
            options={"xatol": 1e-8, "fatol": 1e-11, "maxiter": 4_000, "maxfev": 6_000},
        )
        best = refined if refined.fun <= first.fun else first
    theta = np.exp(best.x)
    scale = float(weights.sum())
    ll = -best.fun * scale
    if not (np.all(np.isfinite(theta)) and np.isfinite(ll)) or best.fun >= 1e99:
        raise ConvergenceError(
            f"{model} fit did not converge to a finite log-likelihood ({best.message}); check "
            "that the data has enough customers and varied purchase histories."
        )
    # An optimum at the edge of the box (log-parameter ±20) is a limit of the model, not a
    # failure: e.g. Pareto/NBD with s → 0, β → ∞ on a year of data where nobody visibly drops
    # out (Online Retail) is the NBD without dropout. The likelihood and the predictions stay
    # finite there, so the fit is kept, the parameters are flagged and their s.e. set to NaN.
    edge = np.abs(best.x) > 19.0
    at_bound = tuple(n for n, e in zip(names, edge, strict=True) if e)
    if at_bound:
        log.warning(
            "%s: %s at the edge of the search range (%s); the data do not identify them",
            model,
            ", ".join(at_bound),
            {n: float(v) for n, v in zip(names, theta, strict=True)},
        )

    def neg_ll(t: FloatArray) -> float:
        with np.errstate(all="ignore"):
            return -float(np.sum(weights * loglik(t)))

    hess = (
        _hessian(neg_ll, theta) if score is None else _hessian_from_gradient(score, weights, theta)
    )
    try:
        cov = np.linalg.inv(hess)
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        se = np.full(len(names), np.nan)
    se = np.where(edge, np.nan, se)
    return MLEResult(
        params={n: float(v) for n, v in zip(names, theta, strict=True)},
        log_likelihood=float(ll),
        standard_errors={n: float(v) for n, v in zip(names, se, strict=True)},
        at_bound=at_bound,
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
    def at_bound_(self) -> tuple[str, ...]:
        """Parameters that ran to the edge of the search range (not identified by the data)."""
        return self._fitted.at_bound

    @property
    def summary(self) -> list[dict[str, float | str]]:
        """One row per parameter: estimate, std_error, lower_95, upper_95."""
        return summary_rows(self._fitted)
