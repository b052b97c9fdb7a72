"""Retention queries in the DuckDB/Spark parity suite (found by ``discover_parity_queries``).

They run the same Ibis builders the analyses execute: the buy-till-you-die summary
(:func:`~shopscope.retention.clv.summary.rfm_summary_table`, with a holdout) and the RFM
scores and segments (:func:`~shopscope.retention.rfm.rfm_table`, 5 and 3 bins). The dates lie
inside both parity shops (the synthetic 120 days from 2026-01-01 and the demo store).
"""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from shopscope.retention.clv.summary import rfm_summary_table
from shopscope.retention.rfm import rfm_table
from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.parity.registry import parity_query

__all__: list[str] = []

CALIBRATION_END = date(2026, 3, 31)
OBSERVATION_END = date(2026, 4, 30)
AS_OF = date(2026, 4, 1)


@parity_query("retention_rfm_summary_week", sort_by=("customer_id",))
def _summary_week(wh: Warehouse) -> ir.Table:
    """(x, t_x, T, monetary, x_holdout) per customer in weeks: the CLV models' input."""
    return rfm_summary_table(
        wh, calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END, time_unit="week"
    )


@parity_query("retention_rfm_summary_day", sort_by=("customer_id",))
def _summary_day(wh: Warehouse) -> ir.Table:
    """The same summary in days, calibration only."""
    return rfm_summary_table(wh, calibration_end=CALIBRATION_END, time_unit="day")


@parity_query("retention_rfm_scores_5", sort_by=("customer_id",))
def _rfm_5(wh: Warehouse) -> ir.Table:
    """RFM measures, quantile scores (5 bins, ties share the lower score) and segments."""
    return rfm_table(wh, as_of=AS_OF, bins=5)


@parity_query("retention_rfm_scores_3", sort_by=("customer_id",))
def _rfm_3(wh: Warehouse) -> ir.Table:
    """RFM with 3 bins."""
    return rfm_table(wh, as_of=AS_OF, bins=3)
