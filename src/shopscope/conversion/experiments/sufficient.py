"""Per-arm sufficient statistics: everything the statistics code is allowed to see.

The warehouse reduces the rows of one arm and one metric to a handful of sums (GrowthBook's
gbstats works the same way). From them follow the mean, the variance of the mean, the delta
method for ratio metrics and the CUPED adjustment; no function in ``experiments`` takes rows.

For a unit (user) with metric value ``y``, optional denominator ``d`` (ratio metrics) and
optional pre-exposure covariate ``x`` (CUPED), an arm carries ``n``, ``Σy``, ``Σy²``, ``Σd``,
``Σd²``, ``Σyd``, ``Σx``, ``Σx²`` and ``Σyx``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shopscope.errors import InvalidInputError

__all__ = ["ArmStats", "MeanEstimate", "arm_from_values"]


@dataclass(frozen=True)
class ArmStats:
    """Sufficient statistics of one metric in one arm.

    Attributes
    ----------
    variant
        Arm name.
    n
        Units (users) in the arm.
    sum, sum_sq
        ``Σy`` and ``Σy²`` of the metric (numerator for ratio metrics).
    den_sum, den_sum_sq, cross
        ``Σd``, ``Σd²`` and ``Σyd`` of the denominator (ratio metrics only).
    pre_sum, pre_sum_sq, pre_cross
        ``Σx``, ``Σx²`` and ``Σyx`` of the pre-exposure covariate (CUPED only).
    """

    variant: str
    n: int
    sum: float
    sum_sq: float
    den_sum: float | None = None
    den_sum_sq: float | None = None
    cross: float | None = None
    pre_sum: float | None = None
    pre_sum_sq: float | None = None
    pre_cross: float | None = None

    def __post_init__(self) -> None:
        if self.n < 0:
            raise InvalidInputError(f"Arm {self.variant!r}: n = {self.n} is negative.")
        values = [self.sum, self.sum_sq, self.den_sum, self.den_sum_sq, self.cross]
        values += [self.pre_sum, self.pre_sum_sq, self.pre_cross]
        if any(v is not None and not math.isfinite(v) for v in values):
            raise InvalidInputError(
                f"Arm {self.variant!r}: a sufficient statistic is not finite ({values}); "
                "check the metric for NaN or infinite values."
            )

    @property
    def is_ratio(self) -> bool:
        """Whether the arm carries a denominator (a ratio metric)."""
        return self.den_sum is not None

    @property
    def has_covariate(self) -> bool:
        """Whether the arm carries a CUPED covariate."""
        return self.pre_sum is not None

    def mean(self) -> float:
        """Mean of ``y`` per unit (``Σy / Σd`` for ratio metrics)."""
        if self.is_ratio:
            assert self.den_sum is not None
            return self.sum / self.den_sum
        return self.sum / self.n

    def var(self) -> float:
        """Sample variance of ``y`` (``n − 1`` in the denominator)."""
        return _cov(self.n, self.sum, self.sum, self.sum_sq)

    def pre_var(self) -> float:
        """Sample variance of the covariate ``x``."""
        assert self.pre_sum is not None and self.pre_sum_sq is not None
        return _cov(self.n, self.pre_sum, self.pre_sum, self.pre_sum_sq)

    def pre_cov(self) -> float:
        """Sample covariance of ``y`` and ``x``."""
        assert self.pre_sum is not None and self.pre_cross is not None
        return _cov(self.n, self.sum, self.pre_sum, self.pre_cross)

    def estimate(self) -> MeanEstimate:
        """The arm's mean and the variance of that mean (delta method for ratios).

        For a ratio ``r = ȳ / d̄`` the variance is
        ``(s²_y − 2 r s_yd + r² s²_d) / (n d̄²)`` (Deng, Knoblich & Lu 2018, eq. 4).
        """
        if self.n < 2:
            return MeanEstimate(self.mean() if self.n else math.nan, math.nan, self.n)
        if not self.is_ratio:
            return MeanEstimate(self.mean(), self.var() / self.n, self.n)
        assert self.den_sum_sq is not None and self.cross is not None and self.den_sum
        r = self.sum / self.den_sum
        s_yy = self.var()
        s_dd = _cov(self.n, self.den_sum, self.den_sum, self.den_sum_sq)
        s_yd = _cov(self.n, self.sum, self.den_sum, self.cross)
        d_bar = self.den_sum / self.n
        var = (s_yy - 2 * r * s_yd + r * r * s_dd) / (self.n * d_bar * d_bar)
        return MeanEstimate(r, max(var, 0.0), self.n)


@dataclass(frozen=True)
class MeanEstimate:
    """An arm's point estimate with the variance of the estimate (not of a unit)."""

    mean: float
    var: float
    n: int

    @property
    def se(self) -> float:
        """Standard error."""
        return math.sqrt(self.var) if self.var >= 0 else math.nan


def _cov(n: int, sa: float, sb: float, sab: float) -> float:
    # Σ(a − ā)(b − b̄)/(n − 1) from raw sums; clipped at 0 for a variance lost to rounding.
    if n < 2:
        return math.nan
    value = (sab - sa * sb / n) / (n - 1)
    return max(value, 0.0) if sa == sb and sab >= 0 else value


def arm_from_values(
    variant: str,
    y: Sequence[float] | npt.NDArray[np.float64],
    *,
    den: Sequence[float] | npt.NDArray[np.float64] | None = None,
    pre: Sequence[float] | npt.NDArray[np.float64] | None = None,
) -> ArmStats:
    """Sufficient statistics of in-memory values (tests and small examples, not the engine)."""
    ya = np.asarray(y, dtype=np.float64)
    kw: dict[str, float] = {}
    if den is not None:
        da = np.asarray(den, dtype=np.float64)
        kw |= {"den_sum": float(da.sum()), "den_sum_sq": float(da @ da), "cross": float(ya @ da)}
    if pre is not None:
        xa = np.asarray(pre, dtype=np.float64)
        kw |= {
            "pre_sum": float(xa.sum()),
            "pre_sum_sq": float(xa @ xa),
            "pre_cross": float(ya @ xa),
        }
    return ArmStats(variant, int(ya.size), float(ya.sum()), float(ya @ ya), **kw)
