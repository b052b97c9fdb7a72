"""Frequentist comparison of two arms from their sufficient statistics.

Tests
-----
``two_proportion_z`` (binary metrics)
    ``z = (p_t − p_c) / sqrt(p̄(1 − p̄)(1/n_t + 1/n_c))`` with the pooled rate ``p̄`` under H0
    (statsmodels ``proportions_ztest``); the confidence interval of the difference uses the
    unpooled Wald standard error ``sqrt(p_t(1−p_t)/n_t + p_c(1−p_c)/n_c)``.
``welch_t`` (continuous metrics)
    ``t = (ȳ_t − ȳ_c) / sqrt(s²_t/n_t + s²_c/n_c)`` with Welch–Satterthwaite degrees of freedom
    (scipy ``ttest_ind(equal_var=False)``); the interval uses the same ``t`` quantile.
``z`` (ratio metrics by the delta method, CUPED-adjusted means)
    A normal test on the difference of two asymptotically normal estimates.

The relative lift ``ȳ_t/ȳ_c − 1`` gets a delta-method standard error
``sqrt(v_t/ȳ_c² + ȳ_t² v_c/ȳ_c⁴)`` (Deng, Knoblich & Lu 2018, section 3.3).

Degenerate inputs (an empty arm, one unit, zero variance, a zero control mean) give a result
with ``status`` set and ``None`` statistics, never NaN.

References
----------
.. [1] Welch, B. L. (1947). The generalization of "Student's" problem when several different
   population variances are involved. *Biometrika*, 34(1/2), 28-35.
.. [2] Deng, A., Knoblich, U., & Lu, J. (2018). Applying the delta method in metric analytics:
   a practical guide with novel ideas. *KDD 2018*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats as st

from shopscope.conversion.experiments.sufficient import ArmStats, MeanEstimate
from shopscope.errors import InvalidInputError

__all__ = [
    "Comparison",
    "Status",
    "TestKind",
    "compare_arms",
    "compare_estimates",
    "estimate_of",
    "relative_lift",
]

TestKind = Literal["two_proportion_z", "welch_t", "z"]
Status = Literal["ok", "empty_arm", "too_few_units", "zero_variance", "zero_control_mean"]
MetricKind = Literal["binary", "continuous", "ratio"]


@dataclass(frozen=True)
class Comparison:
    """Treatment against control: absolute and relative effect, test and intervals.

    ``diff_ci`` and ``lift_ci`` are ``(low, high)`` at level ``1 − alpha``. Statistics are
    ``None`` when ``status`` is not ``"ok"``; ``message`` then says why.
    """

    control: str
    treatment: str
    test: TestKind
    control_mean: float | None
    treatment_mean: float | None
    diff: float | None
    diff_se: float | None
    diff_ci: tuple[float, float] | None
    lift: float | None
    lift_se: float | None
    lift_ci: tuple[float, float] | None
    statistic: float | None
    p_value: float | None
    df: float | None
    alpha: float
    status: Status = "ok"
    message: str = ""

    @property
    def significant(self) -> bool:
        """``p < alpha`` (False when degenerate)."""
        return self.p_value is not None and self.p_value < self.alpha


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must be in (0, 1), got {alpha!r}; 0.05 is usual.")


def estimate_of(arm: ArmStats, kind: MetricKind) -> MeanEstimate:
    """The arm's mean and its variance; binary metrics use ``p(1 − p)/n`` (Wald)."""
    if kind == "binary" and arm.n > 0:
        p = arm.sum / arm.n
        return MeanEstimate(p, p * (1 - p) / arm.n, arm.n)
    return arm.estimate()


def _degenerate(
    control: ArmStats, treatment: ArmStats, kind: MetricKind
) -> tuple[Status, str] | None:
    for arm in (control, treatment):
        if arm.n == 0:
            return "empty_arm", f"arm {arm.variant!r} has no units"
        if arm.n < 2:
            return "too_few_units", f"arm {arm.variant!r} has {arm.n} unit; need at least 2"
        if arm.is_ratio and not arm.den_sum:
            return "zero_control_mean", f"arm {arm.variant!r} has a zero denominator (Σd = 0)"
    return None


def compare_arms(
    control: ArmStats, treatment: ArmStats, kind: MetricKind, *, alpha: float = 0.05
) -> Comparison:
    """Compare ``treatment`` with ``control`` for a metric of ``kind``.

    Parameters
    ----------
    control, treatment
        Sufficient statistics of the two arms (ratio metrics carry a denominator).
    kind
        ``"binary"`` (two-proportion z), ``"continuous"`` (Welch t) or ``"ratio"`` (delta
        method, z).
    alpha
        Two-sided significance level; intervals are at ``1 − alpha``.
    """
    _check_alpha(alpha)
    tests: dict[str, TestKind] = {
        "binary": "two_proportion_z",
        "continuous": "welch_t",
        "ratio": "z",
    }
    test = tests[kind]
    bad = _degenerate(control, treatment, kind)
    if bad is not None:
        return _empty(control.variant, treatment.variant, test, alpha, *bad)
    c, t = estimate_of(control, kind), estimate_of(treatment, kind)
    if kind == "binary":
        pooled = (control.sum + treatment.sum) / (control.n + treatment.n)
        se0 = math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n))
        return compare_estimates(
            c, t, control.variant, treatment.variant, test="two_proportion_z", alpha=alpha,
            null_se=se0,
        )  # fmt: skip
    if kind == "continuous":
        vc, vt = c.var, t.var
        denom = (vc * vc / (c.n - 1) if vc else 0.0) + (vt * vt / (t.n - 1) if vt else 0.0)
        df = (vc + vt) ** 2 / denom if denom > 0 else None
        return compare_estimates(
            c, t, control.variant, treatment.variant, test="welch_t", alpha=alpha, df=df
        )
    return compare_estimates(c, t, control.variant, treatment.variant, test="z", alpha=alpha)


def compare_estimates(
    c: MeanEstimate,
    t: MeanEstimate,
    control: str = "control",
    treatment: str = "treatment",
    *,
    test: TestKind = "z",
    alpha: float = 0.05,
    df: float | None = None,
    null_se: float | None = None,
) -> Comparison:
    """Compare two asymptotically normal estimates (the core of every test here).

    ``df`` switches to Student's t with that many degrees of freedom; ``null_se`` is the
    standard error under H0 for the test statistic (pooled proportions), while intervals
    always use the unpooled ``sqrt(v_t + v_c)``.
    """
    _check_alpha(alpha)
    diff = t.mean - c.mean
    var = t.var + c.var
    se = math.sqrt(var) if var > 0 else 0.0
    test_se = null_se if null_se is not None else se
    if not (math.isfinite(diff) and math.isfinite(var)):
        return _empty(control, treatment, test, alpha, "too_few_units", "estimate not finite")
    if test_se <= 0:
        msg = "both arms have zero variance: every unit has the same value"
        return _empty(control, treatment, test, alpha, "zero_variance", msg, c.mean, t.mean)
    stat = diff / test_se
    if test == "welch_t" and df is not None:
        p = float(2 * st.t.sf(abs(stat), df))
        q = float(st.t.ppf(1 - alpha / 2, df))
    else:
        df = None
        p = float(2 * st.norm.sf(abs(stat)))
        q = float(st.norm.ppf(1 - alpha / 2))
    lift: float | None = None
    lift_se: float | None = None
    lift_ci: tuple[float, float] | None = None
    status: Status = "ok"
    message = ""
    rel = relative_lift(c, t, alpha)
    if rel is not None:
        lift, lift_se, lift_ci = rel
    else:
        message = "control mean is 0 (or too close to 0): relative lift undefined"
    return Comparison(
        control, treatment, test, c.mean, t.mean, diff, se, (diff - q * se, diff + q * se),
        lift, lift_se, lift_ci, stat, min(max(p, 0.0), 1.0), df, alpha, status, message,
    )  # fmt: skip


def _empty(
    control: str,
    treatment: str,
    test: TestKind,
    alpha: float,
    status: Status,
    message: str,
    c_mean: float | None = None,
    t_mean: float | None = None,
) -> Comparison:
    c_mean = c_mean if c_mean is not None and math.isfinite(c_mean) else None
    t_mean = t_mean if t_mean is not None and math.isfinite(t_mean) else None
    diff = t_mean - c_mean if c_mean is not None and t_mean is not None else None
    return Comparison(
        control, treatment, test, c_mean, t_mean, diff, None, None, None, None, None, None,
        None, None, alpha, status, message,
    )  # fmt: skip


def relative_lift(
    c: MeanEstimate, t: MeanEstimate, alpha: float
) -> tuple[float, float, tuple[float, float]] | None:
    """``ȳ_t/ȳ_c − 1`` with its delta-method standard error and interval (None if undefined)."""
    if c.mean == 0:
        return None
    try:
        lift = t.mean / c.mean - 1
        se = math.sqrt(t.var / c.mean**2 + t.mean**2 * c.var / c.mean**4)
    except (ZeroDivisionError, OverflowError):
        return None
    if not (math.isfinite(lift) and math.isfinite(se)):
        return None
    zq = float(st.norm.ppf(1 - alpha / 2))
    return lift, se, (lift - zq * se, lift + zq * se)
