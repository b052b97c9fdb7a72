"""Result types of a forecast run: per-series accuracy, forecasts with intervals, aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from shopscope.supply.forecast.backtest import Scores
from shopscope.supply.forecast.heavy import HeavyRun
from shopscope.supply.forecast.smoothing import FloatArray

__all__ = ["Accuracy", "DemandClasses", "ForecastResult", "aggregate", "demand_classes"]


@dataclass(frozen=True)
class DemandClasses:
    """Syntetos-Boylan-Croston classes from ADI and the CV² of non-zero demand.

    Syntetos, Boylan & Croston (2005), "On the categorization of demand patterns", JORS 56(5):
    smooth (ADI < 1.32, CV² < 0.49), erratic (ADI < 1.32), intermittent (CV² < 0.49), lumpy.
    ``adi`` counts periods from the first sale; series without demand are ``none``.
    """

    adi: FloatArray
    cv2: FloatArray
    label: npt.NDArray[np.str_]


def demand_classes(y: FloatArray, listed: npt.NDArray[np.bool_]) -> DemandClasses:
    """Classify every row of ``y`` (periods before the first sale are not counted)."""
    hits = y > 0
    count = hits.sum(axis=1)
    adi = np.where(count > 0, listed.sum(axis=1) / np.maximum(count, 1), np.nan)
    sizes = np.where(hits, y, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(sizes, axis=1) / np.maximum(count, 1)
        var = np.nansum((sizes - mean[:, None]) ** 2, axis=1) / np.maximum(count, 1)
        cv2 = np.where(count > 0, var / np.where(mean > 0, mean, 1.0) ** 2, np.nan)
    frequent = adi < 1.32
    steady = cv2 < 0.49
    label = np.where(
        count == 0,
        "none",
        np.where(
            frequent,
            np.where(steady, "smooth", "erratic"),
            np.where(steady, "intermittent", "lumpy"),
        ),
    )
    return DemandClasses(adi, cv2, label)


@dataclass(frozen=True)
class Accuracy:
    """Backtest accuracy of one model (or the per-series selection) over many series.

    ``wape`` and ``bias`` pool errors over series (Σ|e| / Σ actual, Σe / Σ actual); ``mase`` is
    the mean and ``mase_median`` the median of the per-series MASE; ``selected`` counts series
    whose forecast uses the model.
    """

    model: str
    series: int
    wape: float | None
    mase: float | None
    mase_median: float | None
    bias: float | None
    selected: int


def aggregate(name: str, s: Scores, rows: npt.NDArray[np.bool_], selected: int) -> Accuracy:
    """Pool ``s`` over ``rows``."""
    total = float(s.actual[rows].sum())
    mase = s.mase[rows]
    mase = mase[np.isfinite(mase)]
    return Accuracy(
        model=name,
        series=int(rows.sum()),
        wape=float(s.abs_error[rows].sum()) / total if total > 0 else None,
        mase=float(mase.mean()) if mase.size else None,
        mase_median=float(np.median(mase)) if mase.size else None,
        bias=float(s.error[rows].sum()) / total if total > 0 else None,
        selected=selected,
    )


@dataclass(frozen=True)
class ForecastResult:
    """A forecast run.

    Attributes
    ----------
    grain, horizon, season, coverage
        The run's settings (``coverage`` of the prediction intervals).
    backtest_origins
        First day forecast by each backtest window.
    series
        Arrow table, one row per series: ``series_id, status`` (ok, one_sale, all_zero),
        ``demand_class, adi, cv2, model, mae, mase, wape, bias, rmse`` (backtest, per period),
        ``scored_periods, history_units, forecast_units`` (sum over the horizon).
    forecast
        Arrow table ``series_id, date, forecast, lower, upper, promo``.
    accuracy
        The selection (``model = "selected"``) and each batch model used everywhere, pooled.
    promo_uplift
        Pooled demand multiplier on promotion periods (1 without promotions).
    heavy
        What the statsforecast stage tried and adopted.
    error_growth
        Exponent ``b`` with which the spread of the summed forecast error grows over ``k``
        periods, ``sd_k = sd_1 k^b``, fitted to the backtest residuals pooled over series
        (0.5 for independent errors, towards 1 when errors persist), in [0.5, 1].
    """

    grain: str
    horizon: int
    season: int
    coverage: float
    backtest_origins: tuple[date, ...]
    series: pa.Table
    forecast: pa.Table
    accuracy: tuple[Accuracy, ...]
    promo_uplift: float
    heavy: HeavyRun
    error_growth: float = 0.5

    def selected(self) -> Accuracy:
        """Accuracy of the per-series selection."""
        return next(a for a in self.accuracy if a.model == "selected")

    def model_accuracy(self, model: str) -> Accuracy:
        """Accuracy of batch model ``model`` used for every series."""
        return next(a for a in self.accuracy if a.model == model)
