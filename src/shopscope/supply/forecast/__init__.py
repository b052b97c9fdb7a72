"""Demand forecasting per SKU, category or in total, at day or week grain.

Batch models over all series at once, intermittent-demand models for the long tail, statsforecast
models for the head where they pay, chosen per series by a rolling-origin backtest. See
``docs/methods/forecasting.md``.
"""

from __future__ import annotations

from shopscope.supply.forecast.batch import BATCH_MODELS as BATCH_MODELS
from shopscope.supply.forecast.config import ForecastConfig as ForecastConfig
from shopscope.supply.forecast.forecaster import forecast_panel as forecast_panel
from shopscope.supply.forecast.heavy import HEAVY_MODELS as HEAVY_MODELS
from shopscope.supply.forecast.heavy import HeavyRun as HeavyRun
from shopscope.supply.forecast.series import DemandPanel as DemandPanel
from shopscope.supply.forecast.series import Grain as Grain
from shopscope.supply.forecast.series import Level as Level
from shopscope.supply.forecast.series import demand_panel as demand_panel
from shopscope.supply.forecast.summary import Accuracy as Accuracy
from shopscope.supply.forecast.summary import ForecastResult as ForecastResult

__all__ = [
    "BATCH_MODELS",
    "HEAVY_MODELS",
    "Accuracy",
    "DemandPanel",
    "ForecastConfig",
    "ForecastResult",
    "Grain",
    "HeavyRun",
    "Level",
    "demand_panel",
    "forecast_panel",
]
