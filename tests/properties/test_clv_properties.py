"""Properties of the CLV models (ranges, monotonicity, weights) and their invalid-input errors."""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005).
# ruff: noqa: N806

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopscope.errors import InvalidInputError, ShopscopeError
from shopscope.retention.clv import (
    BGNBD,
    ConvergenceError,
    GammaGamma,
    ModifiedBGNBD,
    ParetoNBD,
    customer_lifetime_value,
)


def _simulate(n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A Pareto/NBD-process summary (x, t_x, T, monetary): λ ~ Γ(0.5, 4), μ ~ Γ(0.8, 12)."""
    rng = np.random.default_rng(seed)
    T = rng.integers(150, 273, n) / 7.0
    lam = rng.gamma(0.5, 1 / 4.0, n)
    life = rng.exponential(1 / rng.gamma(0.8, 1 / 12.0, n))
    x = np.zeros(n)
    t_x = np.zeros(n)
    for i in range(n):
        times = np.cumsum(rng.exponential(1 / lam[i], 200))
        times = times[times <= min(life[i], T[i])]
        x[i] = times.size
        t_x[i] = times[-1] if times.size else 0.0
    monetary = np.where(x > 0, rng.gamma(6.0, 5.0, n), 0.0)
    return x, t_x, T, monetary


@pytest.fixture(scope="module")
def fitted() -> tuple[BGNBD, ParetoNBD, GammaGamma]:
    x, t_x, T, m = _simulate(600, seed=7)
    return (
        BGNBD().fit(x, t_x, T),
        ParetoNBD().fit(x, t_x, T),
        GammaGamma().fit(x[x > 0], m[x > 0]),
    )


customers = st.integers(0, 40).flatmap(
    lambda x: st.tuples(
        st.just(float(x)),
        st.floats(0.0, 1.0) if x > 0 else st.just(0.0),
        st.floats(0.5, 200.0),
    ).map(lambda c: (c[0], c[1] * c[2], c[2]))
)


@settings(max_examples=40, deadline=None)
@given(c=customers)
def test_probability_alive_in_unit_interval(
    fitted: tuple[BGNBD, ParetoNBD, GammaGamma], c: tuple[float, float, float]
) -> None:
    for model in fitted[:2]:
        p = float(model.probability_alive(*c))  # type: ignore[attr-defined]
        assert 0.0 <= p <= 1.0


@settings(max_examples=40, deadline=None)
@given(c=customers, t=st.floats(0.0, 100.0), dt=st.floats(0.0, 50.0))
def test_expectations_non_negative_and_non_decreasing(
    fitted: tuple[BGNBD, ParetoNBD, GammaGamma],
    c: tuple[float, float, float],
    t: float,
    dt: float,
) -> None:
    for model in fitted[:2]:
        e0, e1 = model.expected_purchases([t, t + dt])  # type: ignore[attr-defined]
        assert 0.0 <= e0 <= e1 + 1e-9
        c0 = float(model.conditional_expected_purchases(t, *c))  # type: ignore[attr-defined]
        c1 = float(model.conditional_expected_purchases(t + dt, *c))  # type: ignore[attr-defined]
        assert np.isfinite(c0) and 0.0 <= c0 <= c1 + 1e-9


def test_no_nan_for_customers_without_repeat_purchases(
    fitted: tuple[BGNBD, ParetoNBD, GammaGamma],
) -> None:
    bg, pn, gg = fitted
    T = np.array([1.0, 20.0, 38.86])
    zero = np.zeros(3)
    for model in (bg, pn):
        assert np.all(np.isfinite(model.probability_alive(zero, zero, T)))
        assert np.all(np.isfinite(model.conditional_expected_purchases(10.0, zero, zero, T)))
    # BG/NBD: a customer without repeat purchases is alive for sure (no chance to drop out)
    assert np.all(bg.probability_alive(zero, zero, T) == 1.0)
    clv = customer_lifetime_value(bg, gg, zero, zero, T, zero)
    assert np.all(np.isfinite(clv)) and np.all(clv >= 0)


def test_clv_discounting_and_horizon(fitted: tuple[BGNBD, ParetoNBD, GammaGamma]) -> None:
    bg, _, gg = fitted
    args = (np.array([3.0]), np.array([20.0]), np.array([30.0]), np.array([40.0]))
    base = customer_lifetime_value(bg, gg, *args, months=12, monthly_discount=0.0)
    spend = gg.conditional_expected_spend(args[0], args[3])
    expected = spend * bg.conditional_expected_purchases(12 * 4.345, *args[:3])
    np.testing.assert_allclose(base, expected, rtol=1e-12)
    assert customer_lifetime_value(bg, gg, *args, monthly_discount=0.05)[0] < base[0]
    assert customer_lifetime_value(bg, gg, *args, months=24)[0] > base[0]


@pytest.mark.parametrize("model_cls", [BGNBD, ParetoNBD])
def test_weighted_fit_equals_fit_on_expanded_rows(model_cls: type[BGNBD] | type[ParetoNBD]) -> None:
    x, t_x, T, _ = _simulate(300, seed=3)
    # whole-week grid so identical rows exist; collapse them with counts
    x, t_x, T = np.minimum(x, 5), np.round(t_x), np.round(T)
    t_x = np.minimum(t_x, T)
    rows, counts = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
    assert len(rows) < len(x)
    full = model_cls().fit(x, t_x, T)
    weighted = model_cls().fit(rows[:, 0], rows[:, 1], rows[:, 2], weights=counts)
    # equal maxima up to the optimiser's tolerance (BG/NBD's a, b can be flat here, so the
    # parameters are compared through the exact weighted log-likelihood at fixed values)
    assert weighted.log_likelihood_ == pytest.approx(full.log_likelihood_, abs=1e-3)
    theta = np.array(list(full.params_.values()))
    expanded = model_cls._loglik(theta, x, t_x, T).sum()
    collapsed = (counts * model_cls._loglik(theta, rows[:, 0], rows[:, 1], rows[:, 2])).sum()
    assert collapsed == pytest.approx(expanded, rel=1e-12)


def test_gammagamma_weighted_equals_expanded() -> None:
    x = np.array([1.0, 2.0, 3.0, 1.0, 5.0])
    m = np.array([10.0, 20.0, 35.0, 12.0, 50.0])
    counts = np.array([3, 1, 2, 4, 1])
    full = GammaGamma().fit(np.repeat(x, counts), np.repeat(m, counts))
    weighted = GammaGamma().fit(x, m, weights=counts)
    assert weighted.log_likelihood_ == pytest.approx(full.log_likelihood_, abs=1e-3)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: BGNBD().fit([], [], []), "No customers to fit"),
        (lambda: ParetoNBD().fit([], [], []), "No customers to fit"),
        (lambda: BGNBD().fit([1, 2], [5, 1], [4, 3]), "need x >= 0, 0 <= t_x <= T"),
        (lambda: BGNBD().fit([-1], [0], [3]), "Invalid summary row 0"),
        (lambda: BGNBD().fit([1], [1], [3], weights=[1, 2]), "weights has shape"),
        (lambda: GammaGamma().fit([], []), "needs customers with repeat purchases"),
        (lambda: GammaGamma().fit([0, 2], [0.0, 5.0]), "needs customers with repeat purchases"),
        (lambda: GammaGamma().fit([1, 2], [0.0, 5.0]), "monetary must be > 0"),
        (lambda: GammaGamma().fit([1, 2], [-3.0, 5.0]), "monetary must be > 0"),
        (lambda: BGNBD().params_, "not fitted yet"),
    ],
)
def test_invalid_input(call: object, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        call()  # type: ignore[operator]


@pytest.mark.parametrize("model_cls", [BGNBD, ParetoNBD])
def test_all_zero_repeat_purchases_is_a_clear_error(
    model_cls: type[BGNBD] | type[ParetoNBD],
) -> None:
    """With x = 0 everywhere the likelihood has no interior maximum (λ → 0)."""
    with pytest.raises(ConvergenceError, match="do not identify") as info:
        model_cls().fit(np.zeros(50), np.zeros(50), np.linspace(10, 40, 50))
    assert isinstance(info.value, ShopscopeError)


@pytest.fixture(scope="module")
def modified() -> ModifiedBGNBD:
    x, t_x, T, _ = _simulate(600, seed=7)
    return ModifiedBGNBD().fit(x, t_x, T)


@settings(max_examples=40, deadline=None)
@given(c=customers, t=st.floats(0.0, 100.0), dt=st.floats(0.0, 50.0))
def test_mbgnbd_alive_in_unit_interval_and_expectations_non_decreasing(
    modified: ModifiedBGNBD, c: tuple[float, float, float], t: float, dt: float
) -> None:
    p = float(modified.probability_alive(*c))
    assert 0.0 <= p <= 1.0
    e0, e1 = modified.expected_purchases([t, t + dt])
    assert 0.0 <= e0 <= e1 + 1e-9
    c0 = float(modified.conditional_expected_purchases(t, *c))
    c1 = float(modified.conditional_expected_purchases(t + dt, *c))
    assert np.isfinite(c0) and 0.0 <= c0 <= c1 + 1e-9


@settings(max_examples=25, deadline=None)
@given(
    x=st.lists(st.integers(0, 30), min_size=1, max_size=20),
    months=st.integers(1, 36),
    discount=st.floats(0.0, 0.2),
)
def test_clv_non_negative_and_non_increasing_in_discount(
    fitted: tuple[BGNBD, ParetoNBD, GammaGamma], x: list[int], months: int, discount: float
) -> None:
    bg, _, gg = fitted
    xa = np.asarray(x, dtype=np.float64)
    T = np.full(xa.size, 40.0)
    t_x = np.where(xa > 0, 30.0, 0.0)
    m = np.where(xa > 0, 35.0, 0.0)
    clv = customer_lifetime_value(bg, gg, xa, t_x, T, m, months=months, monthly_discount=discount)
    undiscounted = customer_lifetime_value(bg, gg, xa, t_x, T, m, months=months, monthly_discount=0)
    assert np.all(np.isfinite(clv)) and np.all(clv >= 0)
    assert np.all(clv <= undiscounted + 1e-9)
