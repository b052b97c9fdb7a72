"""Hypothesis properties of the experiment statistics."""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as hs

from shopscope.conversion.experiments.corrections import adjust_p_values
from shopscope.conversion.experiments.sequential import msprt, tau2_for
from shopscope.conversion.experiments.stats import compare_arms
from shopscope.conversion.experiments.sufficient import arm_from_values

values = hs.lists(
    hs.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=2,
    max_size=60,
)


@given(values, values, hs.floats(min_value=0.001, max_value=0.5))
@settings(max_examples=80, deadline=None)
def test_welch_p_in_unit_interval_ci_contains_estimate_and_swap_negates(c, t, alpha):
    a, b = arm_from_values("c", c), arm_from_values("t", t)
    r = compare_arms(a, b, "continuous", alpha=alpha)
    s = compare_arms(b, a, "continuous", alpha=alpha)
    if r.status != "ok":
        assert r.p_value is None and s.status == r.status
        return
    assert 0.0 <= r.p_value <= 1.0
    assert r.diff_ci[0] <= r.diff <= r.diff_ci[1]
    assert math.isclose(s.diff, -r.diff, rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(s.p_value, r.p_value, rel_tol=1e-9, abs_tol=1e-12)
    if r.lift_ci is not None:
        assert r.lift_ci[0] <= r.lift <= r.lift_ci[1]


@given(
    hs.integers(min_value=2, max_value=5000),
    hs.integers(min_value=2, max_value=5000),
    hs.floats(min_value=0, max_value=1),
    hs.floats(min_value=0, max_value=1),
)
@settings(max_examples=100, deadline=None)
def test_two_proportion_properties(nc, nt, fc, ft):
    xc, xt = round(fc * nc), round(ft * nt)
    c = arm_from_values("c", [1.0] * xc + [0.0] * (nc - xc))
    t = arm_from_values("t", [1.0] * xt + [0.0] * (nt - xt))
    r = compare_arms(c, t, "binary")
    s = compare_arms(t, c, "binary")
    if r.status != "ok":
        assert r.p_value is None
        return
    assert 0.0 <= r.p_value <= 1.0
    assert r.diff_ci[0] <= r.diff <= r.diff_ci[1]
    assert math.isclose(s.statistic, -r.statistic, rel_tol=1e-9, abs_tol=1e-12)


@given(
    hs.floats(min_value=-10, max_value=10),
    hs.floats(min_value=1e-6, max_value=10),
    hs.integers(min_value=10, max_value=10**6),
)
@settings(max_examples=80, deadline=None)
def test_sequential_p_in_unit_interval_and_ci_contains_estimate(est, var, n):
    r = msprt(est, var, tau2_for(var, n, n))
    assert 0.0 <= r.p_value <= 1.0
    assert r.ci[0] <= est <= r.ci[1]
    assert r.reject == (r.ci[0] > 0 or r.ci[1] < 0) or math.isclose(r.p_value, 0.05)


@given(hs.lists(hs.floats(min_value=0, max_value=1), min_size=1, max_size=40))
@settings(max_examples=80, deadline=None)
def test_adjusted_p_values_are_valid_and_not_smaller(ps):
    assume(all(not math.isnan(p) for p in ps))
    for method in ("holm", "bh"):
        adj = adjust_p_values(ps, method)  # type: ignore[arg-type]
        assert all(0.0 <= a <= 1.0 for a in adj)
        assert all(a >= p - 1e-15 for a, p in zip(adj, ps, strict=True))
