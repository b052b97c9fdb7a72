"""Conversion queries in the DuckDB/Spark parity suite (found by ``discover_parity_queries``).

They run the same Ibis builders the analyses execute: per-unit funnel depth (loose and strict
order, per user and per session), per-SKU product-page conversion, and an experiment's per-arm
sufficient statistics (the first experiment id in the events).
"""

from __future__ import annotations

from datetime import timedelta

import ibis.expr.types as ir

from shopscope.conversion.experiments.assignment import arm_sums_table
from shopscope.conversion.experiments.metrics import resolve_metrics
from shopscope.conversion.funnels import funnel_units
from shopscope.conversion.products import product_conversion_table
from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.parity.registry import parity_query

__all__: list[str] = []

_STEPS = ("product_view", "add_to_cart", "purchase")


@parity_query("conversion_funnel_loose_user", sort_by=("uid",))
def _funnel_loose(wh: Warehouse) -> ir.Table:
    """Depth and time to convert per user, loose order, 1-day window."""
    return funnel_units(wh, _STEPS, window=timedelta(days=1)).select("uid", "depth", "seconds")


@parity_query("conversion_funnel_strict_session", sort_by=("uid",))
def _funnel_strict(wh: Warehouse) -> ir.Table:
    """Depth and time to convert per session, strict order (window functions), 2-hour window."""
    units = funnel_units(wh, _STEPS, window=timedelta(hours=2), per="session", order="strict")
    return units.select("uid", "depth", "seconds")


@parity_query("conversion_product_pages", sort_by=("sku",))
def _products(wh: Warehouse) -> ir.Table:
    """Views, carts and purchases per SKU, by session."""
    return product_conversion_table(wh)


@parity_query("conversion_experiment_sums", sort_by=("variant",), tolerance=1e-9)
def _experiment(wh: Warehouse) -> ir.Table:
    """Per-arm n and sums of conversion, revenue and AOV (with CUPED covariates)."""
    ev = wh.table("events")
    first = ev.filter(ev.experiment_id.notnull()).experiment_id.min().to_pyarrow().as_py()
    metrics = resolve_metrics(["conversion", "revenue", "aov"])
    return arm_sums_table(wh, str(first), metrics)
