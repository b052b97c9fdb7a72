"""Product-page conversion per SKU: views → add to cart → purchase, by session.

For each SKU: ``views`` = sessions with a ``product_view`` of the SKU; ``carted`` = those
sessions that also added the SKU to the cart; ``purchased`` = those sessions whose purchase
event's order contains the SKU (``order_items`` with positive quantity). Rates are per viewing
session. Relational work in the engine; an Arrow table comes back.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.warehouse.connection import Warehouse

__all__ = ["product_conversion", "product_conversion_table"]


def product_conversion(
    wh: Warehouse,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    min_views: int = 1,
    limit: int | None = 50,
) -> pa.Table:
    """Per-SKU product-page conversion, most viewed first.

    Columns: ``sku, title, category, views, carted, purchased, cart_rate, purchase_rate``.
    """
    if limit is not None and limit < 1:
        raise InvalidInputError(f"limit must be >= 1 (or None for all), got {limit}.")
    out = product_conversion_table(wh, start=start, end=end, min_views=min_views)
    out = out.order_by([ibis.desc("views"), "sku"])
    if limit is not None:
        out = out.limit(limit)
    return out.to_pyarrow()


def product_conversion_table(
    wh: Warehouse,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    min_views: int = 1,
) -> ir.Table:
    """The per-SKU table as an Ibis expression (unordered; the parity suite runs it)."""
    if min_views < 1:
        raise InvalidInputError(f"min_views must be >= 1, got {min_views}.")
    ev = wh.table("events")
    ev = ev.filter(ev.session_id.notnull())
    if start is not None:
        ev = ev.filter(ev.occurred_at >= start)
    if end is not None:
        ev = ev.filter(ev.occurred_at < end)
    pv = ev.filter(ev.event_type == "product_view", ev.sku.notnull()).select("session_id", "sku")
    pv = pv.distinct()
    ac = ev.filter(ev.event_type == "add_to_cart", ev.sku.notnull())
    ac = ac.select(s_c=ac.session_id, k_c=ac.sku).distinct().mutate(c=1)
    pur = ev.filter(ev.event_type == "purchase", ev.order_id.notnull())
    items = wh.table("order_items")
    items = items.filter(items.quantity > 0).select(i_order="order_id", i_sku="sku")
    pur = pur.select(p_session=pur.session_id, p_order=pur.order_id)
    bought = pur.join(items, pur.p_order == items.i_order)
    bought = bought.select(s_p=bought.p_session, k_p=bought.i_sku).distinct().mutate(p=1)
    j = pv.left_join(ac, [pv.session_id == ac.s_c, pv.sku == ac.k_c])
    j = j.left_join(bought, [j.session_id == bought.s_p, j.sku == bought.k_p])
    per = j.group_by("sku").aggregate(
        views=j.count(), carted=j.c.fill_null(0).sum(), purchased=j.p.fill_null(0).sum()
    )
    per = per.filter(per.views >= min_views)
    products = wh.table("products").select("sku", "title", "category")
    out = per.left_join(products, per.sku == products.sku)
    out = out.select(
        sku=out.sku,
        title=out.title,
        category=out.category,
        views=out.views,
        carted=out.carted.cast("int64"),
        purchased=out.purchased.cast("int64"),
        cart_rate=out.carted / out.views,
        purchase_rate=out.purchased / out.views,
    )
    return out
