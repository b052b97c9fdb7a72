"""Monte Carlo of A/A tests under continuous monitoring (validation of the sequential test).

Each simulated experiment has two arms with the same conversion rate; after every batch the
analyst looks at the cumulative data. A *naive* analyst stops at the first look with a
fixed-horizon two-proportion z-test ``|z| > z_{1−α/2}``; a *sequential* analyst stops when the
mixture SPRT crosses ``1/α`` (:mod:`.sequential`). Because both arms are identical, every stop
is a false positive. All experiments and looks are vectorised with NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as st

from shopscope.conversion.experiments.sequential import mixture_log_lr
from shopscope.errors import InvalidInputError

__all__ = ["PeekingResult", "simulate_aa_peeking"]


@dataclass(frozen=True)
class PeekingResult:
    """False-positive rates of both analysts over the simulated A/A experiments."""

    experiments: int
    looks: int
    batch: int
    rate: float
    alpha: float
    seed: int
    naive_fpr: float
    sequential_fpr: float
    fixed_horizon_fpr: float
    """The z-test at the last look only (the nominal design)."""


def simulate_aa_peeking(
    *,
    experiments: int = 2000,
    looks: int = 20,
    batch: int = 200,
    rate: float = 0.1,
    alpha: float = 0.05,
    tuning_n: float = 5000,
    seed: int,
) -> PeekingResult:
    """Simulate ``experiments`` A/A tests with ``looks`` peeks of ``batch`` units per arm."""
    if experiments < 1 or looks < 1 or batch < 1 or not 0 < rate < 1 or not 0 < alpha < 1:
        raise InvalidInputError("experiments, looks, batch >= 1; rate and alpha in (0, 1).")
    rng = np.random.default_rng(seed)
    conv = rng.binomial(batch, rate, size=(2, experiments, looks)).cumsum(axis=2)
    n = batch * np.arange(1, looks + 1, dtype=np.float64)
    p = conv / n
    diff = p[1] - p[0]
    var = (p[0] * (1 - p[0]) + p[1] * (1 - p[1])) / n
    pooled = (conv[0] + conv[1]) / (2 * n)
    var0 = pooled * (1 - pooled) * 2 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var0 > 0, diff / np.sqrt(var0), 0.0)
        log_lr = np.where(var > 0, mixture_log_lr(diff, var, var * n / tuning_n), -np.inf)
    crit = st.norm.ppf(1 - alpha / 2)
    naive = (np.abs(z) > crit).any(axis=1).mean()
    seq = (log_lr >= np.log(1 / alpha)).any(axis=1).mean()
    fixed = (np.abs(z[:, -1]) > crit).mean()
    return PeekingResult(
        experiments, looks, batch, rate, alpha, seed, float(naive), float(seq), float(fixed)
    )
