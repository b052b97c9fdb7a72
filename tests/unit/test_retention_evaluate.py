"""Calibration/holdout evaluation, churn risk and small-shop uncertainty."""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005).
# ruff: noqa: N806

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from shopscope.errors import ConvergenceError, InvalidInputError
from shopscope.retention.churn import churn_risk
from shopscope.retention.clv import (
    BGNBD,
    GammaGamma,
    ModifiedBGNBD,
    assess_data,
    bootstrap_intervals,
    compare_holdout,
    evaluate_holdout,
    fit_clv,
    hessian_intervals,
    rfm_summary,
    simulate_purchases,
    simulate_spend,
)
from shopscope.retention.clv._mle import MLEResult
from shopscope.warehouse.connection import Warehouse

CAL = dt.date(2025, 12, 31)
OBS = dt.date(2026, 6, 30)


def test_holdout_buckets_equal_an_independent_pandas_computation(demo_wh: Warehouse) -> None:
    result = evaluate_holdout(demo_wh, calibration_end=CAL, observation_end=OBS)
    assert result.horizon == pytest.approx((OBS - CAL).days / 7)
    s = rfm_summary(demo_wh, calibration_end=CAL, observation_end=OBS).to_pandas()
    s = s[s["T"] > 0]
    model = BGNBD().fit(s.x, s.t_x, s["T"])
    s["pred"] = model.conditional_expected_purchases(result.horizon, s.x, s.t_x, s["T"])
    s["bucket"] = s.x.clip(upper=7)
    ref = s.groupby("bucket").agg(n=("x", "size"), act=("x_holdout", "mean"), pred=("pred", "mean"))
    assert [b.frequency for b in result.buckets] == [*map(str, range(7)), "7+"]
    for b, (_, row) in zip(result.buckets, ref.iterrows(), strict=True):
        assert b.customers == row.n
        assert b.actual_mean == pytest.approx(row.act, rel=1e-12)
        assert b.predicted_mean == pytest.approx(row.pred, rel=1e-6)
    e = result.error
    assert e.customers == len(s) and e.actual_total == int(s.x_holdout.sum())
    assert e.total_error == pytest.approx(s.pred.sum() / s.x_holdout.sum() - 1, rel=1e-6)
    assert e.mae == pytest.approx(float(np.mean(np.abs(s.pred - s.x_holdout))), rel=1e-6)
    assert e.rmse >= e.mae


def test_holdout_on_the_model_itself_is_unbiased() -> None:
    """Simulated from BG/NBD: predicted holdout total within 3% of the simulated one."""
    rng = np.random.default_rng(0)
    n = 20_000
    T = rng.integers(27 * 7, 39 * 7, n) / 7.0
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    horizon = 39.0
    # simulate over calibration + holdout, then split: x in (0, T], holdout in (T, T + 39]
    x_all, _ = simulate_purchases("bgnbd", params, T + horizon, seed=1)
    # not splittable from (x, t_x) alone: simulate calibration only and compare aggregates
    x, t_x = simulate_purchases("bgnbd", params, T, seed=2)
    model = BGNBD().fit(x, t_x, T)
    expected_total = float(model.expected_purchases(T + horizon).sum())
    assert expected_total == pytest.approx(x_all.sum(), rel=0.03)
    buckets, error = compare_holdout(model, x, t_x, T, np.zeros(n), horizon)
    assert sum(b.customers for b in buckets) == n and error.actual_total == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x_holdout": [1, 2]}, "x_holdout must be 3"),
        ({"x_holdout": [1, -2, 0]}, "x_holdout must be 3"),
        ({"horizon": 0.0}, "horizon=0.0"),
    ],
)
def test_compare_holdout_invalid(kwargs: dict[str, object], match: str) -> None:
    ages = np.full(300, 30.0)
    x, t_x = simulate_purchases("bgnbd", {"r": 1, "alpha": 5, "a": 1, "b": 3}, ages, seed=1)
    model = BGNBD().fit(x, t_x, ages)
    args: dict[str, object] = {"x_holdout": [0, 1, 2], "horizon": 10.0}
    args.update(kwargs)
    with pytest.raises(InvalidInputError, match=match):
        compare_holdout(model, [0, 1, 2], [0, 1, 2], [5, 5, 5], args["x_holdout"], args["horizon"])  # type: ignore[arg-type]


def test_evaluate_needs_ordered_dates(demo_wh: Warehouse) -> None:
    with pytest.raises(InvalidInputError, match="must be after calibration_end"):
        evaluate_holdout(demo_wh, calibration_end=OBS, observation_end=CAL)


def test_churn_risk_ranks_falling_valuable_customers(demo_wh: Warehouse) -> None:
    frm, to = dt.date(2026, 3, 31), dt.date(2026, 6, 30)
    risk = churn_risk(demo_wh, from_date=frm, to_date=to, min_drop=0.1, limit=None)
    t = risk.customers.to_pandas()
    assert risk.at_risk == len(t) > 0
    assert (t.p_alive_drop >= 0.1 - 1e-12).all()
    assert t.value_at_risk.is_monotonic_decreasing
    assert risk.value_at_risk == pytest.approx(t.value_at_risk.sum())
    # independent recomputation of P(alive) at both dates with the fitted model
    model = fit_clv(demo_wh, calibration_end=to, model="mbgnbd").purchases
    for date, col in ((frm, "p_alive_from"), (to, "p_alive_to")):
        s = rfm_summary(demo_wh, calibration_end=date).to_pandas().set_index("customer_id")
        s = s.loc[t.customer_id]
        p = model.probability_alive(s.x, s.t_x, np.maximum(s["T"], 1e-9))
        np.testing.assert_allclose(t[col], p, rtol=1e-9)
    # a customer who kept buying is not at risk; a limit keeps the top of the same ranking
    top = churn_risk(demo_wh, from_date=frm, to_date=to, min_drop=0.1, limit=5)
    assert top.customers.column("customer_id").to_pylist() == list(t.customer_id[:5])
    assert top.at_risk == risk.at_risk


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"from_date": dt.date(2026, 6, 30), "to_date": dt.date(2026, 3, 31)}, "swap them"),
        ({"min_drop": 1.5}, "min_drop=1.5"),
        ({"from_date": dt.date(2020, 1, 1)}, "No customer had ordered by"),
        ({"limit": 0}, "limit=0"),
    ],
)
def test_churn_invalid(demo_wh: Warehouse, kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"from_date": dt.date(2026, 3, 31), "to_date": dt.date(2026, 6, 30)}
    args.update(kwargs)
    with pytest.raises(InvalidInputError, match=match):
        churn_risk(demo_wh, **args)  # type: ignore[arg-type]


# -- small shops ------------------------------------------------------------------------------


def _small_shop(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    T = np.random.default_rng(seed).integers(10, 60, n).astype(np.float64)
    x, t_x = simulate_purchases("mbgnbd", {"r": 0.6, "alpha": 8.0, "a": 0.85, "b": 3.2}, T,
                                seed=seed + 1)  # fmt: skip
    return x, t_x, T


def test_assess_data_levels() -> None:
    x, t_x, T = _small_shop(2_000, seed=1)
    assert assess_data(x, t_x, T).status == "ok"
    small = assess_data(x[:200], t_x[:200], T[:200])
    assert small.status == "small" and any("Only 200 customers" in w for w in small.warnings)
    none = assess_data(np.zeros(20), np.zeros(20), T[:20])
    assert none.status == "insufficient" and "No customer has a repeat" in none.warnings[0]
    assert assess_data([2.0], [1.0], [3.0]).status == "insufficient"


def test_bootstrap_intervals_cover_truth_and_widen_for_small_shops() -> None:
    """Parametric bootstrap (40 refits) on a 250-customer shop: the 95% intervals contain the
    true parameters and the estimate, and are wider than a 2,000-customer shop's intervals."""
    truth = {"r": 0.6, "alpha": 8.0, "a": 0.85, "b": 3.2}
    x, t_x, T = _small_shop(250, seed=4)
    model = ModifiedBGNBD().fit(x, t_x, T)
    boot = bootstrap_intervals(model, T, replicates=40, seed=9)
    assert boot.replicates == 40 and boot.failed <= 4
    big_x, big_tx, big_T = _small_shop(2_000, seed=6)
    big = hessian_intervals(ModifiedBGNBD().fit(big_x, big_tx, big_T))
    for small_i, big_i in zip(boot.intervals, big, strict=True):
        assert small_i.lower_95 <= truth[small_i.param] <= small_i.upper_95, small_i
        assert small_i.lower_95 <= small_i.estimate <= small_i.upper_95
        assert (small_i.upper_95 - small_i.lower_95) > (big_i.upper_95 - big_i.lower_95)
    # deterministic in the seed
    again = bootstrap_intervals(model, T, replicates=40, seed=9)
    assert again.intervals == boot.intervals


def test_bootstrap_gamma_gamma_and_hessian_intervals() -> None:
    x, _, _ = _small_shop(600, seed=2)
    x = x[x > 0]
    m = simulate_spend({"p": 6.0, "q": 4.0, "gamma": 22.5}, x, seed=3)
    gg = GammaGamma().fit(x, m)
    boot = bootstrap_intervals(gg, np.ones_like(x), x=x, replicates=30, seed=1)
    hess = hessian_intervals(gg)
    for b, h in zip(boot.intervals, hess, strict=True):
        assert b.param == h.param and 0 < h.lower_95 < h.estimate < h.upper_95
        assert b.lower_95 < b.estimate < b.upper_95
    with pytest.raises(InvalidInputError, match="needs x"):
        bootstrap_intervals(gg, np.ones_like(x), replicates=20, seed=1)
    with pytest.raises(InvalidInputError, match="at least 20"):
        bootstrap_intervals(gg, np.ones_like(x), x=x, replicates=5, seed=1)


def test_bootstrap_refuses_data_that_cannot_support_the_model() -> None:
    """Ten young customers of a shop with rare purchases (mean rate 0.001/week): most
    simulated data sets have no repeat purchase, so the bootstrap refuses with a clear error."""
    T = np.linspace(2.0, 6.0, 10)
    model = BGNBD()
    params = {"r": 0.05, "alpha": 50.0, "a": 1.0, "b": 1.0}
    model._result = MLEResult(params, -10.0, dict.fromkeys(params, 0.1))
    with pytest.raises(ConvergenceError, match="bootstrap refits of BGNBD failed"):
        bootstrap_intervals(model, T, replicates=20, seed=3)
