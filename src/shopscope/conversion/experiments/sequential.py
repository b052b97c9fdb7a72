"""Always-valid inference: the mixture sequential probability ratio test (mSPRT).

For an asymptotically normal estimate ``θ̂`` with variance ``V`` and a normal mixing
distribution ``N(0, τ²)`` over the effect, the mixture likelihood ratio against ``θ = θ0`` is
(Johari, Koomen, Pekelis & Walsh 2017, eq. 11; Robbins 1970)

    Λ = sqrt(V / (V + τ²)) · exp( τ² (θ̂ − θ0)² / (2 V (V + τ²)) ).

Under H0, ``Λ`` is a nonnegative martingale, so by Ville's inequality ``P(sup Λ ≥ 1/α) ≤ α``:
a team may look after every batch and stop whenever ``Λ ≥ 1/α``. The always-valid p-value is
``min(1, 1/max Λ)`` over the looks so far, and inverting the test gives the confidence sequence

    θ̂ ± sqrt( V (V + τ²) / τ² · (2 log(1/α) + log((V + τ²) / V)) ).

``τ²`` is tuned so the boundary is tightest near ``tuning_n`` units per arm:
``τ² = V · n_eff / tuning_n`` with ``n_eff = 2 / (1/n_c + 1/n_t)`` (the variance one unit per arm
contributes, scaled to ``tuning_n`` units; GrowthBook's default tuning is 5,000).

References
----------
.. [1] Johari, R., Koomen, P., Pekelis, L., & Walsh, D. (2017). Peeking at A/B tests: why it
   matters, and what to do about it. *KDD 2017*, 1517-1525.
.. [2] Howard, S. R., Ramdas, A., McAuliffe, J., & Sekhon, J. (2021). Time-uniform, nonparametric,
   nonasymptotic confidence sequences. *Annals of Statistics*, 49(2), 1055-1080.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shopscope.errors import InvalidInputError

__all__ = ["SequentialTest", "mixture_log_lr", "msprt", "tau2_for"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SequentialTest:
    """Always-valid p-value and confidence sequence of one estimate at the current look."""

    estimate: float
    ci: tuple[float, float]
    p_value: float
    tau2: float
    alpha: float

    @property
    def reject(self) -> bool:
        """Whether the null (no effect) is rejected at ``alpha``, valid under peeking."""
        return self.p_value < self.alpha


def tau2_for(variance: float, n_control: int, n_treatment: int, tuning_n: float = 5000) -> float:
    """Mixing variance ``τ²`` tuned for ``tuning_n`` units per arm (see the module docstring)."""
    if tuning_n <= 0:
        raise InvalidInputError(f"tuning_n must be > 0, got {tuning_n!r}.")
    if n_control <= 0 or n_treatment <= 0:
        raise InvalidInputError("Both arms need units for a sequential test.")
    n_eff = 2.0 / (1.0 / n_control + 1.0 / n_treatment)
    return variance * n_eff / tuning_n


def mixture_log_lr(
    estimate: FloatArray | float, variance: FloatArray | float, tau2: FloatArray | float
) -> FloatArray:
    """``log Λ`` of the normal-mixture SPRT, vectorised (for Monte Carlo over many looks)."""
    est = np.asarray(estimate, dtype=np.float64)
    v = np.asarray(variance, dtype=np.float64)
    t2 = np.asarray(tau2, dtype=np.float64)
    out: FloatArray = 0.5 * np.log(v / (v + t2)) + t2 * est * est / (2 * v * (v + t2))
    return out


def msprt(
    estimate: float,
    variance: float,
    tau2: float,
    *,
    alpha: float = 0.05,
    previous_p_values: Sequence[float] = (),
) -> SequentialTest:
    """The mSPRT at the current look.

    Parameters
    ----------
    estimate, variance
        The effect estimate (e.g. difference of means) and its variance.
    tau2
        Mixing variance (:func:`tau2_for`).
    alpha
        Level; the confidence sequence covers the effect at every look with prob. ``1 − alpha``.
    previous_p_values
        Always-valid p-values of earlier looks; the reported p-value is their running minimum.
    """
    if not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must be in (0, 1), got {alpha!r}.")
    if not (variance > 0 and tau2 > 0 and math.isfinite(estimate)):
        raise InvalidInputError(
            f"The sequential test needs a finite estimate and positive variance and tau2, got "
            f"estimate={estimate!r}, variance={variance!r}, tau2={tau2!r}."
        )
    log_lr = float(mixture_log_lr(estimate, variance, tau2))
    p = min(1.0, math.exp(-log_lr)) if log_lr > 0 else 1.0
    p = min([p, *previous_p_values])
    half = math.sqrt(
        variance * (variance + tau2) / tau2
        * (2 * math.log(1 / alpha) + math.log((variance + tau2) / variance))
    )  # fmt: skip
    return SequentialTest(estimate, (estimate - half, estimate + half), p, tau2, alpha)
