"""Intermittent-demand models vectorised over many series: Croston, SBA, TSB, ADIDA, IMAPA.

Each function takes an array ``(n, T)`` of non-negative demand and returns the flat forecast
per row (these models forecast a constant demand rate). Definitions and initialisation follow
statsforecast 2.1.1 exactly, and ``tests/reference/test_supply_forecast_statsforecast.py``
checks each against it.

References
----------
Croston, J. D. (1972). Forecasting and stock control for intermittent demands. Operational
Research Quarterly 23(3), 289-303.
Syntetos, A. A. & Boylan, J. E. (2005). The accuracy of intermittent demand estimates.
International Journal of Forecasting 21(2), 303-314 (SBA: Croston times ``1 - alpha/2``).
Teunter, R. H., Syntetos, A. A. & Babai, M. Z. (2011). Intermittent demand: linking forecasting
to inventory obsolescence. European Journal of Operational Research 214(3), 606-615 (TSB).
Nikolopoulos, K. et al. (2011). An aggregate-disaggregate intermittent demand approach (ADIDA).
Journal of the Operational Research Society 62(3), 544-554.
Petropoulos, F. & Kourentzes, N. (2015). Forecast combinations for intermittent demand (IMAPA).
Journal of the Operational Research Society 66(6), 914-924.
"""

from __future__ import annotations

import numpy as np

from shopscope.supply.forecast.smoothing import FloatArray, ses_optimized

__all__ = ["adida", "aggregation_level", "croston", "croston_sba", "imapa", "tsb"]


def croston(y: FloatArray, *, alpha: float = 0.1) -> FloatArray:
    """Croston's method: SES of the non-zero sizes over SES of the intervals between them.

    The first interval counts from before the first period (statsforecast's convention). A
    series without demand forecasts its last value (0).
    """
    n, periods = y.shape
    yt = np.ascontiguousarray(y.T)  # time-major rows are contiguous
    size = np.zeros(n)
    interval = np.zeros(n)
    last = np.full(n, -1.0)  # period of the last demand; -1 = before the first period
    seen = np.zeros(n, dtype=bool)
    for t in range(periods):
        hit = yt[t] > 0
        if not hit.any():
            continue
        gap = t - last
        first = hit & ~seen
        again = hit & seen
        size = np.where(first, yt[t], np.where(again, size + alpha * (yt[t] - size), size))
        interval = np.where(
            first, gap, np.where(again, interval + alpha * (gap - interval), interval)
        )
        last = np.where(hit, float(t), last)
        seen |= hit
    safe = np.where(interval != 0, interval, 1.0)
    return np.where(seen, size / safe, y[:, -1])


def croston_sba(y: FloatArray, *, alpha: float = 0.1) -> FloatArray:
    """Syntetos-Boylan approximation: Croston times ``1 - alpha / 2`` (0.95 for alpha 0.1)."""
    return croston(y, alpha=alpha) * (1.0 - alpha / 2.0)


def tsb(y: FloatArray, *, alpha_d: float = 0.2, alpha_p: float = 0.1) -> FloatArray:
    """Teunter-Syntetos-Babai: SES of demand occurrence (every period) times SES of sizes."""
    n, periods = y.shape
    yt = np.ascontiguousarray(y.T)
    prob = (yt[0] > 0).astype(np.float64)
    size = np.zeros(n)
    seen = np.zeros(n, dtype=bool)
    for t in range(periods):
        hit = yt[t] > 0
        if t > 0:
            prob += alpha_p * (hit - prob)
        first = hit & ~seen
        again = hit & seen
        size = np.where(first, yt[t], np.where(again, size + alpha_d * (yt[t] - size), size))
        seen |= hit
    return np.where(seen, prob * size, 0.0)


def aggregation_level(y: FloatArray) -> np.ndarray:
    """ADIDA's aggregation level per row: the mean inter-demand interval, rounded half to even.

    The intervals sum to (index of the last demand + 1), so the mean is that over the number
    of demands. Rows without demand get 0.
    """
    hits = y > 0
    count = hits.sum(axis=1)
    last = y.shape[1] - 1 - np.argmax(hits[:, ::-1], axis=1)
    mean = np.where(count > 0, (last + 1) / np.maximum(count, 1), 0.0)
    return np.round(mean).astype(np.int64)


def _aggregated_ses(y: FloatArray, rows: np.ndarray, levels: np.ndarray) -> FloatArray:
    """Optimised-SES forecast of row ``rows[i]`` summed over buckets of ``levels[i]`` periods.

    Buckets are aligned to the end (the oldest remainder is dropped). Pairs whose aggregated
    series have the same length share one vectorised golden-section search, so the work is
    about ``2 sqrt(T)`` searches whatever the number of levels.
    """
    periods = y.shape[1]
    lengths = periods // levels
    out = np.zeros(rows.shape[0])
    for length in np.unique(lengths):
        pick = np.flatnonzero(lengths == length)
        blocks = []
        for a in np.unique(levels[pick]):
            sel = pick[levels[pick] == a]
            body = y[rows[sel], periods - length * a :]
            blocks.append((sel, body.reshape(sel.size, int(length), int(a)).sum(axis=2)))
        order = np.concatenate([sel for sel, _ in blocks])
        forecast, _ = ses_optimized(np.concatenate([b for _, b in blocks]))
        out[order] = forecast
    return out


def adida(y: FloatArray) -> FloatArray:
    """ADIDA: optimised SES on demand summed over buckets of the mean interval, per period."""
    level = aggregation_level(y)
    rows = np.flatnonzero(level > 0)
    out = np.zeros(y.shape[0])
    out[rows] = _aggregated_ses(y, rows, level[rows]) / level[rows]
    return out


def imapa(y: FloatArray) -> FloatArray:
    """IMAPA: the mean of ADIDA-style forecasts over every level from 1 to the mean interval."""
    top = aggregation_level(y)
    rows = np.repeat(np.arange(y.shape[0]), top)
    levels = np.concatenate([np.arange(1, t + 1) for t in top]) if rows.size else rows
    total = np.zeros(y.shape[0])
    np.add.at(total, rows, _aggregated_ses(y, rows, levels) / np.maximum(levels, 1))
    return np.where(top > 0, total / np.maximum(top, 1), 0.0)
