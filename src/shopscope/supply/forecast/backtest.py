"""Rolling-origin backtest of the batch models, and the accuracy measures.

With ``T`` periods, horizon ``h``, ``W`` windows and step ``s``, window ``w`` (0-based) trains on
the first ``o_w = T - h - s (W - 1 - w)`` periods and forecasts the next ``h``. Before fitting,
censored (stock-out) and promotion periods of the training part are replaced by the mean of the
valid periods within ``2m`` periods either side (only training data is used, so nothing leaks
from the future). A promotion uplift, pooled over series, multiplies forecasts on promotion
periods.

Errors are ``forecast - actual`` on *scored* periods: not censored, and on or after the series'
first sale (a product is not in the catalogue before it). Measures per series:

* MAE = mean |error|; WAPE = Σ|error| / Σ actual; bias = Σ error / Σ actual (> 0: over-forecast);
* MASE = MAE / in-sample MAE of the seasonal naive forecast on the first training window
  (Hyndman & Koehler, 2006, "Another look at measures of forecast accuracy", IJF 22(4)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shopscope.errors import InvalidInputError
from shopscope.supply.forecast.batch import BATCH_MODELS
from shopscope.supply.forecast.smoothing import FloatArray

__all__ = [
    "Backtest",
    "impute",
    "loss",
    "naive_scale",
    "origins",
    "promo_uplift",
    "run_backtest",
    "score",
]

BoolArray = npt.NDArray[np.bool_]


def origins(periods: int, horizon: int, windows: int, step: int, season: int) -> list[int]:
    """Training lengths of the windows; the error says how to fit a short history."""
    first = periods - horizon - step * (windows - 1)
    need = season + 1
    if first < need:
        raise InvalidInputError(
            f"History of {periods} periods is too short for {windows} backtest window(s) of "
            f"horizon {horizon} and step {step}: the first window would train on {first} periods "
            f"and needs at least {need} (a season and one period). Use fewer windows "
            "(--windows) or a shorter horizon (--horizon)."
        )
    return [first + step * w for w in range(windows)]


def impute(y: FloatArray, mask: BoolArray, season: int) -> FloatArray:
    """``y`` with masked cells replaced by the mean of unmasked cells within ``2m`` periods."""
    if not mask.any():
        return y
    ok = ~mask
    half = 2 * season
    csum = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(np.where(ok, y, 0.0), 1)], 1)
    ccnt = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(ok, 1)], 1)
    idx = np.arange(y.shape[1])
    hi = np.minimum(idx + half + 1, y.shape[1])
    lo = np.maximum(idx - half, 0)
    total = csum[:, hi] - csum[:, lo]
    count = ccnt[:, hi] - ccnt[:, lo]
    overall = csum[:, -1] / np.maximum(ccnt[:, -1], 1)
    local = np.where(count > 0, total / np.maximum(count, 1), overall[:, None])
    return np.where(mask, local, y)


def promo_uplift(y: FloatArray, censored: BoolArray, promo: BoolArray, season: int) -> float:
    """Pooled ratio of demand on promotion periods to the imputed baseline (1 without promos)."""
    if not promo.any() or promo.all():
        return 1.0
    mask = censored | promo[None, :]
    baseline = impute(y, mask, season)
    cells = promo[None, :] & ~censored
    base = float(baseline[cells].sum())
    if base <= 0:
        return 1.0
    return float(np.clip(y[cells].sum() / base, 0.5, 5.0))


@dataclass(frozen=True)
class Backtest:
    """Backtest forecasts of every batch model, with actuals and scored cells.

    ``forecasts[k]`` has shape ``(n, W, h)`` for model ``names[k]``.
    """

    names: tuple[str, ...]
    origins: tuple[int, ...]
    forecasts: npt.NDArray[np.float64]
    actual: npt.NDArray[np.float64]
    scored: npt.NDArray[np.bool_]
    scale: npt.NDArray[np.float64]
    boost: npt.NDArray[np.float64]
    uplift: float


def naive_scale(y: FloatArray, valid: BoolArray, season: int) -> FloatArray:
    """In-sample MAE of the seasonal naive forecast (lag 1 when the history is too short)."""
    m = season if y.shape[1] > season else 1
    diff = np.abs(y[:, m:] - y[:, :-m])
    ok = valid[:, m:] & valid[:, :-m]
    count = ok.sum(axis=1)
    return np.where(count > 0, (diff * ok).sum(axis=1) / np.maximum(count, 1), np.nan)


def run_backtest(
    y: FloatArray,
    censored: BoolArray,
    promo: BoolArray,
    listed: BoolArray,
    *,
    horizon: int,
    windows: int,
    step: int,
    season: int,
    models: tuple[str, ...],
) -> Backtest:
    """Forecast every window with every model in ``models`` (names of :data:`BATCH_MODELS`)."""
    cuts = origins(y.shape[1], horizon, windows, step, season)
    n = y.shape[0]
    forecasts = np.zeros((len(models), n, windows, horizon))
    actual = np.zeros((n, windows, horizon))
    scored = np.zeros((n, windows, horizon), bool)
    uplift = 1.0
    boosts = np.ones((windows, horizon))
    for w, cut in enumerate(cuts):
        train = y[:, :cut]
        mask = censored[:, :cut] | promo[None, :cut]
        clean = impute(train, mask, season)
        uplift = promo_uplift(train, censored[:, :cut], promo[:cut], season)
        boosts[w] = np.where(promo[cut : cut + horizon], uplift, 1.0)
        for k, name in enumerate(models):
            forecasts[k, :, w, :] = BATCH_MODELS[name](clean, horizon, season) * boosts[w]
        actual[:, w, :] = y[:, cut : cut + horizon]
        scored[:, w, :] = ~censored[:, cut : cut + horizon] & listed[:, cut : cut + horizon]
    first = cuts[0]
    scale = naive_scale(y[:, :first], ~censored[:, :first] & listed[:, :first], season)
    return Backtest(tuple(models), tuple(cuts), forecasts, actual, scored, scale, boosts, uplift)


@dataclass(frozen=True)
class Scores:
    """Per-series measures of one set of forecasts (NaN where nothing was scored)."""

    mae: FloatArray
    wape: FloatArray
    bias: FloatArray
    mase: FloatArray
    abs_error: FloatArray
    error: FloatArray
    actual: FloatArray


def score(forecast: FloatArray, actual: FloatArray, scored: BoolArray, scale: FloatArray) -> Scores:
    """Measures of ``forecast`` ``(n, W, h)`` against ``actual`` on ``scored`` cells."""
    err = np.where(scored, forecast - actual, 0.0).reshape(forecast.shape[0], -1)
    act = np.where(scored, actual, 0.0).reshape(forecast.shape[0], -1)
    count = scored.reshape(forecast.shape[0], -1).sum(axis=1)
    abs_err = np.abs(err).sum(axis=1)
    total = act.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mae = np.where(count > 0, abs_err / count, np.nan)
        wape = np.where(total > 0, abs_err / total, np.nan)
        bias = np.where(total > 0, err.sum(axis=1) / total, np.nan)
        mase = np.where(scale > 0, mae / scale, np.nan)
    return Scores(mae, wape, bias, mase, abs_err, err.sum(axis=1), total)


def loss(forecast: FloatArray, actual: FloatArray, scored: BoolArray, criterion: str) -> FloatArray:
    """Selection loss per series over the leading axes ``(n, W, h)``: mean |e| or mean e²."""
    err = np.abs(forecast - actual)
    if criterion == "mse":
        err = err * err
    count = scored.reshape(forecast.shape[0], -1).sum(axis=1)
    total = np.where(scored, err, 0.0).reshape(forecast.shape[0], -1).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
