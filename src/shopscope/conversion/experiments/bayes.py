"""Bayesian read-out: posterior of the lift, chance to beat control, expected loss.

Two models:

``beta_binomial`` (binary metrics)
    Each arm's rate ``p_a ~ Beta(α0 + x_a, β0 + n_a − x_a)`` (default ``Beta(1, 1)`` prior).
    ``P(p_t > p_c) = ∫ f_t(u) F_c(u) du`` and the expected loss of shipping the treatment
    ``E[max(p_c − p_t, 0)]`` are computed by numerical integration; the relative-lift
    posterior ``p_t/p_c − 1`` is summarised by its mean and an equal-tailed credible interval
    from the normal approximation of ``log(p_t/p_c)``.
``gaussian`` (continuous and ratio metrics, CUPED-adjusted means)
    A flat prior on the arm means gives the posterior ``δ ~ N(ȳ_t − ȳ_c, v_t + v_c)``; the
    relative lift uses the delta-method normal ``N(lift, se²)``, as GrowthBook's default engine.
    Chance to beat ``Φ(μ/σ)``, expected loss ``σ φ(μ/σ) − μ Φ(−μ/σ)`` (Stucchio 2015).

Losses are in the metric's unit per user for the absolute difference and in lift points for
the relative lift.

References
----------
.. [1] Stucchio, C. (2015). Bayesian A/B testing at VWO. VWO technical whitepaper.
.. [2] Gelman, A. et al. (2013). *Bayesian Data Analysis*, 3rd ed., ch. 2 (conjugate priors).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from scipy import integrate
from scipy import stats as st

from shopscope.conversion.experiments.stats import relative_lift
from shopscope.conversion.experiments.sufficient import MeanEstimate
from shopscope.errors import InvalidInputError

__all__ = ["BayesResult", "beta_binomial", "gaussian"]


@dataclass(frozen=True)
class BayesResult:
    """Posterior summaries of treatment vs control."""

    model: Literal["beta_binomial", "gaussian"]
    chance_to_beat: float
    expected_loss: float
    """Expected loss (absolute units) of shipping the treatment if it is worse."""
    expected_loss_control: float
    """Expected loss (absolute units) of keeping control if the treatment is better."""
    diff_mean: float
    diff_credible: tuple[float, float]
    lift_mean: float | None
    lift_credible: tuple[float, float] | None
    level: float


def _check_level(level: float) -> float:
    if not 0 < level < 1:
        raise InvalidInputError(f"credible level must be in (0, 1), got {level!r}.")
    return (1 - level) / 2


def beta_binomial(
    conversions_c: float,
    n_c: int,
    conversions_t: float,
    n_t: int,
    *,
    prior: tuple[float, float] = (1.0, 1.0),
    level: float = 0.95,
) -> BayesResult:
    """Beta-binomial posterior for two conversion rates (see the module docstring)."""
    tail = _check_level(level)
    for x, n, arm in ((conversions_c, n_c, "control"), (conversions_t, n_t, "treatment")):
        if n < 0 or x < 0 or x > n:
            raise InvalidInputError(f"{arm}: need 0 <= conversions <= n, got {x} of {n}.")
    a0, b0 = prior
    if a0 <= 0 or b0 <= 0:
        raise InvalidInputError(f"Beta prior parameters must be > 0, got {prior}.")
    pc = st.beta(a0 + conversions_c, b0 + n_c - conversions_c)
    pt = st.beta(a0 + conversions_t, b0 + n_t - conversions_t)
    lo = min(pc.ppf(1e-12), pt.ppf(1e-12))
    hi = max(pc.isf(1e-12), pt.isf(1e-12))
    pts = sorted({float(pc.mean()), float(pt.mean())})

    def _quad(f: Callable[[float], float]) -> float:
        value, _ = integrate.quad(f, lo, hi, points=pts, limit=200, epsabs=1e-13, epsrel=1e-11)
        return float(value)

    chance = _quad(lambda u: pt.pdf(u) * pc.cdf(u))
    # E[max(p_c - p_t, 0)] = ∫ f_t(u) E[(p_c - u)+] du, E[(p_c-u)+] = ∫_u^1 S_c(v) dv
    ec, et = float(pc.mean()), float(pt.mean())
    partial_c = _partial_upper(a0 + conversions_c, b0 + n_c - conversions_c)
    partial_t = _partial_upper(a0 + conversions_t, b0 + n_t - conversions_t)
    loss_t = _quad(lambda u: pt.pdf(u) * partial_c(u))
    loss_c = _quad(lambda u: pc.pdf(u) * partial_t(u))
    diff_sd = math.sqrt(float(pc.var()) + float(pt.var()))
    z = float(st.norm.ppf(1 - tail))
    diff = et - ec
    lift_mean: float | None = None
    lift_ci: tuple[float, float] | None = None
    if a0 + conversions_c > 1 and conversions_t + a0 > 0:
        # log-ratio of two Betas: mean digamma differences, variance trigamma (exact moments)
        from scipy.special import digamma, polygamma

        ac, bc = a0 + conversions_c, b0 + n_c - conversions_c
        at, bt = a0 + conversions_t, b0 + n_t - conversions_t
        m = float(digamma(at) - digamma(at + bt) - digamma(ac) + digamma(ac + bc))
        v = float(
            polygamma(1, at) - polygamma(1, at + bt) + polygamma(1, ac) - polygamma(1, ac + bc)
        )
        # E[p_t / p_c] = E[p_t] E[1/p_c], E[1/p] = (a + b − 1)/(a − 1) for Beta(a, b), a > 1
        lift_mean = et * (ac + bc - 1) / (ac - 1) - 1
        lift_ci = (math.exp(m - z * math.sqrt(v)) - 1, math.exp(m + z * math.sqrt(v)) - 1)
    return BayesResult(
        "beta_binomial", min(max(chance, 0.0), 1.0), max(loss_t, 0.0), max(loss_c, 0.0), diff,
        (diff - z * diff_sd, diff + z * diff_sd), lift_mean, lift_ci, level,
    )  # fmt: skip


def _partial_upper(a: float, b: float) -> Callable[[float], float]:
    """``u ↦ E[(p − u)+]`` for ``p ~ Beta(a, b)``: ``E[p] S_{a+1,b}(u) − u S_{a,b}(u)``."""
    mean = a / (a + b)
    upper, base = st.beta(a + 1, b), st.beta(a, b)
    return lambda u: mean * upper.sf(u) - u * base.sf(u)


def gaussian(control: MeanEstimate, treatment: MeanEstimate, *, level: float = 0.95) -> BayesResult:
    """Normal posterior (flat prior) of the difference and the relative lift."""
    tail = _check_level(level)
    mu = treatment.mean - control.mean
    var = treatment.var + control.var
    if not (math.isfinite(mu) and var > 0):
        raise InvalidInputError(
            "The Gaussian posterior needs finite means and positive variance; the arms have "
            f"means {control.mean}, {treatment.mean} and variance {var}."
        )
    sd = math.sqrt(var)
    z = float(st.norm.ppf(1 - tail))
    chance = float(st.norm.cdf(mu / sd))
    loss_t = sd * float(st.norm.pdf(mu / sd)) - mu * float(st.norm.cdf(-mu / sd))
    loss_c = loss_t + mu  # E[(δ)+] = E[(−δ)+] + E[δ]
    lift_mean: float | None = None
    lift_ci: tuple[float, float] | None = None
    rel = relative_lift(control, treatment, 1 - level)
    if rel is not None:
        lift_mean, _, lift_ci = rel
    return BayesResult(
        "gaussian", chance, max(loss_t, 0.0), max(loss_c, 0.0), mu, (mu - z * sd, mu + z * sd),
        lift_mean, lift_ci, level,
    )  # fmt: skip
