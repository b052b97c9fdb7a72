"""Supply queries in the DuckDB/Spark parity suite (found by ``discover_parity_queries``).

They run the same Ibis builders the assortment analyses execute: the ABC Pareto table (a
cumulative window with a tie-break), the XYZ weekly moments and the basket pair counts (a
self-join with an inequality, after Apriori pruning), over a fixed period of the parity shop.
"""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from shopscope.insight.periods import DateRange
from shopscope.supply.assortment.abc_xyz import abc_table, xyz_table
from shopscope.supply.assortment.basket import baskets, pair_counts
from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.parity.registry import parity_query

__all__: list[str] = []

PERIOD = DateRange(date(2026, 1, 1), date(2026, 4, 30))
"""The parity shop's 120 days."""


@parity_query("supply_abc_revenue", sort_by=("sku",))
def _abc_revenue(wh: Warehouse) -> ir.Table:
    """ABC classes by revenue: value, share, cumulative share and class per SKU."""
    return abc_table(wh, PERIOD, by="revenue")


@parity_query("supply_abc_margin", sort_by=("sku",))
def _abc_margin(wh: Warehouse) -> ir.Table:
    """ABC classes by margin (SKUs with a unit cost)."""
    return abc_table(wh, PERIOD, by="margin")


@parity_query("supply_xyz", sort_by=("sku",))
def _xyz(wh: Warehouse) -> ir.Table:
    """Weekly mean units, CV and XYZ class per SKU (Monday weeks)."""
    return xyz_table(wh, PERIOD)


@parity_query("supply_basket_pairs", sort_by=("sku_a", "sku_b"))
def _pairs(wh: Warehouse) -> ir.Table:
    """Orders holding both SKUs of each pair seen at least twice."""
    return pair_counts(baskets(wh, PERIOD), min_count=2)
