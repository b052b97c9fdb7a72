"""Channel response curves: outcome per day as a diminishing-returns function of spend.

For a channel with daily spend ``x_d`` the *adstock* carries part of past spend forward,
``a_d = x_d + lam * a_{d-1}`` (geometric, ``0 <= lam < 1``), and the expected outcome is

* ``"power"``: ``y_d = base + beta * a_d ** theta`` (``0 < theta <= 1``; the demo store's true
  form, new customers = ``beta * spend ** theta``);
* ``"hill"``: ``y_d = base + vmax * a_d**s / (k**s + a_d**s)`` (``0 < s <= 1``, so concave).

Parameters are fitted by bounded nonlinear least squares (``scipy.optimize.least_squares``,
trust-region reflective) and their uncertainty by a moving-block bootstrap of the residuals
(blocks of 14 days keep the weekly pattern and autocorrelation). A sustained daily spend
``x`` has steady-state adstock ``x / (1 - lam)``, which is what the planner uses.

**These curves are observational**: they describe how the outcome moved with spend in the
history, not what an intervention would do. Spend that follows demand (more budget in peak
season) inflates them. Calibrate a curve from a holdout experiment with
:meth:`ResponseCurve.calibrated` whenever one exists.

References
----------
.. [1] Jin, Y., Wang, Y., Sun, Y., Chan, D. & Koehler, J. (2017). Bayesian methods for media
   mix modeling with carryover and shape effects. Google Inc. (adstock and Hill forms).
.. [2] Künsch, H. R. (1989). The jackknife and the bootstrap for general stationary
   observations. *Annals of Statistics* 17(3), 1217-1241 (moving-block bootstrap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal, Self

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares
from scipy.signal import lfilter

from shopscope.errors import ConvergenceError, InvalidInputError

__all__ = ["OBSERVATIONAL_NOTE", "CurveForm", "ResponseCurve", "ResponseModel", "adstock"]

CurveForm = Literal["power", "hill"]
FloatArray = npt.NDArray[np.float64]
OBSERVATIONAL_NOTE = (
    "Fitted from observational data (spend and outcomes as they happened), not from an "
    "experiment: treat the curve as a hypothesis and calibrate it with a holdout test."
)
_PARAMS: dict[str, tuple[str, ...]] = {
    "power": ("base", "beta", "theta", "decay"),
    "hill": ("base", "vmax", "k", "s", "decay"),
}


def adstock(spend: npt.ArrayLike, decay: float) -> FloatArray:
    """Geometric adstock ``a_d = x_d + decay * a_{d-1}`` (``a_0 = x_0``)."""
    x = np.asarray(spend, dtype=np.float64)
    out: FloatArray = lfilter([1.0], [1.0, -decay], x)
    return out


def _shape(form: CurveForm, p: FloatArray, a: FloatArray) -> FloatArray:
    """Outcome above the base for adstocked spend ``a`` (params without base and decay)."""
    a = np.maximum(a, 0.0)
    if form == "power":
        out: FloatArray = p[0] * a ** p[1]
        return out
    vmax, k, s = p[0], p[1], p[2]
    ratio = np.where(a > 0, (a / k) ** s, 0.0)
    hill: FloatArray = vmax * ratio / (1.0 + ratio)
    return hill


@dataclass(frozen=True)
class ResponseCurve:
    """A fitted response curve of one channel.

    Attributes
    ----------
    channel, form, outcome
        What was fitted: ``form`` is ``"power"`` or ``"hill"``; ``outcome`` names the y series
        (``"new_customers"`` or ``"revenue"`` per day).
    params
        Point estimates (``base``, ``beta``/``vmax``, ``theta``/``k``/``s``, ``decay``).
    intervals
        Bootstrap 95% percentile intervals per parameter, plus ``response_at_typical``.
    typical_spend
        Mean daily spend on days with spend (the scale the data supports).
    days, r_squared
        Days fitted and share of variance explained.
    calibration
        Multiplier applied from a holdout test (1.0 when not calibrated).
    note
        :data:`OBSERVATIONAL_NOTE`, or a calibration note.
    """

    channel: str
    form: CurveForm
    outcome: str
    params: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    typical_spend: float
    days: int
    r_squared: float
    calibration: float = 1.0
    note: str = OBSERVATIONAL_NOTE
    bootstrap: tuple[dict[str, float], ...] = field(default=(), repr=False, compare=False)

    def _vector(self) -> FloatArray:
        names = _PARAMS[self.form][1:-1]
        v = np.array([self.params[n] for n in names], dtype=np.float64)
        v[0] *= self.calibration
        return v

    def response(self, daily_spend: npt.ArrayLike) -> FloatArray:
        """Expected outcome per day above the base at a *sustained* daily spend."""
        x = np.asarray(daily_spend, dtype=np.float64)
        steady = x / (1.0 - self.params["decay"])
        return _shape(self.form, self._vector(), steady)

    def marginal(self, daily_spend: npt.ArrayLike, *, step: float = 1e-4) -> FloatArray:
        """d response / d spend at a sustained daily spend (central difference)."""
        x = np.maximum(np.asarray(daily_spend, dtype=np.float64), step)
        h = step * np.maximum(1.0, x)
        out: FloatArray = (self.response(x + h) - self.response(x - h)) / (2 * h)
        return out

    def calibrated(self, spend: float, incremental: float) -> ResponseCurve:
        """This curve rescaled so that ``response(spend) == incremental``.

        Parameters
        ----------
        spend
            Daily spend the holdout test ran at (> 0).
        incremental
            Outcome per day the test measured as caused by that spend (treatment minus
            holdout), >= 0.
        """
        if not spend > 0 or incremental < 0 or not math.isfinite(incremental):
            raise InvalidInputError(
                f"Calibration of {self.channel}: spend={spend}, incremental={incremental}: the "
                "test's daily spend must be > 0 and its measured incremental outcome >= 0."
            )
        predicted = float(self.response(spend)) / self.calibration
        if predicted <= 0:
            raise InvalidInputError(
                f"Calibration of {self.channel}: the curve predicts no response at spend "
                f"{spend}; refit it before calibrating."
            )
        factor = incremental / predicted
        note = (
            f"Calibrated to a holdout test: {incremental:g} per day at spend {spend:g} "
            f"(curve scaled by {factor:.3g}); shape still observational."
        )
        return replace(self, calibration=factor, note=note)


class ResponseModel:
    """Bounded nonlinear least-squares fit of a response curve with bootstrap intervals.

    Parameters
    ----------
    form
        ``"power"`` or ``"hill"``.
    adstock
        Fit a geometric carry-over ``decay`` in ``[0, max_decay]`` (else ``decay = 0``).
    max_decay
        Upper bound of ``decay``.
    baseline
        Fit an intercept ``base >= 0`` (outcome without spend); else ``base = 0``.
    """

    def __init__(
        self,
        form: CurveForm = "power",
        *,
        adstock: bool = True,
        max_decay: float = 0.8,
        baseline: bool = True,
    ) -> None:
        if form not in _PARAMS:
            raise InvalidInputError(f"Unknown curve form {form!r}; use power or hill.")
        if not 0 <= max_decay < 1:
            raise InvalidInputError(f"max_decay={max_decay}: use 0 <= max_decay < 1.")
        self.form: CurveForm = form
        self.adstock = adstock
        self.max_decay = max_decay if adstock else 0.0
        self.baseline = baseline
        self.curve_: ResponseCurve | None = None

    def _bounds(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        top = max(float(y.max()), 1e-9)
        xs = float(x[x > 0].mean()) if (x > 0).any() else 1.0
        decay_hi = max(self.max_decay, 1e-9)
        if self.form == "power":
            lo = np.array([0.0, 1e-12, 0.05, 0.0])
            hi = np.array([top, np.inf, 1.0, decay_hi])
            p0 = np.array([0.05 * top, max(float(y.mean()), 1e-6) / xs**0.7, 0.7, 0.0])
        else:
            lo = np.array([0.0, 1e-12, 1e-6 * xs, 0.1, 0.0])
            hi = np.array([top, 50.0 * top + 1.0, 100.0 * xs, 1.0, decay_hi])
            p0 = np.array([0.05 * top, 2.0 * top, xs, 0.8, 0.0])
        if not self.baseline:
            hi[0] = 1e-12
            p0[0] = 0.0
        return lo, hi, np.clip(p0, lo, np.where(np.isfinite(hi), hi, p0 + 1))

    def _solve(
        self, x: FloatArray, y: FloatArray, p0: FloatArray, lo: FloatArray, hi: FloatArray
    ) -> FloatArray:
        def residuals(p: FloatArray) -> FloatArray:
            a = adstock(x, p[-1])
            out: FloatArray = p[0] + _shape(self.form, p[1:-1], a) - y
            return out

        res = least_squares(residuals, p0, bounds=(lo, hi), x_scale="jac", max_nfev=2000)
        if not res.success and res.status <= 0:
            raise ConvergenceError(f"Response curve fit did not converge: {res.message}")
        out: FloatArray = res.x
        return out

    def fit(
        self,
        spend: npt.ArrayLike,
        outcome: npt.ArrayLike,
        *,
        channel: str = "",
        outcome_name: str = "outcome",
        n_boot: int = 100,
        block: int = 14,
        seed: int = 0,
    ) -> Self:
        """Fit daily ``outcome`` on daily ``spend`` (consecutive days, same length)."""
        x = np.asarray(spend, dtype=np.float64)
        y = np.asarray(outcome, dtype=np.float64)
        if x.shape != y.shape or x.ndim != 1:
            raise InvalidInputError("spend and outcome must be 1-d series of the same length.")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise InvalidInputError(
                f"{channel or 'channel'}: spend and outcome must be finite (fill missing days "
                "with 0 spend)."
            )
        if (x < 0).any():
            raise InvalidInputError(f"{channel or 'channel'}: spend must be >= 0.")
        n_params = len(_PARAMS[self.form])
        if int((x > 0).sum()) < 3 * n_params or np.unique(x).size < n_params + 2:
            raise InvalidInputError(
                f"{channel or 'channel'}: {int((x > 0).sum())} days with spend and "
                f"{np.unique(x).size} distinct spend levels are too few to fit a {self.form} "
                f"curve ({n_params} parameters); need at least {3 * n_params} days with varied "
                "spend."
            )
        lo, hi, p0 = self._bounds(x, y)
        p = self._solve(x, y, p0, lo, hi)
        fitted = p[0] + _shape(self.form, p[1:-1], adstock(x, p[-1]))
        resid = y - fitted
        ss = float(((y - y.mean()) ** 2).sum())
        r2 = 1.0 - float((resid**2).sum()) / ss if ss > 0 else 0.0
        names = _PARAMS[self.form]
        typical = float(x[x > 0].mean())
        boots = self._bootstrap(x, fitted, resid, p, lo, hi, n_boot, block, seed)
        point = dict(zip(names, (float(v) for v in p), strict=True))
        curve = ResponseCurve(channel, self.form, outcome_name, point, {}, typical, len(x), r2)
        intervals: dict[str, tuple[float, float]] = {}
        if boots.shape[0] >= 2:
            for i, n in enumerate(names):
                intervals[n] = _interval(boots[:, i])
            at = [
                float(replace(curve, params=dict(zip(names, b, strict=True))).response(typical))
                for b in boots
            ]
            intervals["response_at_typical"] = _interval(np.asarray(at))
        dicts = tuple(dict(zip(names, (float(v) for v in b), strict=True)) for b in boots)
        self.curve_ = replace(curve, intervals=intervals, bootstrap=dicts)
        return self

    def _bootstrap(
        self,
        x: FloatArray,
        fitted: FloatArray,
        resid: FloatArray,
        p: FloatArray,
        lo: FloatArray,
        hi: FloatArray,
        n_boot: int,
        block: int,
        seed: int,
    ) -> FloatArray:
        if n_boot < 0 or block < 1:
            raise InvalidInputError(f"n_boot={n_boot}, block={block}: use n_boot >= 0, block >= 1.")
        rng = np.random.default_rng(seed)
        n = x.size
        b = min(block, n)
        out = []
        for _ in range(n_boot):
            starts = rng.integers(0, n - b + 1, size=math.ceil(n / b))
            idx = (starts[:, None] + np.arange(b)[None, :]).ravel()[:n]
            y_star = fitted + resid[idx]
            try:
                out.append(self._solve(x, y_star, p, lo, hi))
            except ConvergenceError:
                continue
        return np.asarray(out).reshape(-1, p.size)

    @property
    def curve(self) -> ResponseCurve:
        """The fitted curve (raises before :meth:`fit`)."""
        if self.curve_ is None:
            raise InvalidInputError("ResponseModel is not fitted: call fit() first.")
        return self.curve_


def _interval(values: FloatArray) -> tuple[float, float]:
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)
