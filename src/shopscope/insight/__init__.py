"""Business analytics: KPIs, time series, breakdowns, drivers, cohorts, anomalies, live today."""

from shopscope.insight.periods import DateRange as DateRange
from shopscope.insight.periods import comparison_range as comparison_range
from shopscope.insight.periods import resolve_range as resolve_range

__all__ = ["DateRange", "comparison_range", "resolve_range"]
