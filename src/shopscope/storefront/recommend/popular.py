"""Popular and trending items, computed in the engine.

*Popular*: distinct customers who bought the SKU in the window. *Trending*: the recency-weighted
sum of all weighted signals (purchases, carts, views), each multiplied by
``2^(-age_days / half_life_days)`` where ``age_days`` is measured back from ``as_of`` (the end
of the window), so a signal one half-life old counts half as much as one from today.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from shopscope.errors import InvalidInputError
from shopscope.storefront.recommend.interactions import (
    InteractionWeights,
    as_timestamp,
    interaction_events,
    purchase_lines,
)

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["item_popularity", "trending_items"]


def item_popularity(
    wh: Warehouse,
    *,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> ir.Table:
    """Per SKU: ``score`` = distinct buyers in ``[start, end)``, ordered best first."""
    lines = purchase_lines(wh, start=start, end=end)
    agg = lines.group_by("sku").aggregate(score=lines.customer_id.nunique().cast("float64"))
    return agg.order_by([ibis.desc("score"), "sku"])


def trending_items(
    wh: Warehouse,
    *,
    as_of: date | datetime | None = None,
    half_life_days: float = 14.0,
    lookback_days: int | None = 180,
    weights: InteractionWeights | None = None,
) -> ir.Table:
    """Per SKU: ``score`` = recency-weighted signal sum up to ``as_of``, best first.

    ``as_of`` defaults to the latest signal; ``lookback_days`` limits the scan (``None`` = all).
    """
    if not isinstance(half_life_days, int | float) or not half_life_days > 0:
        raise InvalidInputError(f"half_life_days={half_life_days!r}: use a number of days > 0.")
    if lookback_days is not None and (not isinstance(lookback_days, int) or lookback_days < 1):
        raise InvalidInputError(f"lookback_days={lookback_days!r}: use an integer >= 1 or None.")
    end = as_timestamp(as_of, "as_of")
    if end is None:
        orders = wh.table("orders")
        last = orders.ordered_at.max().to_pyarrow().as_py()
        if last is None:
            return _empty()
        end = last
    start = None if lookback_days is None else end - timedelta(days=lookback_days)
    ev = interaction_events(wh, weights=weights, start=start, end=end + timedelta(microseconds=1))
    age_days = (ibis.literal(end).epoch_seconds() - ev.at.epoch_seconds()) / 86_400.0
    decay = (age_days * (-math.log(2.0) / float(half_life_days))).exp()
    agg = ev.group_by("sku").aggregate(score=(ev.weight * decay).sum())
    return agg.order_by([ibis.desc("score"), "sku"])


def _empty() -> ir.Table:
    return ibis.memtable({"sku": [], "score": []}, schema={"sku": "string", "score": "float64"})
