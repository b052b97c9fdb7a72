"""Parameters of a forecast run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from shopscope.errors import InvalidInputError
from shopscope.supply.forecast.batch import BATCH_MODELS
from shopscope.supply.forecast.heavy import HEAVY_MODELS

__all__ = ["BENCHMARK", "Criterion", "ForecastConfig"]

BENCHMARK = "seasonal_naive"
"""The model every selection is reported against."""

Criterion = Literal["mae", "mse"]
"""Selection loss: mean absolute or mean squared error."""


@dataclass(frozen=True)
class ForecastConfig:
    """Parameters of a forecast run (validated on creation).

    Attributes
    ----------
    horizon
        Periods to forecast (also the backtest horizon). Default 28 days / 8 weeks.
    windows, step
        Rolling-origin windows and the periods between their origins (default: ``horizon``).
    season
        Season length (default 7 for days, 52 for weeks).
    models
        Batch candidates (names of ``BATCH_MODELS``). The seasonal naive benchmark is always
        backtested and reported; it is a candidate only when listed here (it is not by
        default: out of sample it repeats last season's chance sales of sparse series).
    heavy_models, heavy_series, heavy_margin
        statsforecast models tried on at most ``heavy_series`` head series, adopted when their
        backtest MAE is more than ``heavy_margin`` below the batch winner's. ``()`` disables.
    series_margin
        A series keeps its own backtest winner only when it beats its segment's model by
        more than this share (see :mod:`.selection`); 1 selects by segment only.
    criterion
        Selection loss: ``"mae"`` (the default; best WAPE/MASE, median-like forecasts) or
        ``"mse"`` (mean-unbiased forecasts, what inventory planning needs).
    coverage
        Prediction-interval coverage, in (0, 1).
    future_promo
        Dates of planned promotion periods within the horizon.
    """

    horizon: int | None = None
    windows: int = 3
    step: int | None = None
    season: int | None = None
    models: tuple[str, ...] = tuple(m for m in BATCH_MODELS if m != BENCHMARK)
    heavy_models: tuple[str, ...] = ("AutoETS",)
    heavy_series: int = 50
    heavy_margin: float = 0.02
    criterion: Criterion = "mae"
    series_margin: float = 0.25
    coverage: float = 0.8
    future_promo: tuple[date, ...] = field(default=())

    def __post_init__(self) -> None:
        unknown = [m for m in self.models if m not in BATCH_MODELS]
        if unknown or not self.models:
            raise InvalidInputError(
                f"Unknown batch model {unknown or '(none)'}; use some of {', '.join(BATCH_MODELS)}."
            )
        bad = [m for m in self.heavy_models if m not in HEAVY_MODELS]
        if bad:
            raise InvalidInputError(
                f"Unknown statsforecast model {bad}; use some of {', '.join(HEAVY_MODELS)}."
            )
        for name in ("horizon", "step", "season"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise InvalidInputError(f"{name} = {value}; it must be a positive integer.")
        if self.windows < 1:
            raise InvalidInputError(f"windows = {self.windows}; use at least 1.")
        if self.criterion not in ("mae", "mse"):
            raise InvalidInputError(f"criterion = {self.criterion!r}; use mae or mse.")
        if not 0 < self.coverage < 1:
            raise InvalidInputError(f"coverage = {self.coverage}; use a value in (0, 1).")
        if not 0 <= self.series_margin <= 1:
            raise InvalidInputError(f"series_margin = {self.series_margin}; use [0, 1].")
        if self.heavy_series < 0 or not 0 <= self.heavy_margin < 1:
            raise InvalidInputError("heavy_series must be >= 0 and heavy_margin in [0, 1).")
