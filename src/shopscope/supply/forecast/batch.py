"""The batch models: every candidate forecasts all series at once from an array ``(n, T)``.

A model is a function ``(y, h, m) -> (n, h)``: history ``y`` (no NaN, censored periods already
imputed), horizon ``h`` and season length ``m`` (7 for days, 52 for weeks). The catalogue
:data:`BATCH_MODELS` lists them in order of simplicity; selection breaks ties towards the
simpler model.

=================  ===========================================================================
seasonal_naive     the last season repeated (the benchmark every model must beat)
moving_average     flat mean of the last 28 days (8 periods at week grain)
ma_profile         ``moving_average`` times the seasonal profile
seasonal_mean      mean of the same season position over the last 4 seasons
ses_profile        optimised SES on the deseasonalised series, times the profile (an
                   ETS(A,N,M)-like model with a fixed, shrunk profile)
croston, sba, tsb, adida, imapa
                   intermittent-demand models (:mod:`.intermittent`)
=================  ===========================================================================

The seasonal profile is the mean of each season position over the last year (at most 364
days, or two years of weeks) relative to the overall mean, shrunk towards 1 with weight
``u / (u + 20)``, ``u`` the units per season position in that span, so that sparse series get
an almost flat profile (the relative noise of a position's mean is about ``1 / sqrt(u)`` for
Poisson demand).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from shopscope.supply.forecast import intermittent
from shopscope.supply.forecast.smoothing import FloatArray, ses_optimized

__all__ = ["BATCH_MODELS", "BatchModel", "seasonal_profile", "window"]

BatchModel = Callable[[FloatArray, int, int], FloatArray]


def _phase(t: int, h: int, m: int) -> np.ndarray:
    """Season positions of periods ``t .. t+h-1`` (position 0 = period 0 of the history)."""
    return (t + np.arange(h)) % m


def seasonal_profile(y: FloatArray, m: int) -> FloatArray:
    """Multiplicative profile ``(n, m)`` by season position, mean 1, shrunk for sparse rows."""
    n, periods = y.shape
    if m <= 1 or periods < 2 * m:
        return np.ones((n, max(m, 1)))
    span = m * min(periods // m, 52 if m < 52 else 2)  # the last year (two at week grain)
    recent = y[:, periods - span :]
    pos = (periods - span + np.arange(span)) % m
    sums = np.zeros((n, m))
    for p in range(m):
        sums[:, p] = recent[:, pos == p].sum(axis=1)
    counts = np.bincount(pos, minlength=m).astype(float)
    means = sums / counts
    overall = recent.mean(axis=1, keepdims=True)
    raw = np.where(overall > 0, means / np.where(overall > 0, overall, 1.0), 1.0)
    units = recent.sum(axis=1, keepdims=True) / m  # units per season position
    weight = units / (units + 20.0)
    profile = 1.0 + weight * (raw - 1.0)
    return np.asarray(profile / profile.mean(axis=1, keepdims=True), dtype=np.float64)


def seasonal_naive(y: FloatArray, h: int, m: int) -> FloatArray:
    """The last ``m`` periods repeated."""
    periods = y.shape[1]
    m = min(m, periods)
    idx = periods - m + (np.arange(h) % m)
    return y[:, idx]


def window(m: int) -> int:
    """Moving-average window: four seasons of days (28), else 8 periods."""
    return 4 * m if m <= 7 else 8


def moving_average(y: FloatArray, h: int, m: int) -> FloatArray:
    """Flat mean of the last 28 days (8 periods at other grains)."""
    w = min(y.shape[1], window(m))
    return np.repeat(y[:, -w:].mean(axis=1, keepdims=True), h, axis=1)


def ma_profile(y: FloatArray, h: int, m: int) -> FloatArray:
    """Moving average times the seasonal profile."""
    profile = seasonal_profile(y, m)
    w = min(y.shape[1], window(m))
    past = profile[:, _phase(y.shape[1] - w, w, m)]
    level = y[:, -w:].sum(axis=1) / past.sum(axis=1)
    return np.asarray(level[:, None] * profile[:, _phase(y.shape[1], h, m)], dtype=np.float64)


def seasonal_mean(y: FloatArray, h: int, m: int) -> FloatArray:
    """Mean of the same season position over the last four seasons."""
    periods = y.shape[1]
    k = max(1, min(4, periods // m))
    out = np.zeros((y.shape[0], h))
    for j in range(h):
        lags = [periods - m * (i + 1) + j % m for i in range(k)]
        out[:, j] = y[:, lags].mean(axis=1)
    return out


def ses_profile(y: FloatArray, h: int, m: int) -> FloatArray:
    """Optimised SES (alpha in [0.01, 0.5]) of the deseasonalised series, reseasonalised."""
    profile = seasonal_profile(y, m)
    past = profile[:, _phase(0, y.shape[1], m)]
    level, _ = ses_optimized(y / past, lower=0.01, upper=0.5, tol=1e-3)
    return level[:, None] * profile[:, _phase(y.shape[1], h, m)]


def _flat(fn: Callable[[FloatArray], FloatArray]) -> BatchModel:
    def model(y: FloatArray, h: int, m: int) -> FloatArray:
        return np.repeat(fn(y)[:, None], h, axis=1)

    model.__doc__ = fn.__doc__
    return model


BATCH_MODELS: dict[str, BatchModel] = {
    "seasonal_naive": seasonal_naive,
    "moving_average": moving_average,
    "ma_profile": ma_profile,
    "seasonal_mean": seasonal_mean,
    "ses_profile": ses_profile,
    "croston": _flat(intermittent.croston),
    "sba": _flat(intermittent.croston_sba),
    "tsb": _flat(intermittent.tsb),
    "adida": _flat(intermittent.adida),
    "imapa": _flat(intermittent.imapa),
}
"""Every batch candidate by name, simplest first."""
