"""Acquisition queries in the DuckDB/Spark parity suite (found by ``discover_parity_queries``).

They run the same Ibis builders the API executes: sessions with their channel, the channel
performance table, touchpoint paths, rule-based credits, Markov transition counts, Shapley
coalitions and the budget planner's daily series.
"""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from shopscope.acquisition.attribution.heuristics import HEURISTIC_MODELS, heuristic_credits
from shopscope.acquisition.attribution.markov import transitions
from shopscope.acquisition.attribution.shapley import coalitions
from shopscope.acquisition.budget.series import daily_table
from shopscope.acquisition.channels import load_channel_rules, sessions
from shopscope.acquisition.paths import PathOptions, touchpoints
from shopscope.acquisition.performance import channel_table
from shopscope.insight.periods import DateRange
from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.parity.registry import parity_query, register_parity_query

__all__: list[str] = []

PERIOD = DateRange(date(2026, 1, 15), date(2026, 3, 31))
_OPTIONS = PathOptions(lookback_days=30, max_touches=4)


@parity_query("acquisition_sessions", sort_by=("session_id",))
def _sessions(wh: Warehouse) -> ir.Table:
    """Sessions with landing tags (first event), stitched user and rule-table channel."""
    return sessions(wh)


@parity_query("acquisition_channel_table", sort_by=("channel",))
def _channels(wh: Warehouse) -> ir.Table:
    """Channel performance: sessions, orders, new customers, spend and ratios."""
    return channel_table(wh, PERIOD)


@parity_query("acquisition_channel_table_campaign", sort_by=("channel", "campaign"))
def _campaigns(wh: Warehouse) -> ir.Table:
    """Campaign performance (sessions and spend)."""
    return channel_table(wh, PERIOD, by="campaign")


@parity_query("acquisition_channel_table_day", sort_by=("channel", "day"))
def _days(wh: Warehouse) -> ir.Table:
    """Channel performance per day."""
    return channel_table(wh, PERIOD, by="day")


@parity_query("acquisition_touchpoints", sort_by=("path_id", "position"))
def _touchpoints(wh: Warehouse) -> ir.Table:
    """Paths: touches within 30 days, capped at 4 touches, converting and not."""
    return touchpoints(wh, options=_OPTIONS)


def _credits(model: str) -> object:
    def build(wh: Warehouse) -> ir.Table:
        return heuristic_credits(touchpoints(wh, options=_OPTIONS), model)  # type: ignore[arg-type]

    return build


for _model in HEURISTIC_MODELS:
    register_parity_query(
        f"acquisition_credits_{_model}",
        _credits(_model),  # type: ignore[arg-type]
        sort_by=("channel",),
        description=f"Rule-based attribution credits: {_model}.",
    )


@parity_query("acquisition_markov_transitions", sort_by=("from_state", "to_state"))
def _markov1(wh: Warehouse) -> ir.Table:
    """First-order Markov transition counts."""
    return transitions(touchpoints(wh, options=_OPTIONS), order=1)


@parity_query("acquisition_markov_transitions_order2", sort_by=("from_state", "to_state"))
def _markov2(wh: Warehouse) -> ir.Table:
    """Second-order Markov transition counts (states are channel pairs)."""
    return transitions(touchpoints(wh, options=_OPTIONS), order=2)


@parity_query("acquisition_shapley_coalitions", sort_by=("mask",))
def _coalitions(wh: Warehouse) -> ir.Table:
    """Shapley coalitions: paths, conversions and value per set of channels."""
    return coalitions(touchpoints(wh, options=_OPTIONS), load_channel_rules().channels)


@parity_query("acquisition_budget_daily", sort_by=("channel", "day"))
def _daily(wh: Warehouse) -> ir.Table:
    """Daily spend, new customers and revenue per spend channel (response-curve input)."""
    return daily_table(wh)
