"""Multi-touch attribution: rule-based models, Markov removal effects, Shapley values."""

from __future__ import annotations

from shopscope.acquisition.attribution.compare import ALL_MODELS as ALL_MODELS
from shopscope.acquisition.attribution.compare import AttributionReport as AttributionReport
from shopscope.acquisition.attribution.compare import ChannelCredit as ChannelCredit
from shopscope.acquisition.attribution.compare import attribution_report as attribution_report
from shopscope.acquisition.attribution.heuristics import HEURISTIC_MODELS as HEURISTIC_MODELS
from shopscope.acquisition.attribution.heuristics import HeuristicParams as HeuristicParams
from shopscope.acquisition.attribution.heuristics import heuristic_credits as heuristic_credits
from shopscope.acquisition.attribution.markov import MarkovAttribution as MarkovAttribution
from shopscope.acquisition.attribution.markov import transitions as transitions
from shopscope.acquisition.attribution.shapley import ShapleyResult as ShapleyResult
from shopscope.acquisition.attribution.shapley import coalitions as coalitions
from shopscope.acquisition.attribution.shapley import shapley_values as shapley_values

__all__ = [
    "ALL_MODELS",
    "HEURISTIC_MODELS",
    "AttributionReport",
    "ChannelCredit",
    "HeuristicParams",
    "MarkovAttribution",
    "ShapleyResult",
    "attribution_report",
    "coalitions",
    "heuristic_credits",
    "shapley_values",
    "transitions",
]
