"""Business analytics: KPIs, time series, breakdowns, drivers, cohorts, anomalies, live today."""

from shopscope.insight.anomalies import Anomaly as Anomaly
from shopscope.insight.anomalies import detect_anomalies as detect_anomalies
from shopscope.insight.breakdowns import DIMENSIONS as DIMENSIONS
from shopscope.insight.breakdowns import Mover as Mover
from shopscope.insight.breakdowns import breakdown as breakdown
from shopscope.insight.breakdowns import movers as movers
from shopscope.insight.cohorts import CohortMatrix as CohortMatrix
from shopscope.insight.cohorts import cohort_matrix as cohort_matrix
from shopscope.insight.cohorts import ltv_curves as ltv_curves
from shopscope.insight.drivers import DriverReport as DriverReport
from shopscope.insight.drivers import explain_revenue_change as explain_revenue_change
from shopscope.insight.kpis import KPI_DEFINITIONS as KPI_DEFINITIONS
from shopscope.insight.kpis import KPI_KEYS as KPI_KEYS
from shopscope.insight.kpis import KpiComparison as KpiComparison
from shopscope.insight.kpis import KpiSet as KpiSet
from shopscope.insight.kpis import KpiValue as KpiValue
from shopscope.insight.kpis import compare_kpis as compare_kpis
from shopscope.insight.kpis import compute_kpis as compute_kpis
from shopscope.insight.live import LiveToday as LiveToday
from shopscope.insight.live import live_today as live_today
from shopscope.insight.periods import DateRange as DateRange
from shopscope.insight.periods import comparison_range as comparison_range
from shopscope.insight.periods import resolve_range as resolve_range
from shopscope.insight.report import Report as Report
from shopscope.insight.report import build_report as build_report
from shopscope.insight.timeseries import kpi_series as kpi_series
from shopscope.insight.timeseries import series_with_comparison as series_with_comparison

__all__ = [
    "DIMENSIONS",
    "KPI_DEFINITIONS",
    "KPI_KEYS",
    "Anomaly",
    "CohortMatrix",
    "DateRange",
    "DriverReport",
    "KpiComparison",
    "KpiSet",
    "KpiValue",
    "LiveToday",
    "Mover",
    "Report",
    "breakdown",
    "build_report",
    "cohort_matrix",
    "compare_kpis",
    "comparison_range",
    "compute_kpis",
    "detect_anomalies",
    "explain_revenue_change",
    "kpi_series",
    "live_today",
    "ltv_curves",
    "movers",
    "resolve_range",
    "series_with_comparison",
]
