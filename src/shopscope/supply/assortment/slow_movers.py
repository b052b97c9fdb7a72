"""Slow movers and dead stock: value tied up, days without a sale, days of cover.

As of a day, per SKU with stock (or sales): ``on_hand`` is the sum over locations of each
location's latest inventory snapshot on or before the day; ``value_tied_up`` is
``max(on_hand, 0) × unit_cost`` (list price when the cost is unknown); ``days_without_sale``
counts days since the last sold line (null when never sold); ``days_of_cover`` is on-hand over
the mean daily units of the last ``window_days``.

Status: ``dead`` when stock is held and nothing sold for ``dead_days`` (or ever); ``slow`` when
nothing sold for ``slow_days`` or cover exceeds ``max_cover_days``; ``negative_stock`` when the
snapshot is below zero (a data problem: counted, not valued); otherwise ``ok``. All relational
work (latest snapshots, last sale, recent units) runs in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.periods import DateRange, data_range
from shopscope.supply.assortment.sales import sold_lines

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["StockAgeing", "StockStatusTotal", "slow_movers", "stock_ageing_table"]


@dataclass(frozen=True)
class StockStatusTotal:
    """SKUs and value tied up in one status."""

    status: str
    skus: int
    units: int
    value_tied_up: float


@dataclass(frozen=True)
class StockAgeing:
    """Per-SKU rows (``items``, worst first) and totals per status."""

    as_of: date
    window_days: int
    slow_days: int
    dead_days: int
    max_cover_days: float
    items: pa.Table
    totals: tuple[StockStatusTotal, ...]


def stock_ageing_table(
    wh: Warehouse,
    as_of: date,
    *,
    window_days: int = 90,
    slow_days: int = 90,
    dead_days: int = 180,
    max_cover_days: float = 180.0,
) -> ir.Table:
    """The engine expression behind :func:`slow_movers` (one row per SKU)."""
    inv = wh.table("inventory")
    inv = inv.filter(inv.date <= as_of)
    latest = inv.group_by(["sku", "location"]).aggregate(last=inv.date.max())
    snap = inv.join(
        latest,
        [inv.sku == latest.sku, inv.location == latest.location, inv.date == latest["last"]],
    )
    stock = snap.group_by(sku=snap.sku).aggregate(
        on_hand=snap.on_hand.sum(), negative=(snap.on_hand < 0).any()
    )
    lines = sold_lines(wh, DateRange(date(1900, 1, 1), as_of))
    start = as_of - timedelta(days=window_days - 1)
    sales = lines.group_by("sku").aggregate(
        last_sale=lines.ordered_at.max().date(),
        recent_units=ibis.ifelse(lines.ordered_at.date() >= start, lines.quantity, 0).sum(),
    )
    stock = stock.select(s_sku="sku", s_on_hand="on_hand", negative="negative")
    sales = sales.select(l_sku="sku", last_sale="last_sale", r_units="recent_units")
    keys = stock.select(sku="s_sku").union(sales.select(sku="l_sku"), distinct=True)
    products = wh.table("products").select(
        psku="sku", title="title", category="category", unit_cost="unit_cost", price="price"
    )
    j = (
        keys.left_join(stock, keys.sku == stock.s_sku)
        .left_join(sales, keys.sku == sales.l_sku)
        .left_join(products, keys.sku == products.psku)
    )
    p = j.mutate(
        on_hand=ibis.coalesce(j.s_on_hand, 0),
        negative=ibis.coalesce(j.negative, False),
        recent_units=ibis.coalesce(j.r_units, 0),
    )
    cost = ibis.coalesce(p.unit_cost, p.price, 0.0)
    held = ibis.greatest(p.on_hand, 0)
    idle_days = ibis.literal(as_of).delta(p.last_sale, unit="day")
    rate = p.recent_units.cast("float64") / window_days
    cover = ibis.ifelse(rate > 0, held / rate, ibis.null("float64"))
    no_sale_for = ibis.coalesce(idle_days, 10**6)
    status = ibis.cases(
        (p.negative, "negative_stock"),
        ((held > 0) & (no_sale_for >= dead_days), "dead"),
        ((held > 0) & ((no_sale_for >= slow_days) | (cover > max_cover_days)), "slow"),
        else_="ok",
    ).cast("string")
    return p.select(
        "sku",
        "title",
        "category",
        on_hand=p.on_hand,
        unit_cost=cost,
        value_tied_up=held * cost,
        last_sale=p.last_sale,
        days_without_sale=idle_days,
        recent_units=p.recent_units,
        days_of_cover=cover,
        status=status,
    )


def slow_movers(
    wh: Warehouse,
    as_of: date | None = None,
    *,
    window_days: int = 90,
    slow_days: int = 90,
    dead_days: int = 180,
    max_cover_days: float = 180.0,
) -> StockAgeing:
    """Slow movers and dead stock as of ``as_of`` (default: the last day of data).

    Raises
    ------
    InvalidInputError
        Windows that are not positive or ``slow_days > dead_days``.
    NotFoundError
        No orders and no ``as_of`` given.
    """
    if min(window_days, slow_days, dead_days) < 1 or not max_cover_days > 0:
        raise InvalidInputError("window_days, slow_days, dead_days and max_cover_days must be > 0.")
    if slow_days > dead_days:
        raise InvalidInputError(
            f"slow_days ({slow_days}) must not exceed dead_days ({dead_days}): dead stock is "
            "the extreme of slow stock."
        )
    if as_of is None:
        found = data_range(wh)
        if found is None:
            raise NotFoundError("No orders: give as_of explicitly or load data first.")
        as_of = found.end
    expr = stock_ageing_table(
        wh,
        as_of,
        window_days=window_days,
        slow_days=slow_days,
        dead_days=dead_days,
        max_cover_days=max_cover_days,
    )
    rank = ibis.cases(
        (expr.status == "dead", 0),
        (expr.status == "slow", 1),
        (expr.status == "negative_stock", 2),
        else_=3,
    )
    items = expr.order_by([rank, ibis.desc("value_tied_up"), "sku"]).to_pyarrow()
    acc: dict[str, list[float]] = {}
    for row in items.select(["status", "on_hand", "value_tied_up"]).to_pylist():
        a = acc.setdefault(row["status"], [0, 0, 0.0])
        a[0] += 1
        a[1] += max(int(row["on_hand"]), 0)
        a[2] += float(row["value_tied_up"] or 0.0)
    order = ("dead", "slow", "negative_stock", "ok")
    totals = tuple(
        StockStatusTotal(s, int(acc[s][0]), int(acc[s][1]), round(acc[s][2], 2))
        for s in order
        if s in acc
    )
    return StockAgeing(as_of, window_days, slow_days, dead_days, max_cover_days, items, totals)
