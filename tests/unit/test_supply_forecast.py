"""Demand forecasting: batch models, backtest and selection, censoring, promotions, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from shopscope.errors import InvalidInputError
from shopscope.supply.forecast import (
    BATCH_MODELS,
    DemandPanel,
    ForecastConfig,
    forecast_panel,
)
from shopscope.supply.forecast.backtest import impute, origins, promo_uplift
from shopscope.supply.forecast.batch import seasonal_profile

BATCH = ForecastConfig(heavy_series=0)
WEEK = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 2.0])


def _poisson(rates: np.ndarray, periods: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.poisson(rates[:, None] * WEEK[np.arange(periods) % 7]).astype(float)


def test_seasonal_naive_repeats_the_last_week():
    y = np.arange(30, dtype=float)[None, :]
    out = BATCH_MODELS["seasonal_naive"](y, 10, 7)
    assert out.tolist() == [[23, 24, 25, 26, 27, 28, 29, 23, 24, 25]]


def test_profile_has_mean_one_and_is_flat_without_data():
    y = _poisson(np.array([50.0, 0.0]), 364, seed=1)
    profile = seasonal_profile(y, 7)
    assert np.allclose(profile.mean(axis=1), 1.0)
    assert np.allclose(profile[1], 1.0)
    # the profile of the busy series recovers the weekday pattern (positions align to day 0)
    assert np.allclose(profile[0], WEEK / WEEK.mean(), atol=0.05)


def test_impute_uses_only_unmasked_neighbours():
    y = np.array([[1.0, 1.0, 99.0, 1.0, 1.0, 5.0]])
    mask = np.array([[False, False, True, False, False, False]])
    out = impute(y, mask, season=1)
    assert out[0, 2] == pytest.approx(np.mean([1.0, 1.0, 1.0, 1.0]))
    assert out[0, 5] == 5.0


def test_origins_and_short_history_message():
    assert origins(100, 10, 3, 10, 7) == [70, 80, 90]
    with pytest.raises(InvalidInputError, match=r"too short.*--windows"):
        origins(40, 14, 3, 14, 7)


def test_seasonal_series_get_a_seasonal_model_and_beat_seasonal_naive():
    y = _poisson(np.full(40, 30.0), 364, seed=2)
    result = forecast_panel(DemandPanel.from_array(y), BATCH)
    models = set(result.series.column("model").to_pylist())
    assert models <= {"ma_profile", "ses_profile", "seasonal_mean", "seasonal_naive"}
    sel, naive = result.selected(), result.model_accuracy("seasonal_naive")
    assert sel.wape < naive.wape and sel.mase < naive.mase
    # the forecast keeps the weekly shape: period 364 + k has position k, the peak is at 6
    path = result.forecast.column("forecast").to_numpy().reshape(40, -1)
    assert path[:, :7].mean(axis=0).argmax() == 6
    assert path.mean() == pytest.approx(30.0 * WEEK.mean(), rel=0.05)


def test_censored_stockouts_are_not_zero_demand():
    rng = np.random.default_rng(3)
    y = rng.poisson(5.0, (20, 300)).astype(float)
    censored = np.zeros(y.shape, bool)
    y[:, 260:290] = 0.0  # a stock-out: nothing sold for a month
    censored[:, 260:290] = True
    flagged = forecast_panel(DemandPanel.from_array(y, censored=censored), BATCH)
    naive = forecast_panel(DemandPanel.from_array(y), BATCH)
    f_flagged = flagged.forecast.column("forecast").to_numpy().mean()
    f_naive = naive.forecast.column("forecast").to_numpy().mean()
    assert f_flagged == pytest.approx(5.0, rel=0.15)
    assert f_naive < f_flagged
    # censored periods are not scored
    assert (flagged.series.column("scored_periods").to_numpy() < 84).all()


def test_promotion_uplift_is_estimated_and_applied_to_planned_days():
    rng = np.random.default_rng(4)
    promo = np.zeros(364, bool)
    promo[[50, 51, 52, 150, 151, 250, 251, 252, 300]] = True
    rate = np.where(promo, 20.0, 10.0)
    y = rng.poisson(np.broadcast_to(rate, (30, 364))).astype(float)
    assert promo_uplift(y, np.zeros(y.shape, bool), promo, 7) == pytest.approx(2.0, rel=0.1)
    panel = DemandPanel.from_array(y, promo=promo)
    planned = panel.dates(364, 28)[10]
    result = forecast_panel(panel, ForecastConfig(heavy_series=0, future_promo=(planned,)))
    assert result.promo_uplift == pytest.approx(2.0, rel=0.1)
    path = result.forecast.column("forecast").to_numpy().reshape(30, 28)
    assert path[:, 10].mean() / np.delete(path, 10, axis=1).mean() == pytest.approx(2.0, rel=0.15)
    assert result.forecast.column("promo").to_numpy(zero_copy_only=False).sum() == 30


def test_prediction_intervals_cover_about_their_level():
    rates = np.random.default_rng(5).uniform(2, 40, 150)
    y = _poisson(rates, 392, seed=6)
    panel = DemandPanel.from_array(y[:, :364])
    result = forecast_panel(panel, ForecastConfig(heavy_series=0, coverage=0.8))
    lower = result.forecast.column("lower").to_numpy().reshape(150, 28)
    upper = result.forecast.column("upper").to_numpy().reshape(150, 28)
    future = y[:, 364:]
    inside = ((future >= lower) & (future <= upper)).mean()
    assert 0.7 <= inside <= 0.92


def test_intermittent_series_and_statuses():
    rng = np.random.default_rng(7)
    y = (rng.random((30, 300)) < 0.05) * rng.integers(1, 4, (30, 300)).astype(float)
    y[0] = 0.0
    y[1] = 0.0
    y[1, 120] = 3.0
    result = forecast_panel(DemandPanel.from_array(y), BATCH)
    status = result.series.column("status").to_pylist()
    assert status[0] == "all_zero" and status[1] == "one_sale"
    path = result.forecast.column("forecast").to_numpy().reshape(30, -1)
    assert (path[0] == 0).all()
    assert np.isfinite(path).all() and (path >= 0).all()
    classes = set(result.series.column("demand_class").to_pylist()[2:])
    assert classes <= {"intermittent", "lumpy"}


def test_out_of_sample_accuracy_uses_the_last_window_only():
    y = _poisson(np.full(10, 8.0), 300, seed=8)
    result = forecast_panel(DemandPanel.from_array(y), ForecastConfig(heavy_series=0, windows=2))
    assert result.selected().series == 10
    assert len(result.backtest_origins) == 2


def test_statsforecast_head_is_tried_and_reported():
    y = _poisson(np.array([40.0, 30.0, 0.2]), 200, seed=9)
    config = ForecastConfig(heavy_series=2, windows=2, horizon=14)
    result = forecast_panel(DemandPanel.from_array(y), config)
    assert result.heavy.tried == 2
    assert result.heavy.adopted <= 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"models": ("prophet",)}, "Unknown batch model"),
        ({"heavy_models": ("NBEATS",)}, "Unknown statsforecast model"),
        ({"horizon": 0}, "positive integer"),
        ({"windows": 0}, "at least 1"),
        ({"coverage": 1.0}, r"\(0, 1\)"),
        ({"criterion": "mape"}, "mae or mse"),
    ],
)
def test_invalid_config(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        ForecastConfig(**kwargs)


def test_invalid_panels():
    with pytest.raises(InvalidInputError, match="finite and >= 0"):
        DemandPanel.from_array([[1.0, np.nan, 2.0]])
    with pytest.raises(InvalidInputError, match="finite and >= 0"):
        DemandPanel.from_array([[1.0, -1.0, 2.0]])
    empty = DemandPanel.from_array(np.zeros((0, 10)), ids=())
    with pytest.raises(InvalidInputError, match="no series"):
        forecast_panel(empty)


def test_exports_are_exact():
    import shopscope.supply.forecast as forecast
    import shopscope.supply.inventory as inventory

    assert sorted(forecast.__all__) == sorted(
        [
            "BATCH_MODELS", "HEAVY_MODELS", "Accuracy", "DemandPanel", "ForecastConfig",
            "ForecastResult", "Grain", "HeavyRun", "Level", "demand_panel", "forecast_panel",
        ]
    )  # fmt: skip
    assert sorted(inventory.__all__) == sorted(
        [
            "DEFAULT_LEAD_TIME_DAYS", "Outcome", "PolicyConfig", "ReplenishmentPlan", "Simulation",
            "StockHistory", "cycle_service_level", "days_of_cover", "economic_order_quantity",
            "expected_shortage", "fill_rate", "lead_time_demand_sd", "order_up_to_level",
            "reorder_point", "replenishment_plan", "safety_factor", "safety_stock",
            "safety_stock_for_fill_rate", "simulate_policy", "stock_history",
            "stockout_probability",
        ]
    )  # fmt: skip
