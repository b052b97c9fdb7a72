"""Power analysis: sample size for a minimum detectable effect, the MDE for given traffic, and
the expected duration from recent traffic.

For a two-sided test at level ``α`` of a difference ``δ`` with standard error
``se(n) = sqrt(σ²_c/n + σ²_t/(r n))`` (``n`` control units, ``r n`` treatment units), the power is

    1 − β = Φ(δ/se − z_{1−α/2}) + Φ(−δ/se − z_{1−α/2})

(both rejection tails, as statsmodels ``NormalIndPower``). Binary metrics use
``σ² = p(1 − p)`` at the control rate and at the treated rate; continuous metrics take ``σ``
for both arms. The sample size is the smallest integer ``n`` reaching the power; the MDE is the
``δ`` solving the equation for the given ``n`` (root finding, ``brentq``).

References
----------
.. [1] Chow, S.-C., Shao, J., & Wang, H. (2008). *Sample Size Calculations in Clinical
   Research*, 2nd ed., ch. 3-4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize
from scipy import stats as st

from shopscope.errors import InvalidInputError

__all__ = ["PowerPlan", "minimum_detectable_effect", "power_of", "sample_size"]


@dataclass(frozen=True)
class PowerPlan:
    """A power calculation: inputs, sample size per arm, and expected duration."""

    metric_kind: str
    baseline: float
    sd: float
    mde_absolute: float
    mde_relative: float
    alpha: float
    power: float
    ratio: float
    n_control: int
    n_treatment: int
    daily_traffic: float | None
    days: int | None

    @property
    def total(self) -> int:
        """Units needed over both arms."""
        return self.n_control + self.n_treatment


def _sds(baseline: float, delta: float, sd: float | None) -> tuple[float, float]:
    if sd is not None:
        return sd, sd
    treated = baseline + delta
    if not 0 < treated < 1:
        raise InvalidInputError(
            f"A conversion rate of {baseline:g} moved by {delta:+g} leaves (0, 1); "
            "choose a smaller effect."
        )
    return math.sqrt(baseline * (1 - baseline)), math.sqrt(treated * (1 - treated))


def _validate(baseline: float, sd: float | None, alpha: float, power: float, ratio: float) -> None:
    if sd is None and not 0 < baseline < 1:
        raise InvalidInputError(
            f"baseline {baseline!r}: a conversion rate must be in (0, 1); for a continuous "
            "metric also give its standard deviation (sd=...)."
        )
    if sd is not None and not sd > 0:
        raise InvalidInputError(f"sd must be > 0, got {sd!r}.")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise InvalidInputError(f"alpha and power must be in (0, 1), got {alpha!r}, {power!r}.")
    if not ratio > 0:
        raise InvalidInputError(f"ratio (treatment/control units) must be > 0, got {ratio!r}.")


def power_of(
    delta: float, n_control: float, *, baseline: float, sd: float | None = None,
    alpha: float = 0.05, ratio: float = 1.0,
) -> float:  # fmt: skip
    """Power of the two-sided test for an absolute effect ``delta`` (see the module docstring)."""
    sc, stt = _sds(baseline, delta, sd)
    se = math.sqrt(sc * sc / n_control + stt * stt / (ratio * n_control))
    z = float(st.norm.ppf(1 - alpha / 2))
    return float(st.norm.cdf(abs(delta) / se - z) + st.norm.cdf(-abs(delta) / se - z))


def _days(total: int, daily_traffic: float | None) -> int | None:
    if daily_traffic is None:
        return None
    if not daily_traffic > 0:
        raise InvalidInputError(f"daily traffic must be > 0, got {daily_traffic!r}.")
    return math.ceil(total / daily_traffic)


def sample_size(
    *,
    baseline: float,
    mde: float,
    relative: bool = True,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    daily_traffic: float | None = None,
) -> PowerPlan:
    """Units per arm to detect ``mde`` with ``power`` (binary when ``sd`` is None).

    ``mde`` is relative to ``baseline`` (``0.05`` = +5 %) unless ``relative=False``.
    ``daily_traffic`` (eligible units per day, all arms) gives the expected duration in days.
    """
    _validate(baseline, sd, alpha, power, ratio)
    delta = mde * baseline if relative else mde
    if delta == 0 or not math.isfinite(delta):
        raise InvalidInputError(f"mde must be a non-zero effect, got {mde!r}.")
    sds = _sds(baseline, delta, sd)

    def gap(n: float) -> float:
        return power_of(delta, n, baseline=baseline, sd=sd, alpha=alpha, ratio=ratio) - power

    hi = 2.0
    while gap(hi) < 0:
        hi *= 2
        if hi > 1e13:
            raise InvalidInputError(f"mde {mde!r} is too small to detect with any sample size.")
    n = optimize.brentq(gap, 1e-9, hi, xtol=1e-10, rtol=1e-14) if gap(1e-9) < 0 else 1.0
    n_c = math.ceil(n - 1e-9)
    n_t = math.ceil(n_c * ratio - 1e-9)
    return PowerPlan(
        "binary" if sd is None else "continuous", baseline, sds[0], delta,
        delta / baseline if baseline else math.inf, alpha, power, ratio, n_c, n_t,
        daily_traffic, _days(n_c + n_t, daily_traffic),
    )  # fmt: skip


def minimum_detectable_effect(
    *,
    baseline: float,
    n_control: int,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    daily_traffic: float | None = None,
) -> PowerPlan:
    """The smallest positive absolute effect detectable with ``n_control`` units in control."""
    _validate(baseline, sd, alpha, power, ratio)
    if n_control < 2:
        raise InvalidInputError(f"n_control must be >= 2, got {n_control!r}.")
    upper = (1 - baseline) * (1 - 1e-12) if sd is None else 1e6 * (sd or 1.0)

    def gap(d: float) -> float:
        return power_of(d, n_control, baseline=baseline, sd=sd, alpha=alpha, ratio=ratio) - power

    if gap(upper) < 0:
        raise InvalidInputError(
            f"{n_control} units per arm cannot reach power {power} for any effect; add traffic."
        )
    delta = float(optimize.brentq(gap, 1e-15 * max(abs(baseline), 1.0), upper, xtol=1e-14))
    n_t = math.ceil(n_control * ratio - 1e-9)
    return PowerPlan(
        "binary" if sd is None else "continuous", baseline, _sds(baseline, delta, sd)[0], delta,
        delta / baseline if baseline else math.inf, alpha, power, ratio, n_control, n_t,
        daily_traffic, _days(n_control + n_t, daily_traffic),
    )  # fmt: skip
