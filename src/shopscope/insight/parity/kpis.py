"""KPI, breakdown and series queries in the DuckDB/Spark parity suite (fixed period)."""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from shopscope.insight.breakdowns import breakdown_table
from shopscope.insight.kpis import KPI_KEYS, kpi_table, whole_period
from shopscope.insight.periods import DateRange
from shopscope.insight.timeseries import series_table
from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.parity.registry import parity_query

__all__: list[str] = []

PERIOD = DateRange(date(2026, 2, 1), date(2026, 3, 31))
"""Inside the parity shop's 120 days, with the month-boundary timestamps at its edges."""

_ORDER_KPIS = ("net_revenue", "orders", "aov", "customers", "new_customers", "gross_margin")


@parity_query("insight_kpi_set", sort_by=("member",))
def _kpi_set(wh: Warehouse) -> ir.Table:
    """Every KPI of the fixed period (one row)."""
    t = kpi_table(wh, PERIOD, KPI_KEYS, whole_period(PERIOD))
    return t.select("member", *KPI_KEYS)


@parity_query("insight_breakdown_channel", sort_by=("member",))
def _by_channel(wh: Warehouse) -> ir.Table:
    """Order KPIs per channel (order-level dimension)."""
    return breakdown_table(wh, PERIOD, "channel", kpis=(*_ORDER_KPIS, "return_rate"))


@parity_query("insight_breakdown_category", sort_by=("member",))
def _by_category(wh: Warehouse) -> ir.Table:
    """Order KPIs per category (line-level: order discounts allocated by value)."""
    return breakdown_table(wh, PERIOD, "category", kpis=_ORDER_KPIS)


@parity_query("insight_breakdown_segment", sort_by=("member",))
def _by_segment(wh: Warehouse) -> ir.Table:
    """Order KPIs per customer value tier (cume_dist of spend before the period)."""
    return breakdown_table(wh, PERIOD, "segment", kpis=("net_revenue", "orders", "customers"))


@parity_query("insight_series_week", sort_by=("bucket",))
def _weekly(wh: Warehouse) -> ir.Table:
    """Weekly net revenue, orders, new customers and conversion rate."""
    return series_table(
        wh,
        PERIOD,
        grain="week",
        kpis=("net_revenue", "orders", "new_customers", "repeat_purchase_rate", "conversion_rate"),
    )
