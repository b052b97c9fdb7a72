"""Parity queries for cohorts and the daily KPI table (DuckDB vs Spark).

They run the same Ibis builders the API executes: :func:`~shopscope.insight.cohorts.
cohort_activity` (monthly and weekly, plus by acquisition channel) and
:func:`~shopscope.insight.anomalies.daily_kpi_table` over all the data.
"""

from __future__ import annotations

import ibis.expr.types as ir

from shopscope.insight.anomalies import daily_kpi_table
from shopscope.insight.cohorts import cohort_activity, sale_orders
from shopscope.insight.periods import data_range
from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.parity.registry import parity_query

__all__: list[str] = []


@parity_query("insight_sale_orders", sort_by=("order_id",))
def _sale_orders(wh: Warehouse) -> ir.Table:
    """Sale orders with their goods revenue (the shared sale-order definition)."""
    return sale_orders(wh)


@parity_query("insight_cohorts_month", sort_by=("cohort", "period"))
def _cohorts_month(wh: Warehouse) -> ir.Table:
    """Customers, orders and revenue per monthly acquisition cohort and month since."""
    return cohort_activity(wh, grain="month")


@parity_query("insight_cohorts_week", sort_by=("cohort", "period"))
def _cohorts_week(wh: Warehouse) -> ir.Table:
    """Customers, orders and revenue per weekly (Monday) cohort and week since."""
    return cohort_activity(wh, grain="week")


@parity_query("insight_cohorts_by_channel", sort_by=("channel", "cohort", "period"))
def _cohorts_by_channel(wh: Warehouse) -> ir.Table:
    """Monthly cohort activity split by acquisition channel (the LTV curves' input)."""
    return cohort_activity(wh, grain="month", by="channel")


@parity_query("insight_daily_kpis", sort_by=("day",))
def _daily_kpis(wh: Warehouse) -> ir.Table:
    """Revenue, orders, sessions and purchase sessions per day over all the data."""
    period = data_range(wh)
    assert period is not None, "the parity shops have orders"
    return daily_kpi_table(wh, period)
