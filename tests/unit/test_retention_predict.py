"""fit_clv / predict_clv on the demo store, and the bad inputs of the issue.

Bad input (issue 4): customers with no repeat purchases only, zero or negative monetary
values, a calibration end before the first order, a single customer — each a clear error or
a documented degenerate result, never a silent NaN.
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005).
# ruff: noqa: N803, N806

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pyarrow as pa
import pytest

from shopscope.errors import ConvergenceError, InvalidInputError, NotFoundError
from shopscope.retention.clv import (
    BGNBD,
    ModifiedBGNBD,
    ParetoNBD,
    customer_lifetime_value,
    fit_clv,
    fit_clv_summary,
    predict_clv,
    simulate_purchases,
    simulate_spend,
)
from shopscope.warehouse.connection import Warehouse

END = dt.date(2026, 6, 30)


def _summary(x, t_x, T, monetary) -> pa.Table:  # type: ignore[no-untyped-def]
    n = len(x)
    return pa.table(
        {
            "customer_id": [f"c{i:05d}" for i in range(n)],
            "x": np.asarray(x, dtype=np.int64),
            "t_x": np.asarray(t_x, dtype=np.float64),
            "T": np.asarray(T, dtype=np.float64),
            "monetary": np.asarray(monetary, dtype=np.float64),
        }
    )


def _simulated(n: int, seed: int) -> pa.Table:
    T = np.random.default_rng(seed).integers(20, 80, n).astype(np.float64)
    params = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    x, t_x = simulate_purchases("bgnbd", params, T, seed=seed + 1)
    m = simulate_spend({"p": 6.0, "q": 4.0, "gamma": 20.0}, x, seed=seed + 2)
    return _summary(x, t_x, T, m)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "paretonbd"])
def test_predictions_on_demo_are_finite_and_consistent(demo_wh: Warehouse, model: str) -> None:
    fitted = fit_clv(demo_wh, model=model)  # type: ignore[arg-type]
    assert fitted.fit.status == "ok" and fitted.spend is not None
    pred = predict_clv(fitted, months=12, monthly_discount=0.01)
    assert pred.num_rows == fitted.summary.num_rows
    cols = {c: pred.column(c).to_numpy() for c in pred.column_names if c != "customer_id"}
    for name, values in cols.items():
        assert np.all(np.isfinite(values)), name
    assert np.all((cols["p_alive"] >= 0) & (cols["p_alive"] <= 1))
    assert np.all(np.diff(cols["clv"]) <= 1e-9), "sorted by CLV, highest first"
    # CLV recomputed independently for customers observed before the end
    obs = cols["T"] > 0
    expected = customer_lifetime_value(
        fitted.purchases,
        fitted.spend,
        cols["x"][obs],
        cols["t_x"][obs],
        cols["T"][obs],
        cols["monetary"][obs],
    )
    np.testing.assert_allclose(cols["clv"][obs], expected, rtol=1e-10)


def test_customers_first_seen_on_the_calibration_end_get_new_customer_values(
    demo_wh: Warehouse,
) -> None:
    fitted = fit_clv(demo_wh, model="bgnbd")
    pred = predict_clv(fitted)
    T = pred.column("T").to_numpy()
    assert np.any(T == 0), "the demo has first orders on its last day"
    new = pred.filter(pa.compute.equal(pred.column("T"), 0.0))
    horizon = 12 * 4.345
    np.testing.assert_allclose(
        new.column("expected_purchases").to_numpy(),
        fitted.purchases.expected_purchases(horizon),
        rtol=1e-6,
    )
    assert np.all(new.column("p_alive").to_numpy() == 1.0)


def test_calibration_end_before_first_order(demo_wh: Warehouse) -> None:
    with pytest.raises(InvalidInputError, match=r"calibration_end 2020-01-01 is before the first"):
        fit_clv(demo_wh, calibration_end=dt.date(2020, 1, 1))


def test_no_orders(wh: Warehouse) -> None:
    with pytest.raises(NotFoundError, match="no orders"):
        fit_clv(wh)


def test_single_customer_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="1 customer"):
        fit_clv_summary(_summary([3], [10.0], [20.0], [25.0]), calibration_end=END)


def test_no_repeat_purchases_only_is_a_clear_error() -> None:
    data = _summary([0] * 50, [0.0] * 50, np.linspace(5, 30, 50), [0.0] * 50)
    with pytest.raises(ConvergenceError, match="No customer has a repeat purchase"):
        fit_clv_summary(data, calibration_end=END)


def test_all_first_orders_on_the_calibration_end() -> None:
    with pytest.raises(InvalidInputError, match="No customer was observed before"):
        fit_clv_summary(_summary([0, 0], [0.0, 0.0], [0.0, 0.0], [0, 0]), calibration_end=END)


def test_zero_and_negative_monetary_are_left_out_of_the_spend_fit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Documented: repeat customers with mean value <= 0 are excluded (warning) and valued
    at the population mean; nothing is NaN or negative."""
    data = _simulated(800, seed=3)
    m = data.column("monetary").to_numpy().copy()
    repeaters = np.flatnonzero(data.column("x").to_numpy() > 0)
    m[repeaters[:3]] = 0.0
    m[repeaters[3:5]] = -12.5
    data = data.set_column(4, "monetary", pa.array(m))
    with caplog.at_level(logging.WARNING):
        fitted = fit_clv_summary(data, calibration_end=END)
    assert any(
        "5 repeat customer(s) with a mean repeat value <= 0" in w for w in fitted.fit.warnings
    )
    assert "mean repeat value <= 0" in caplog.text
    pred = predict_clv(fitted).to_pandas().set_index("customer_id")
    bad = [f"c{i:05d}" for i in repeaters[:5]]
    assert spend_mean(fitted) == pytest.approx(float(pred.loc[bad, "expected_spend"].iloc[0]))
    assert np.all(np.isfinite(pred.to_numpy(dtype=float)))
    assert (pred["clv"] >= 0).all()


def spend_mean(fitted) -> float:  # type: ignore[no-untyped-def]
    p, q, g = (fitted.spend.params_[k] for k in ("p", "q", "gamma"))
    return p * g / (q - 1)


def test_too_few_spenders_use_the_observed_mean() -> None:
    data = _simulated(300, seed=11)
    x = data.column("x").to_numpy()
    m = np.where(np.arange(x.size) < np.flatnonzero(x > 0)[5], data.column("monetary"), 0.0)
    data = data.set_column(4, "monetary", pa.array(np.where(x > 0, m, 0.0)))
    fitted = fit_clv_summary(data, calibration_end=END)
    assert fitted.spend is None
    assert any("no Gamma-Gamma fit" in w for w in fitted.fit.warnings)
    spend = predict_clv(fitted).column("expected_spend").to_numpy()
    assert np.all(spend == pytest.approx(fitted.fallback_spend))


def test_small_shop_is_flagged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        fitted = fit_clv_summary(_simulated(150, seed=5), calibration_end=END)
    assert fitted.fit.status == "small"
    assert any("Only 150 customers" in w for w in fitted.fit.warnings)
    assert "CLV data check" in caplog.text
    # Hessian intervals on the log scale stay positive and contain the estimate
    for p in fitted.fit.purchase_params:
        assert 0 < p.lower_95 < p.estimate < p.upper_95


@pytest.mark.parametrize("model_cls", [BGNBD, ModifiedBGNBD, ParetoNBD])
def test_predictions_never_nan_at_extremes(model_cls: type) -> None:
    data = _simulated(400, seed=2)
    cols = [data.column(c).to_numpy() for c in ("x", "t_x", "T")]
    model = model_cls().fit(*cols)
    x = np.array([0.0, 1.0, 50.0, 500.0, 3.0])
    t_x = np.array([0.0, 1e-9, 79.9, 80.0, 0.001])
    T = np.array([1e-9, 80.0, 80.0, 80.0, 5000.0])
    for values in (
        model.probability_alive(x, t_x, T),
        model.conditional_expected_purchases(52.0, x, t_x, T),
        model.expected_purchases([0.0, 1.0, 1e4]),
    ):
        assert np.all(np.isfinite(values)) and np.all(values >= 0)
