"""Acquisition: channel performance, multi-touch attribution, cohort economics, budgets.

See ``docs/methods/channels.md``, ``docs/methods/attribution.md`` and ``docs/methods/budget.md``.
"""

from __future__ import annotations

from shopscope.acquisition.attribution import ALL_MODELS as ALL_MODELS
from shopscope.acquisition.attribution import AttributionReport as AttributionReport
from shopscope.acquisition.attribution import attribution_report as attribution_report
from shopscope.acquisition.budget import AllocationPlan as AllocationPlan
from shopscope.acquisition.budget import ResponseCurve as ResponseCurve
from shopscope.acquisition.budget import allocate_budget as allocate_budget
from shopscope.acquisition.budget import fit_response_curves as fit_response_curves
from shopscope.acquisition.channels import ChannelRules as ChannelRules
from shopscope.acquisition.channels import classify as classify
from shopscope.acquisition.channels import load_channel_rules as load_channel_rules
from shopscope.acquisition.channels import sessions as sessions
from shopscope.acquisition.cohorts import CohortEconomics as CohortEconomics
from shopscope.acquisition.cohorts import cohort_economics as cohort_economics
from shopscope.acquisition.paths import PathOptions as PathOptions
from shopscope.acquisition.paths import touchpoints as touchpoints
from shopscope.acquisition.performance import ChannelReport as ChannelReport
from shopscope.acquisition.performance import channel_report as channel_report
from shopscope.acquisition.performance import channel_table as channel_table

__all__ = [
    "ALL_MODELS",
    "AllocationPlan",
    "AttributionReport",
    "ChannelReport",
    "ChannelRules",
    "CohortEconomics",
    "PathOptions",
    "ResponseCurve",
    "allocate_budget",
    "attribution_report",
    "channel_report",
    "channel_table",
    "classify",
    "cohort_economics",
    "fit_response_curves",
    "load_channel_rules",
    "sessions",
    "touchpoints",
]
