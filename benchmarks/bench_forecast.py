"""Forecast speed and accuracy: shopscope's whole catalogue beside statsforecast's AutoETS.

Workload: ``BENCH_FORECAST_SERIES`` (default 10,000) synthetic daily SKU series of two years
(730 days, seed 7): Zipf popularity (from ~60 units a day to a few a year), weekday profile,
yearly season with a Christmas peak, a per-series trend and gamma-Poisson noise, so the catalogue
has a smooth head and an intermittent tail. The last 28 days are held out.

Subjects:

shopscope
    ``forecast_panel`` with its defaults on every series: rolling-origin backtest (3 windows of
    28 days) of the ten batch models, per-series selection, AutoETS tried on up to 50 head
    series, forecast of 28 days with intervals. One process (the machine has 2 cores).
statsforecast-AutoETS
    ``AutoETS(season_length=7)`` fitted series by series on ``BENCH_FORECAST_PEER`` (default
    200) series sampled at random (seed 7); its time per series is scaled to the whole
    catalogue on 2 cores (perfect parallelism, the peer's best case).

Accuracy: hold-out WAPE (Σ|e| / Σ actual) of both on the sampled series, and of shopscope and
seasonal naive on all series. Targets (issue 7): the whole catalogue, backtest and selection
included, under 120 s; WAPE no worse than 2% relative to AutoETS's on the same series.
"""

from __future__ import annotations

import os
import time

import numpy as np

from benchmarks.runner import Measurement, print_table, save

DAYS = 730
HOLD = 28
CORES = 2


def synthetic(n: int, seed: int = 7) -> np.ndarray:
    """Daily demand ``(n, DAYS)``: Zipf head to intermittent tail, weekly and yearly season."""
    rng = np.random.default_rng(seed)
    t = np.arange(DAYS)
    weekly = np.array([1.00, 1.03, 1.01, 0.98, 0.92, 0.86, 1.20])[t % 7]
    doy = t % 365
    yearly = 1 + 0.18 * np.cos(2 * np.pi * (doy - 330) / 365.25)
    yearly = yearly + 0.9 * np.exp(-0.5 * ((doy - 345) / 9.0) ** 2)
    rank = rng.permutation(n) + 1
    level = 60.0 / rank**0.75
    trend = np.exp(rng.normal(0.0, 0.3, n)[:, None] * t / DAYS)
    rate = level[:, None] * weekly * yearly * trend
    shape = 3.0
    return rng.poisson(rng.gamma(shape, rate / shape)).astype(float)


def _wape(forecast: np.ndarray, actual: np.ndarray) -> float:
    return float(np.abs(forecast - actual).sum() / actual.sum())


def main() -> None:
    from statsforecast.models import AutoETS

    from shopscope.supply.forecast import BATCH_MODELS, DemandPanel, ForecastConfig, forecast_panel

    n = int(os.environ.get("BENCH_FORECAST_SERIES", "10000"))
    n_peer = int(os.environ.get("BENCH_FORECAST_PEER", "200"))
    y = synthetic(n)
    train, actual = y[:, :-HOLD], y[:, -HOLD:]
    panel = DemandPanel.from_array(train)

    start = time.perf_counter()
    result = forecast_panel(panel, ForecastConfig())
    ours_s = time.perf_counter() - start
    ours = result.forecast.column("forecast").to_numpy().reshape(n, HOLD)

    sample = np.sort(np.random.default_rng(7).choice(n, size=min(n_peer, n), replace=False))
    peer = np.zeros((sample.size, HOLD))
    start = time.perf_counter()
    for i, r in enumerate(sample):
        peer[i] = AutoETS(season_length=7).forecast(y=train[r], h=HOLD)["mean"]
    peer_s = time.perf_counter() - start
    peer = np.maximum(peer, 0.0)
    per_series = peer_s / sample.size
    scaled = per_series * n / CORES
    naive = BATCH_MODELS["seasonal_naive"](train, HOLD, 7)

    workload = f"{n}-daily-series-730d"
    rows = [
        Measurement("forecast", workload, "shopscope", ours_s, n, "series"),
        Measurement("forecast", workload, "statsforecast-AutoETS", scaled, n, "series"),
    ]
    print_table(rows, "statsforecast-AutoETS", target="whole catalogue under 120 s")
    w_ours, w_peer = _wape(ours[sample], actual[sample]), _wape(peer, actual[sample])
    accuracy = {
        "sample_series": int(sample.size),
        "wape_shopscope_sample": w_ours,
        "wape_autoets_sample": w_peer,
        "wape_ratio": w_ours / w_peer,
        "wape_shopscope_all": _wape(ours, actual),
        "wape_seasonal_naive_all": _wape(naive, actual),
        "autoets_seconds_per_series": per_series,
        "autoets_sample_seconds": peer_s,
        "statsforecast_stage": {
            "tried": result.heavy.tried,
            "adopted": result.heavy.adopted,
            "stopped_early": result.heavy.stopped_early,
            "seconds": result.heavy.seconds,
        },
        "models": {a.model: a.selected for a in result.accuracy if a.selected},
    }
    print(
        f"shopscope: {ours_s:.1f} s for {n:,} series (target < 120 s); AutoETS: "
        f"{per_series:.3f} s per series -> {scaled:,.0f} s for {n:,} on {CORES} cores"
    )
    print(
        f"hold-out WAPE on {sample.size} sampled series: shopscope {w_ours:.4f}, AutoETS "
        f"{w_peer:.4f}, ratio {w_ours / w_peer:.3f} (target <= 1.02); all series: shopscope "
        f"{accuracy['wape_shopscope_all']:.4f}, seasonal naive "
        f"{accuracy['wape_seasonal_naive_all']:.4f}"
    )
    print(
        f"statsforecast stage: {result.heavy.tried} tried, {result.heavy.adopted} adopted, "
        f"{result.heavy.seconds:.1f} s"
    )
    print(f"results: {save('forecast', rows, {'accuracy': accuracy})}")


if __name__ == "__main__":
    main()
