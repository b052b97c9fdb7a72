"""Budget allocation: response curves per channel and the spend split that maximises them."""

from __future__ import annotations

from shopscope.acquisition.budget.allocate import AllocationPlan as AllocationPlan
from shopscope.acquisition.budget.allocate import ChannelAllocation as ChannelAllocation
from shopscope.acquisition.budget.allocate import allocate_budget as allocate_budget
from shopscope.acquisition.budget.allocate import plan_weeks as plan_weeks
from shopscope.acquisition.budget.response import OBSERVATIONAL_NOTE as OBSERVATIONAL_NOTE
from shopscope.acquisition.budget.response import ResponseCurve as ResponseCurve
from shopscope.acquisition.budget.response import ResponseModel as ResponseModel
from shopscope.acquisition.budget.series import current_spend as current_spend
from shopscope.acquisition.budget.series import daily_series as daily_series
from shopscope.acquisition.budget.series import fit_response_curves as fit_response_curves

__all__ = [
    "OBSERVATIONAL_NOTE",
    "AllocationPlan",
    "ChannelAllocation",
    "ResponseCurve",
    "ResponseModel",
    "allocate_budget",
    "current_spend",
    "daily_series",
    "fit_response_curves",
    "plan_weeks",
]
