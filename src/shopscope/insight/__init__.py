"""Business analytics: KPIs, time series, breakdowns, drivers, cohorts, anomalies, live today."""

from shopscope.insight.breakdowns import DIMENSIONS as DIMENSIONS
from shopscope.insight.breakdowns import Mover as Mover
from shopscope.insight.breakdowns import breakdown as breakdown
from shopscope.insight.breakdowns import movers as movers
from shopscope.insight.kpis import KPI_DEFINITIONS as KPI_DEFINITIONS
from shopscope.insight.kpis import KPI_KEYS as KPI_KEYS
from shopscope.insight.kpis import KpiComparison as KpiComparison
from shopscope.insight.kpis import KpiSet as KpiSet
from shopscope.insight.kpis import KpiValue as KpiValue
from shopscope.insight.kpis import compare_kpis as compare_kpis
from shopscope.insight.kpis import compute_kpis as compute_kpis
from shopscope.insight.periods import DateRange as DateRange
from shopscope.insight.periods import comparison_range as comparison_range
from shopscope.insight.periods import resolve_range as resolve_range
from shopscope.insight.timeseries import kpi_series as kpi_series
from shopscope.insight.timeseries import series_with_comparison as series_with_comparison

__all__ = [
    "DIMENSIONS",
    "KPI_DEFINITIONS",
    "KPI_KEYS",
    "DateRange",
    "KpiComparison",
    "KpiSet",
    "KpiValue",
    "Mover",
    "breakdown",
    "compare_kpis",
    "comparison_range",
    "compute_kpis",
    "kpi_series",
    "movers",
    "resolve_range",
    "series_with_comparison",
]
