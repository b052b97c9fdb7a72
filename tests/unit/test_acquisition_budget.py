"""Response curves (recovery, calibration, bad input) and the planner (grid search, bounds)."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pytest

from shopscope.acquisition.budget import (
    OBSERVATIONAL_NOTE,
    ResponseCurve,
    ResponseModel,
    allocate_budget,
    current_spend,
    fit_response_curves,
    plan_weeks,
)
from shopscope.acquisition.budget.response import adstock
from shopscope.errors import InvalidInputError, NotFoundError


def power(channel: str, beta: float, theta: float, decay: float = 0.0) -> ResponseCurve:
    return ResponseCurve(channel, "power", "revenue",
                         {"base": 0.0, "beta": beta, "theta": theta, "decay": decay},
                         {}, 10.0, 365, 0.5)  # fmt: skip


def hill(channel: str, vmax: float, k: float, s: float) -> ResponseCurve:
    return ResponseCurve(channel, "hill", "revenue",
                         {"base": 0.0, "vmax": vmax, "k": k, "s": s, "decay": 0.0},
                         {}, 10.0, 365, 0.5)  # fmt: skip


def test_adstock_is_the_geometric_recursion() -> None:
    x = np.array([10.0, 0.0, 0.0, 5.0])
    np.testing.assert_allclose(adstock(x, 0.5), [10.0, 5.0, 2.5, 6.25])


def test_power_curve_parameters_are_recovered() -> None:
    rng = np.random.default_rng(3)
    x = rng.lognormal(np.log(50), 0.6, 900)
    x[rng.random(900) < 0.05] = 0.0
    mean = 2.0 + 0.8 * adstock(x, 0.3) ** 0.6
    y = mean + rng.normal(0, 0.5, x.size)
    curve = ResponseModel("power").fit(x, y, n_boot=40, seed=1).curve
    assert curve.params["theta"] == pytest.approx(0.6, abs=0.05)
    assert curve.params["decay"] == pytest.approx(0.3, abs=0.05)
    lo, hi = curve.intervals["theta"]
    assert lo < 0.6 < hi
    assert curve.note == OBSERVATIONAL_NOTE
    assert curve.r_squared > 0.8


def test_hill_curve_fits_a_saturating_response() -> None:
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 200, 700)
    truth = hill("h", 30.0, 60.0, 0.9)
    y = truth.response(x) + rng.normal(0, 0.5, x.size)
    fitted = ResponseModel("hill", adstock=False).fit(x, y, n_boot=0).curve
    grid = np.linspace(10, 200, 20)
    np.testing.assert_allclose(fitted.response(grid), truth.response(grid), rtol=0.05)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([1.0, 2.0], [1.0], "same length"),
        ([1.0, -2.0] * 20, [1.0] * 40, "spend must be >= 0"),
        ([1.0, np.nan] * 20, [1.0] * 40, "must be finite"),
        ([0.0] * 39 + [5.0], [1.0] * 40, "too few to fit"),
    ],
)
def test_bad_series_are_refused(x, y, message) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ResponseModel().fit(np.array(x), np.array(y), n_boot=0)


def test_calibration_rescales_to_the_holdout_result() -> None:
    curve = power("paid_search", 0.5, 0.7)
    cal = curve.calibrated(40.0, 3.0)
    assert float(cal.response(40.0)) == pytest.approx(3.0)
    assert float(cal.response(80.0)) / float(cal.response(40.0)) == pytest.approx(2**0.7)
    assert "holdout" in cal.note
    with pytest.raises(InvalidInputError, match="must be > 0"):
        curve.calibrated(0.0, 3.0)


def _grid_best(curves: list[ResponseCurve], budget: int, step: float) -> tuple[float, ...]:
    best, arg = -np.inf, ()
    n = round(budget / step)
    for split in itertools.product(range(n + 1), repeat=len(curves) - 1):
        if sum(split) > n:
            continue
        x = [s * step for s in split] + [(n - sum(split)) * step]
        total = sum(float(c.response(v)) for c, v in zip(curves, x, strict=True))
        if total > best:
            best, arg = total, tuple(x)
    return arg


@pytest.mark.parametrize(
    "curves",
    [
        [power("a", 3.0, 0.6), power("b", 1.5, 0.8)],
        [power("a", 3.0, 0.6), power("b", 1.5, 0.8), power("c", 5.0, 0.4, decay=0.3)],
        [hill("a", 40.0, 30.0, 0.9), power("b", 2.0, 0.5), hill("c", 25.0, 10.0, 1.0)],
    ],
)
def test_optimiser_matches_brute_force_grid_search(curves) -> None:
    budget, step = 60, 0.25
    plan = allocate_budget(curves, float(budget))
    grid = _grid_best(curves, budget, step)
    got = np.array([r.spend for r in plan.rows])
    np.testing.assert_allclose(got, grid, atol=step)
    grid_value = sum(float(c.response(v)) for c, v in zip(curves, grid, strict=True))
    assert plan.predicted_revenue >= grid_value - 1e-9


def test_bounds_bind_and_are_reported() -> None:
    curves = [power("a", 3.0, 0.6), power("b", 1.5, 0.8)]
    plan = allocate_budget(curves, 100.0, minimum={"a": 40.0}, maximum={"b": 30.0})
    rows = {r.channel: r for r in plan.rows}
    assert rows["b"].spend == pytest.approx(30.0) and rows["b"].at_bound == "max"
    assert rows["a"].spend == pytest.approx(70.0)
    with pytest.raises(InvalidInputError, match="cannot meet the bounds"):
        allocate_budget(curves, 100.0, minimum={"a": 80.0, "b": 30.0})
    with pytest.raises(InvalidInputError, match="without a curve: tv"):
        allocate_budget(curves, 100.0, maximum={"tv": 5.0})
    with pytest.raises(InvalidInputError, match="must be > 0"):
        allocate_budget(curves, 0.0)


def test_profit_objective_stops_at_break_even() -> None:
    curves = [power("a", 3.0, 0.6), power("b", 1.5, 0.8)]
    plan = allocate_budget(curves, 10_000.0, objective="profit", margin=0.5)
    for r in plan.rows:
        assert r.marginal_roas * 0.5 == pytest.approx(1.0, rel=1e-6)
    assert sum(r.spend for r in plan.rows) < 10_000.0


def test_gain_against_the_current_split() -> None:
    curves = [power("a", 3.0, 0.6), power("b", 1.5, 0.8)]
    plan = allocate_budget(curves, 50.0, current={"a": 45.0, "b": 5.0})
    assert plan.current_revenue == pytest.approx(
        float(curves[0].response(45.0) + curves[1].response(5.0))
    )
    assert plan.expected_gain is not None and plan.expected_gain > 0


def test_weekly_plan_follows_the_multipliers() -> None:
    curves = [power("a", 3.0, 0.6), power("b", 1.5, 0.8)]
    plan = plan_weeks(curves, 7 * 3 * 50.0, 3, week_multipliers=[1.0, 2.0, 1.0])
    by_week = {w: sum(r.spend for r in plan.rows if r.week == w) for w in (1, 2, 3)}
    assert 7 * sum(by_week.values()) == pytest.approx(7 * 3 * 50.0)
    assert by_week[2] > by_week[1] == pytest.approx(by_week[3])
    flat = plan_weeks(curves, 7 * 2 * 50.0, 2)
    single = allocate_budget(curves, 50.0)
    assert [r.spend for r in flat.rows[:2]] == pytest.approx([r.spend for r in single.rows])
    with pytest.raises(InvalidInputError, match="one per week"):
        plan_weeks(curves, 100.0, 2, week_multipliers=[1.0])


def test_curves_from_the_small_demo(demo_wh) -> None:
    curves = fit_response_curves(demo_wh, outcome="new_customers", n_boot=0, adstock=False)
    assert [c.channel for c in curves] == ["affiliate", "paid_search", "paid_social"]
    assert all(0.05 <= c.params["theta"] <= 1.0 for c in curves)
    spend = current_spend(demo_wh)
    assert set(spend) == {"affiliate", "paid_search", "paid_social"}
    with pytest.raises(NotFoundError, match=r"No ad_spend for channel.*tv"):
        fit_response_curves(demo_wh, channels=["tv"], n_boot=0)


def test_no_spend_at_all(wh) -> None:
    with pytest.raises(NotFoundError, match="No ad_spend rows"):
        fit_response_curves(wh, n_boot=0)


@pytest.mark.slow
def test_demo_truth_curves_and_allocation() -> None:
    """Fitted curves and the optimal split on a 1-year demo store against demo_truth.

    Tolerances (stated in docs/methods/budget.md): response at typical spend within 10% of
    beta * spend**theta; theta within 0.15. Evaluated on the true curves, the fitted plan
    reaches >= 99% of the true optimum when spend stays within the history's range (<= 2x
    typical), and unbounded >= 95% of it and >= 75% of the true gain over the current split.
    """
    from shopscope.warehouse.connection import connect
    from shopscope.warehouse.demo import generate_demo

    wh = connect("duckdb://:memory:")
    generate_demo(wh, size=150_000, seed=5, end_date=date(2026, 6, 30), days=365)
    rows = wh.table("demo_truth").to_pyarrow().to_pylist()
    truth = {(r["name"], r["key"]): r["value"] for r in rows if r["domain"] == "channels"}
    fitted = fit_response_curves(
        wh, outcome="new_customers", n_boot=0, adstock=False, baseline=False
    )
    true_curves = [
        power(c.channel, truth[("response_beta", c.channel)], truth[("response_theta", c.channel)])
        for c in fitted
    ]
    for f, t in zip(fitted, true_curves, strict=True):
        x = f.typical_spend
        assert float(f.response(x)) == pytest.approx(float(t.response(x)), rel=0.10), f.channel
        assert f.params["theta"] == pytest.approx(t.params["theta"], abs=0.15), f.channel
    budget = sum(c.typical_spend for c in fitted)

    def true_outcome(plan_rows) -> float:
        return sum(float(t.response(r.spend)) for t, r in zip(true_curves, plan_rows, strict=True))

    # inside the spend range the history covers (each channel at most 2x its typical spend)
    cap = {c.channel: 2 * c.typical_spend for c in fitted}
    plan = allocate_budget(list(fitted), budget, maximum=cap)
    best = allocate_budget(true_curves, budget, maximum=cap)
    assert true_outcome(plan.rows) >= 0.99 * best.predicted_revenue
    # unbounded, the optimum lies far outside the data (extrapolation): a looser tolerance
    plan = allocate_budget(list(fitted), budget)
    best = allocate_budget(true_curves, budget)
    current = sum(
        float(t.response(c.typical_spend)) for t, c in zip(true_curves, fitted, strict=True)
    )
    assert true_outcome(plan.rows) >= 0.95 * best.predicted_revenue
    assert true_outcome(plan.rows) - current >= 0.75 * (best.predicted_revenue - current)
