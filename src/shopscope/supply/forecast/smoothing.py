"""Vectorised exponential smoothing over a 2-D array: one row per series, one column per period.

The recursions run over time with NumPy operations across all series at once, so the cost is
``T`` vector steps whatever the number of series. Conventions follow statsforecast 2.1.1 so
that the intermittent models can be checked against it: the level starts at the first value,
``l_t = alpha * y_t + (1 - alpha) * l_(t-1)``, and the forecast is the last level.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "ses_level", "ses_optimized", "ses_sse"]

FloatArray = npt.NDArray[np.float64]

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def ses_level(y: FloatArray, alpha: FloatArray | float) -> FloatArray:
    """Last simple-exponential-smoothing level of each row (the flat forecast).

    Parameters
    ----------
    y
        Array ``(n, T)``, ``T >= 1``, no NaN.
    alpha
        Smoothing weight, a scalar or one per row, in ``(0, 1]``.
    """
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (y.shape[0],))
    yt = np.ascontiguousarray(y.T)  # time-major: each step reads one contiguous row
    level = yt[0].copy()
    for t in range(1, yt.shape[0]):
        level += a * (yt[t] - level)
    return np.asarray(level, dtype=np.float64)


def ses_sse(y: FloatArray, alpha: FloatArray, *, time_major: bool = False) -> FloatArray:
    """Sum of squared one-step errors of SES for each row (first value is the start level).

    ``time_major``: ``y`` is given transposed, ``(T, n)`` (contiguous, about 5x faster).
    """
    yt = y if time_major else np.ascontiguousarray(y.T)
    level = yt[0].copy()
    sse = np.zeros(yt.shape[1])
    for t in range(1, yt.shape[0]):
        err = yt[t] - level
        sse += err * err
        level += alpha * err
    return sse


def ses_optimized(
    y: FloatArray, *, lower: float = 0.1, upper: float = 0.3, tol: float = 1e-4
) -> tuple[FloatArray, FloatArray]:
    """SES with ``alpha`` chosen per row by golden-section search on the one-step SSE.

    Returns ``(forecast, alpha)``. The default bounds ``[0.1, 0.3]`` are those statsforecast
    uses for the aggregated series of ADIDA and IMAPA (Nikolopoulos et al., 2011).
    """
    n = y.shape[0]
    lo = np.full(n, lower)
    hi = np.full(n, upper)
    if y.shape[1] < 2:
        return y[:, -1].copy(), lo
    yt = np.ascontiguousarray(y.T)
    x1 = hi - _GOLDEN * (hi - lo)
    x2 = lo + _GOLDEN * (hi - lo)
    f1, f2 = ses_sse(yt, x1, time_major=True), ses_sse(yt, x2, time_major=True)
    while float(np.max(hi - lo)) > tol:
        left = f1 < f2  # minimum in [lo, x2]
        tie = f1 == f2  # flat objective: keep the middle [x1, x2] (statsforecast does too)
        hi = np.where(left | tie, x2, hi)
        lo = np.where(left, lo, x1)
        new_x1 = np.where(left | tie, hi - _GOLDEN * (hi - lo), x2)
        new_x2 = np.where(left, x1, lo + _GOLDEN * (hi - lo))
        probe = np.where(left, new_x1, new_x2)
        f_probe = ses_sse(yt, probe, time_major=True)
        f1, f2 = np.where(left, f_probe, f2), np.where(left, f1, f_probe)
        if tie.any():
            f1 = np.where(tie, ses_sse(yt, new_x1, time_major=True), f1)
        x1, x2 = new_x1, new_x2
    alpha = (lo + hi) / 2.0
    return ses_level(y, alpha), alpha
