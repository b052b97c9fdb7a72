"""Sold goods lines: the shared input of ABC/XYZ, basket rules, elasticity and slotting.

A *sold line* is a line of a sale order (:func:`shopscope.insight.cohorts.sale_orders`) with a
positive quantity whose SKU is goods (``item_kind`` in
:data:`~shopscope.insight.definitions.GOODS_KINDS`, or no products row). Its revenue is
``quantity × unit_price − discount_amount`` (the line discount, 0 when null).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from shopscope.errors import NotFoundError
from shopscope.insight.cohorts import sale_orders
from shopscope.insight.definitions import GOODS_KINDS
from shopscope.insight.periods import DateRange, data_range, in_range

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["resolve_period", "sold_lines"]


def resolve_period(wh: Warehouse, period: DateRange | None) -> DateRange:
    """``period``, or all the data when ``None``; raises when there are no orders."""
    if period is not None:
        return period
    found = data_range(wh)
    if found is None:
        raise NotFoundError("The warehouse has no orders; load data first (shopscope ingest).")
    return found


def sold_lines(wh: Warehouse, period: DateRange | None = None) -> ir.Table:
    """Sold goods lines: order_id, ordered_at, sku, quantity, unit_price, line_discount, revenue.

    Parameters
    ----------
    wh
        The warehouse.
    period
        Only orders placed in this range (inclusive days); all when ``None``.
    """
    orders = sale_orders(wh).select("order_id", "ordered_at")
    if period is not None:
        orders = in_range(orders, "ordered_at", period)
    items = wh.table("order_items")
    products = wh.table("products").select("sku", "item_kind")
    lines = items.left_join(products, items.sku == products.sku)
    goods = lines.filter(
        (lines.quantity > 0) & (lines.item_kind.isnull() | lines.item_kind.isin(list(GOODS_KINDS)))
    )
    j = goods.join(orders, goods.order_id == orders.order_id)
    discount = ibis.coalesce(j.discount_amount, 0.0)
    return j.select(
        "order_id",
        "ordered_at",
        "sku",
        "quantity",
        "unit_price",
        line_discount=discount,
        revenue=j.quantity * j.unit_price - discount,
    )
