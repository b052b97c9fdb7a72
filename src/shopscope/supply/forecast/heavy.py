"""statsforecast models for the head of the catalogue, run only where the backtest says they pay.

A statsforecast model costs 0.05-0.25 s per two-year daily series, about a thousand times a batch
model, so it is tried on at most ``max_series`` head series (smooth or erratic demand, by volume),
in chunks. A series adopts the model when its backtest MAE beats the best batch model by more
than ``margin``; when a whole chunk adopts it for fewer than ``min_adoption`` of its series, the
remaining head is not tried (the backtest says it does not pay).

Per series the model is fitted once, on the first backtest window; the later windows reuse
those parameters through statsforecast's ``forward`` (as its ``cross_validation`` does with
``refit=False``), and an adopted model is refitted on the whole history for the forecast.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from shopscope.errors import InvalidInputError
from shopscope.supply.forecast.smoothing import FloatArray

__all__ = ["HEAVY_MODELS", "HeavyOutcome", "HeavyRun", "heavy_model", "run_heavy"]

log = logging.getLogger(__name__)

HEAVY_MODELS = ("AutoETS", "AutoTheta", "AutoARIMA", "DynamicOptimizedTheta")
"""statsforecast models that can be named in ``ForecastConfig.heavy_models``."""


def heavy_model(name: str, season: int) -> Any:
    """A fresh statsforecast model ``name`` with season length ``season``."""
    from statsforecast import models

    if name not in HEAVY_MODELS:
        raise InvalidInputError(
            f"Unknown statsforecast model {name!r}; use one of {', '.join(HEAVY_MODELS)}."
        )
    return getattr(models, name)(season_length=season)


@dataclass(frozen=True)
class HeavyRun:
    """What the statsforecast stage did: series tried and adopted per model, and its time."""

    models: tuple[str, ...]
    tried: int
    adopted: int
    stopped_early: bool
    seconds: float


def _backtest_one(
    factory: Callable[[], Any], y: FloatArray, cuts: tuple[int, ...], horizon: int
) -> FloatArray:
    model = factory()
    model.fit(y=y[: cuts[0]])
    out = [np.asarray(model.predict(h=horizon)["mean"], dtype=float)]
    for cut in cuts[1:]:
        out.append(np.asarray(model.forward(y=y[:cut], h=horizon)["mean"], dtype=float))
    return np.asarray(np.maximum(np.stack(out), 0.0), dtype=np.float64)


@dataclass(frozen=True)
class HeavyOutcome:
    """Per tried row, each model's backtest forecasts ``(W, h)``; adopted rows' forecasts."""

    backtests: dict[int, dict[str, FloatArray]]
    adopted: dict[int, tuple[str, FloatArray]]
    run: HeavyRun


def run_heavy(
    clean: FloatArray,
    rows: np.ndarray,
    best_loss: FloatArray,
    actual: FloatArray,
    scored: np.ndarray,
    boost: FloatArray,
    *,
    names: tuple[str, ...],
    cuts: tuple[int, ...],
    horizon: int,
    season: int,
    margin: float,
    criterion: str = "mae",
    chunk: int = 25,
    min_adoption: float = 0.1,
) -> HeavyOutcome:
    """Backtest ``names`` on ``rows`` (head first) and adopt them where they pay.

    ``clean`` is the imputed history ``(n, T)``; window ``w`` sees its first ``cuts[w]``
    periods. ``best_loss`` is the batch winner's backtest loss (``criterion``: mean absolute or
    squared error); ``actual``, ``scored`` and ``boost`` are the batch backtest's arrays.
    """
    start = time.perf_counter()
    backtests: dict[int, dict[str, FloatArray]] = {}
    adopted: dict[int, tuple[str, FloatArray]] = {}
    stopped = False
    power = 1 if criterion == "mae" else 2
    for lo in range(0, len(rows), chunk):
        part = rows[lo : lo + chunk]
        won = 0
        for r in part:
            row = int(r)
            backtests[row] = {}
            best_name, best = "", float(best_loss[row]) * (1.0 - margin)
            for name in names:
                try:
                    factory = functools.partial(heavy_model, name, season)
                    fc = _backtest_one(factory, clean[row], cuts, horizon)
                except Exception as exc:  # a failed fit leaves the batch model in place
                    log.debug("statsforecast %s failed on row %d: %s", name, row, exc)
                    continue
                backtests[row][name] = fc * boost
                err = np.abs(fc * boost - actual[row])[scored[row]]
                loss = float((err**power).mean()) if err.size else np.inf
                if loss < best:
                    best_name, best = name, loss
            if best_name:
                model = heavy_model(best_name, season)
                final = np.asarray(model.forecast(y=clean[row], h=horizon)["mean"], float)
                adopted[row] = (best_name, np.maximum(final, 0.0))
                won += 1
        if won < min_adoption * len(part):
            stopped = lo + chunk < len(rows)
            break
    seconds = time.perf_counter() - start
    run = HeavyRun(names, len(backtests), len(adopted), stopped, seconds)
    return HeavyOutcome(backtests, adopted, run)
