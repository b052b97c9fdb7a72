"""Experiment statistics against scipy and statsmodels on the same inputs (tolerance 1e-9)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from shopscope.conversion.experiments.bayes import beta_binomial, gaussian
from shopscope.conversion.experiments.corrections import adjust_p_values
from shopscope.conversion.experiments.cuped import cuped_adjust
from shopscope.conversion.experiments.power import minimum_detectable_effect, power_of, sample_size
from shopscope.conversion.experiments.sequential import msprt, tau2_for
from shopscope.conversion.experiments.srm import srm_check
from shopscope.conversion.experiments.stats import compare_arms
from shopscope.conversion.experiments.sufficient import ArmStats, arm_from_values
from shopscope.errors import InvalidInputError

TOL = 1e-9


def _close(a, b, tol=TOL):
    assert a == pytest.approx(b, rel=tol, abs=tol)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_welch_equals_scipy_and_statsmodels(seed):
    rng = np.random.default_rng(seed)
    c = rng.lognormal(2.0, 1.0, 3000)
    t = rng.lognormal(2.05, 1.1, 2500)
    r = compare_arms(arm_from_values("c", c), arm_from_values("t", t), "continuous", alpha=0.05)
    ref = st.ttest_ind(t, c, equal_var=False)
    _close(r.statistic, ref.statistic)
    _close(r.p_value, ref.pvalue)
    cm = CompareMeans(DescrStatsW(t), DescrStatsW(c))
    lo, hi = cm.tconfint_diff(alpha=0.05, usevar="unequal")
    _close(r.diff_ci[0], lo)
    _close(r.diff_ci[1], hi)
    _close(r.df, cm.ttest_ind(usevar="unequal")[2])


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), [(120, 1000, 150, 1010), (5, 40, 0, 38)])
def test_two_proportion_z_equals_statsmodels(xc, nc, xt, nt):
    c = arm_from_values("c", [1.0] * xc + [0.0] * (nc - xc))
    t = arm_from_values("t", [1.0] * xt + [0.0] * (nt - xt))
    r = compare_arms(c, t, "binary")
    z, p = proportions_ztest([xt, xc], [nt, nc])
    _close(r.statistic, z)
    _close(r.p_value, p)
    lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method="wald", compare="diff")
    _close(r.diff_ci[0], lo)
    _close(r.diff_ci[1], hi)


def test_relative_lift_delta_method_matches_direct_formula():
    rng = np.random.default_rng(7)
    c, t = rng.normal(10, 3, 4000), rng.normal(10.5, 3, 4000)
    r = compare_arms(arm_from_values("c", c), arm_from_values("t", t), "continuous")
    mc, mt = c.mean(), t.mean()
    vc, vt = c.var(ddof=1) / c.size, t.var(ddof=1) / t.size
    se = np.sqrt(vt / mc**2 + mt**2 * vc / mc**4)
    _close(r.lift, mt / mc - 1)
    _close(r.lift_se, se)
    _close(r.lift_ci[1] - r.lift_ci[0], 2 * st.norm.ppf(0.975) * se)


def test_ratio_metric_delta_method_matches_linearisation():
    """Delta-method variance of Σy/Σd equals the variance of the linearised per-unit values."""
    rng = np.random.default_rng(11)
    d = rng.poisson(1.5, 5000).astype(float) + 1
    y = d * rng.gamma(4, 10, 5000)
    arm = arm_from_values("a", y, den=d)
    est = arm.estimate()
    r = y.sum() / d.sum()
    lin = (y - r * d) / d.mean()
    _close(est.mean, r)
    _close(est.var, lin.var(ddof=1) / y.size)


def test_cuped_equals_ancova_regression():
    """CUPED's adjusted difference is the arm coefficient of OLS y ~ arm + x."""
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.gamma(2, 5, 2 * n)
    arm = np.repeat([0, 1], n)
    y = 3 + 0.8 * x + 0.5 * arm + rng.normal(0, 2, 2 * n)
    c = arm_from_values("c", y[:n], pre=x[:n])
    t = arm_from_values("t", y[n:], pre=x[n:])
    fit = cuped_adjust([c, t])
    design = np.column_stack([np.ones(2 * n), arm, x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    _close(fit.estimates["t"].mean - fit.estimates["c"].mean, beta[1])
    _close(fit.theta, beta[2])
    adj = y - fit.theta * x
    _close(fit.estimates["c"].var, adj[:n].var(ddof=1) / n)
    rho2 = np.corrcoef(y[:n], x[:n])[0, 1] ** 2
    assert fit.variance_reduction == pytest.approx(rho2, abs=0.02)


def test_srm_equals_scipy_chisquare():
    counts = {"control": 50_400, "treatment": 49_600}
    r = srm_check(counts)
    ref = st.chisquare([50_400, 49_600])
    _close(r.statistic, ref.statistic)
    _close(r.p_value, ref.pvalue)
    assert not r.mismatch
    skewed = srm_check({"a": 10_000, "b": 10_600, "c": 10_000}, {"a": 1, "b": 1, "c": 1})
    assert skewed.mismatch
    _close(skewed.p_value, st.chisquare([10_000, 10_600, 10_000]).pvalue)
    uneven = srm_check({"a": 2000, "b": 8100}, {"a": 0.2, "b": 0.8})
    _close(uneven.p_value, st.chisquare([2000, 8100], [2020, 8080]).pvalue)


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_corrections_equal_statsmodels(method):
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(0, 0.05, 5), rng.uniform(0, 1, 15), [0.02, 0.02]])
    ours = adjust_p_values(list(p), method)  # type: ignore[arg-type]
    ref = multipletests(p, method={"holm": "holm", "bh": "fdr_bh"}[method])[1]
    np.testing.assert_allclose(ours, ref, rtol=TOL, atol=TOL)


def test_power_equals_statsmodels_normal_ind_power():
    sd, delta = 20.0, 1.5
    plan = sample_size(baseline=50.0, mde=delta, relative=False, sd=sd, power=0.8)
    n_ref = NormalIndPower().solve_power(effect_size=delta / sd, alpha=0.05, power=0.8)
    assert plan.n_control == int(np.ceil(n_ref))
    p_ours = power_of(delta, 1234, baseline=50.0, sd=sd)
    p_ref = NormalIndPower().power(effect_size=delta / sd, nobs1=1234, alpha=0.05)
    _close(p_ours, p_ref)
    mde = minimum_detectable_effect(baseline=50.0, n_control=1234, sd=sd)
    es = NormalIndPower().solve_power(nobs1=1234, alpha=0.05, power=0.8)
    # statsmodels' own root finder stops at about 1e-5; ours solves the same equation to 1e-9
    assert mde.mde_absolute == pytest.approx(es * sd, rel=1e-5)
    ref_power = NormalIndPower().power(effect_size=mde.mde_absolute / sd, nobs1=1234, alpha=0.05)
    _close(ref_power, 0.8)


def test_power_binary_duration():
    plan = sample_size(baseline=0.05, mde=0.1, daily_traffic=1000)
    # the classic approximation (z_a + z_b)^2 (p1 q1 + p2 q2) / delta^2
    za, zb = st.norm.ppf(0.975), st.norm.ppf(0.8)
    approx = (za + zb) ** 2 * (0.05 * 0.95 + 0.055 * 0.945) / 0.005**2
    assert plan.n_control == pytest.approx(approx, rel=1e-3)
    assert plan.days == int(np.ceil(plan.total / 1000))


def test_beta_binomial_chance_equals_monte_carlo():
    r = beta_binomial(100, 1000, 120, 1000)
    rng = np.random.default_rng(2024)
    pc = rng.beta(101, 901, 2_000_000)
    pt = rng.beta(121, 881, 2_000_000)
    se = np.sqrt(r.chance_to_beat * (1 - r.chance_to_beat) / pc.size)
    assert abs(r.chance_to_beat - (pt > pc).mean()) < 4 * se
    assert r.expected_loss == pytest.approx(np.maximum(pc - pt, 0).mean(), rel=0.02)
    assert r.expected_loss_control == pytest.approx(np.maximum(pt - pc, 0).mean(), rel=0.01)
    assert r.lift_mean == pytest.approx((pt / pc).mean() - 1, abs=2e-3)
    lo, hi = np.quantile(pt / pc - 1, [0.025, 0.975])
    assert r.lift_credible == pytest.approx((lo, hi), abs=3e-3)


def test_gaussian_posterior_equals_monte_carlo():
    c = ArmStats("c", 5000, 5000 * 10.0, 5000 * (100 + 9)).estimate()
    t = ArmStats("t", 5000, 5000 * 10.1, 5000 * (10.1**2 + 9)).estimate()
    r = gaussian(c, t)
    rng = np.random.default_rng(9)
    draws = rng.normal(t.mean, t.se, 1_000_000) - rng.normal(c.mean, c.se, 1_000_000)
    assert r.chance_to_beat == pytest.approx((draws > 0).mean(), abs=3e-3)
    assert r.expected_loss == pytest.approx(np.maximum(-draws, 0).mean(), rel=0.02)


def test_msprt_boundary_is_the_inverted_test():
    v, tau2 = 0.01, tau2_for(0.01, 1000, 1000)
    r = msprt(0.0, v, tau2)
    edge = r.ci[1]
    at_edge = msprt(edge, v, tau2)
    assert at_edge.p_value == pytest.approx(0.05, rel=1e-9)
    assert msprt(edge * 1.01, v, tau2).reject
    assert not msprt(edge * 0.99, v, tau2).reject
    assert msprt(0.3, v, tau2, previous_p_values=[0.001]).p_value == 0.001


@pytest.mark.parametrize(
    ("c", "t", "status"),
    [
        (ArmStats("c", 0, 0.0, 0.0), ArmStats("t", 10, 5.0, 5.0), "empty_arm"),
        (ArmStats("c", 1, 1.0, 1.0), ArmStats("t", 10, 5.0, 5.0), "too_few_units"),
        (ArmStats("c", 10, 20.0, 40.0), ArmStats("t", 10, 20.0, 40.0), "zero_variance"),
    ],
)
def test_degenerate_arms_are_flagged_not_nan(c, t, status):
    r = compare_arms(c, t, "continuous")
    assert r.status == status
    assert r.p_value is None and r.diff_ci is None
    assert r.message


def test_zero_control_mean_gives_no_lift_but_a_test():
    r = compare_arms(ArmStats("c", 100, 0.0, 0.0), ArmStats("t", 100, 5.0, 5.0), "binary")
    assert r.status == "ok" and r.lift is None and r.p_value is not None
    assert "relative lift undefined" in r.message


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: srm_check({"a": 10}), "at least two arms"),
        (lambda: srm_check({"a": 10, "b": 5}, {"a": 0.5, "c": 0.5}), "do not match"),
        (lambda: adjust_p_values([0.1, 1.5]), r"\[0, 1\]"),
        (lambda: sample_size(baseline=1.5, mde=0.1), "conversion rate must be in"),
        (lambda: sample_size(baseline=0.1, mde=0.0), "non-zero effect"),
        (lambda: msprt(0.1, 0.0, 1.0), "positive variance"),
        (lambda: ArmStats("a", 10, float("nan"), 1.0), "not finite"),
        (lambda: beta_binomial(11, 10, 1, 10), "conversions <= n"),
        (lambda: compare_arms(ArmStats("a", 5, 1, 1), ArmStats("b", 5, 1, 1), "binary",
                              alpha=1.5), "alpha"),
    ],
)  # fmt: skip
def test_invalid_input_is_a_clear_error(call, match):
    with pytest.raises(InvalidInputError, match=match):
        call()
