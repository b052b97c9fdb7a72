"""Item-to-item co-occurrence in the engine: "frequently bought together", "also viewed".

Two SKUs co-occur when they are in the same sale order (bought together) or viewed in the same
session (also viewed). With ``n_ab`` baskets holding both and ``n_a``, ``n_b`` baskets holding
each, the score is the Ochiai (cosine) coefficient ``n_ab / sqrt(n_a · n_b)``: unlike the
confidence ``n_ab / n_a`` it does not simply favour best-sellers, and unlike lift it does not
blow up on rare pairs. Pairs seen in fewer than ``min_support`` baskets are dropped, and so are
baskets with more than ``max_basket`` distinct SKUs (wholesale orders and marathon sessions say
little about which items go together, and cost quadratically many pairs). The
self-join, counts and the per-SKU ranking (a window) all run in the engine.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from shopscope.errors import InvalidInputError
from shopscope.storefront.recommend.interactions import as_timestamp, purchase_lines

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["also_viewed", "bought_together", "cooccurrence"]


def cooccurrence(
    baskets: ir.Table, *, k: int = 10, min_support: int = 2, max_basket: int = 50
) -> ir.Table:
    """Top-``k`` co-occurring SKUs per SKU from ``baskets`` (columns ``basket``, ``sku``).

    Returns sku, rank, related_sku, score, support.
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise InvalidInputError(f"k={k!r}: use an integer >= 1.")
    if not isinstance(min_support, int) or isinstance(min_support, bool) or min_support < 1:
        raise InvalidInputError(f"min_support={min_support!r}: use an integer >= 1.")
    if not isinstance(max_basket, int) or isinstance(max_basket, bool) or max_basket < 2:
        raise InvalidInputError(f"max_basket={max_basket!r}: use an integer >= 2.")
    b = baskets.select("basket", "sku").distinct()
    b = b.mutate(size=b.sku.count().over(ibis.window(group_by="basket")))
    b = b.filter(b.size <= max_basket).select("basket", "sku")
    counts = b.group_by("sku").aggregate(n=b.basket.count())
    left = b.rename(sku_a="sku")
    right = b.rename(sku_b="sku")
    pairs = left.join(right, "basket").filter(lambda t: t.sku_a != t.sku_b)
    support = pairs.group_by("sku_a", "sku_b").aggregate(support=pairs.basket.count())
    support = support.filter(support.support >= min_support)
    ca = counts.rename(sku_a="sku", n_a="n")
    cb = counts.rename(sku_b="sku", n_b="n")
    scored = support.join(ca, "sku_a").join(cb, "sku_b")
    scored = scored.mutate(
        score=scored.support.cast("float64") / (scored.n_a * scored.n_b).cast("float64").sqrt()
    )
    window = ibis.window(group_by="sku_a", order_by=[ibis.desc("score"), "sku_b"])
    ranked = scored.mutate(rank=(ibis.row_number().over(window) + 1).cast("int64"))
    top = ranked.filter(ranked["rank"] <= k)
    return top.select(
        sku=top.sku_a,
        rank=top["rank"],
        related_sku=top.sku_b,
        score=top.score,
        support=top.support.cast("int64"),
    )


def bought_together(
    wh: Warehouse,
    *,
    k: int = 10,
    min_support: int = 2,
    max_basket: int = 50,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> ir.Table:
    """SKUs most often in the same sale order as each SKU (see the module docstring)."""
    lines = purchase_lines(wh, start=start, end=end)
    baskets = lines.select(basket=lines.order_id, sku=lines.sku)
    return cooccurrence(baskets, k=k, min_support=min_support, max_basket=max_basket)


def also_viewed(
    wh: Warehouse,
    *,
    k: int = 10,
    min_support: int = 2,
    max_basket: int = 50,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> ir.Table:
    """SKUs most often viewed in the same session as each SKU."""
    lo, hi = as_timestamp(start, "start"), as_timestamp(end, "end")
    ev = wh.table("events")
    cond = (ev.event_type == "product_view") & ev.sku.notnull() & ev.session_id.notnull()
    if lo is not None:
        cond = cond & (ev.occurred_at >= lo)
    if hi is not None:
        cond = cond & (ev.occurred_at < hi)
    views = ev.filter(cond)
    baskets = views.select(basket=views.session_id, sku=views.sku)
    return cooccurrence(baskets, k=k, min_support=min_support, max_basket=max_basket)
