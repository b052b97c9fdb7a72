"""Choosing a model per series from backtest losses, without chasing noise.

Per-series selection on a few backtest windows overfits: for noisy (tail) series the winner of
the backtest is mostly luck. So the choice is made in two steps:

1. Series are grouped into *segments*: demand class (smooth, erratic, intermittent, lumpy) times
   volume quartile within the class. Each segment takes the model with the lowest loss pooled
   over its series (Σ loss × scored periods: for MAE, the segment's WAPE).
2. A series keeps its own backtest winner only when that beats its segment's model by more
   than ``margin`` (relative); otherwise it uses the segment's model.

Unscored series (no scored period in the backtest) take their segment's model, or the moving
average when the segment has no scored series either.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from shopscope.supply.forecast.smoothing import FloatArray

__all__ = ["CLASS_CODES", "segments", "select"]

CLASS_CODES = ("none", "smooth", "erratic", "intermittent", "lumpy")


def segments(labels: npt.NDArray[np.str_], rate: FloatArray) -> npt.NDArray[np.int64]:
    """Segment id per series: class code times 4 plus the volume quartile within the class."""
    code = np.array([CLASS_CODES.index(str(c)) for c in labels], dtype=np.int64)
    quart = np.zeros(labels.shape[0], dtype=np.int64)
    for c in np.unique(code):
        rows = code == c
        ranks = np.argsort(np.argsort(rate[rows], kind="stable"), kind="stable")
        quart[rows] = (4 * ranks) // max(int(rows.sum()), 1)
    return code * 4 + quart


def select(
    losses: FloatArray,
    counts: npt.NDArray[np.int64],
    segment: npt.NDArray[np.int64],
    *,
    margin: float,
    default: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Model index per series and whether the series was scored.

    ``losses`` is ``(models, series)`` (NaN when unscored), ``counts`` the scored periods.
    """
    has = np.asarray(~np.isnan(losses).all(axis=0), dtype=bool)
    filled = np.where(np.isnan(losses), np.inf, losses)
    own = np.argmin(filled, axis=0)
    weighted = np.where(np.isnan(losses), 0.0, losses * counts[None, :])
    pick = np.full(losses.shape[1], default, dtype=np.int64)
    for s in np.unique(segment):
        rows = segment == s
        if not has[rows].any():
            continue
        seg_model = int(np.argmin(weighted[:, rows].sum(axis=1)))
        seg_loss = filled[seg_model, rows]
        own_rows = own[rows]
        own_loss = filled[own_rows, np.flatnonzero(rows)]
        limit = np.where(np.isfinite(seg_loss), (1.0 - margin) * seg_loss, np.inf)
        better = has[rows] & (own_loss < limit)
        pick[rows] = np.where(better, own_rows, seg_model)
    return pick, has
