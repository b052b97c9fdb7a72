"""CUPED: variance reduction with a pre-exposure covariate (Deng, Xu, Kohavi & Walker 2013).

With ``x`` the same metric measured before exposure, each arm's mean is adjusted to

    ȳ*_a = ȳ_a − θ (x̄_a − x̄)        θ = Σ_a (n_a − 1) s_yx,a / Σ_a (n_a − 1) s²_x,a

where ``x̄`` is the mean of ``x`` over all arms and ``θ`` the pooled within-arm slope (the
coefficient of ``x`` in the regression ``y ~ arm + x``, so the adjusted difference equals that
regression's arm coefficient). Because ``x`` is measured before exposure, ``E[x̄_t − x̄_c] = 0``
under randomisation and the estimate stays unbiased; its variance is

    Var(ȳ*_a) = (s²_y,a − 2 θ s_yx,a + θ² s²_x,a) / n_a

and the reported variance reduction is ``1 − Var(ȳ*_t − ȳ*_c) / Var(ȳ_t − ȳ_c)``
(≈ ρ² for a common correlation ρ between ``y`` and ``x``).

References
----------
.. [1] Deng, A., Xu, Y., Kohavi, R., & Walker, T. (2013). Improving the sensitivity of online
   controlled experiments by utilizing pre-experiment data. *WSDM 2013*, 123-132.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shopscope.conversion.experiments.sufficient import ArmStats, MeanEstimate
from shopscope.errors import InvalidInputError

__all__ = ["CupedFit", "cuped_adjust"]


@dataclass(frozen=True)
class CupedFit:
    """CUPED-adjusted estimates per arm, the slope ``theta`` and the variance reduction.

    ``variance_reduction`` is ``1 − Var(adjusted diff) / Var(plain diff)`` for the first two
    arms (``None`` when the plain difference has zero variance).
    """

    theta: float
    estimates: dict[str, MeanEstimate]
    variance_reduction: float | None


def cuped_adjust(arms: Sequence[ArmStats]) -> CupedFit:
    """CUPED-adjusted means of every arm (the first arm is the reference for the reduction).

    Raises
    ------
    InvalidInputError
        An arm without a covariate, a ratio metric, or fewer than two arms.
    """
    if len(arms) < 2:
        raise InvalidInputError("CUPED needs at least two arms.")
    for arm in arms:
        if not arm.has_covariate:
            raise InvalidInputError(
                f"Arm {arm.variant!r} has no pre-exposure covariate; compute the metric with "
                "a pre-period (cuped=True) or analyse without CUPED."
            )
        if arm.is_ratio:
            raise InvalidInputError(
                "CUPED is implemented for per-unit metrics, not ratio metrics; analyse "
                f"{arm.variant!r} without CUPED."
            )
    usable = [a for a in arms if a.n >= 2]
    sxx = sum((a.n - 1) * a.pre_var() for a in usable)
    sxy = sum((a.n - 1) * a.pre_cov() for a in usable)
    theta = sxy / sxx if sxx > 0 else 0.0
    n_all = sum(a.n for a in arms)
    x_bar = sum(a.pre_sum or 0.0 for a in arms) / n_all if n_all else 0.0
    estimates: dict[str, MeanEstimate] = {}
    for a in arms:
        if a.n < 2:
            estimates[a.variant] = a.estimate()
            continue
        assert a.pre_sum is not None
        adj = a.mean() - theta * (a.pre_sum / a.n - x_bar)
        var = a.var() - 2 * theta * a.pre_cov() + theta * theta * a.pre_var()
        estimates[a.variant] = MeanEstimate(adj, max(var, 0.0) / a.n, a.n)
    c, t = arms[0], arms[1]
    plain = c.estimate().var + t.estimate().var
    adjusted = estimates[c.variant].var + estimates[t.variant].var
    reduction = 1 - adjusted / plain if plain > 0 and adjusted == adjusted else None
    return CupedFit(theta, estimates, reduction)
