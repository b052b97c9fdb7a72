"""Abandoned carts: who added what, for how much, and did not buy — a follow-up list.

A session is an abandoned cart when it has an ``add_to_cart`` and no ``purchase``, its last
cart activity is at least ``idle`` before ``as_of`` (default: the last event in the warehouse),
and the same visitor (``anonymous_id``) did not purchase within ``recovery_window`` after it in
another session. ``value`` = Σ ``products.price`` over the distinct SKUs added (events carry no
quantity). Rows are sorted by value, so the execution tier follows up the largest carts first;
``customer_id`` is set when the visitor was identified (reachable by e-mail or CS).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.warehouse.connection import Warehouse

__all__ = ["abandoned_carts"]


def abandoned_carts(
    wh: Warehouse,
    *,
    since: datetime | None = None,
    as_of: datetime | None = None,
    idle: timedelta = timedelta(hours=1),
    recovery_window: timedelta = timedelta(days=7),
    limit: int | None = 100,
) -> pa.Table:
    """Abandoned cart sessions, largest value first.

    Columns: ``session_id, anonymous_id, customer_id, last_activity, items, skus, value,
    reached_checkout``.
    """
    if idle < timedelta(0) or recovery_window < timedelta(0):
        raise InvalidInputError("idle and recovery_window must not be negative.")
    if limit is not None and limit < 1:
        raise InvalidInputError(f"limit must be >= 1 (or None for all), got {limit}.")
    ev = wh.table("events")
    if as_of is None:
        last = ev.occurred_at.max().to_pyarrow().as_py()
        if last is None:
            return _empty()
        as_of = last
    ev = ev.filter(ev.occurred_at <= as_of, ev.session_id.notnull())
    if since is not None:
        ev = ev.filter(ev.occurred_at >= since)
    s = ev.group_by("session_id").aggregate(
        anonymous_id=ev.anonymous_id.max(),
        customer_id=ev.customer_id.max(),
        last_cart=ev.occurred_at.max(where=ev.event_type == "add_to_cart"),
        purchases=(ev.event_type == "purchase").cast("int64").sum(),
        checkout=(ev.event_type == "begin_checkout").cast("int64").sum(),
    )
    s = s.filter(
        s.last_cart.notnull(),
        s.purchases == 0,
        s.last_cart <= ibis.literal(as_of - idle),
    )
    pur = ev.filter(ev.event_type == "purchase", ev.anonymous_id.notnull())
    pur = pur.select(p_anon=pur.anonymous_id, p_at=pur.occurred_at)
    span = ibis.interval(seconds=int(recovery_window.total_seconds()))
    rec = (
        s.join(
            pur,
            [s.anonymous_id == pur.p_anon, pur.p_at > s.last_cart, pur.p_at <= s.last_cart + span],
        )
        .select(r_session=s.session_id)
        .distinct()
    )
    s = s.anti_join(rec, s.session_id == rec.r_session)
    carts = ev.filter(ev.event_type == "add_to_cart", ev.sku.notnull())
    carts = carts.select(c_session=carts.session_id, sku=carts.sku).distinct()
    prices = wh.table("products").select(p_sku="sku", price="price")
    lines = carts.left_join(prices, carts.sku == prices.p_sku)
    basket = lines.group_by("c_session").aggregate(
        items=lines.count(),
        skus=lines.sku.group_concat(", "),
        value=lines.price.fill_null(0.0).sum(),
    )
    out = s.join(basket, s.session_id == basket.c_session)
    out = out.select(
        session_id=out.session_id,
        anonymous_id=out.anonymous_id,
        customer_id=out.customer_id,
        last_activity=out.last_cart,
        items=out.items,
        skus=out.skus,
        value=out.value.round(2),
        reached_checkout=out.checkout > 0,
    ).order_by([ibis.desc("value"), "session_id"])
    if limit is not None:
        out = out.limit(limit)
    return out.to_pyarrow()


def _empty() -> pa.Table:
    return pa.table(
        {
            "session_id": pa.array([], pa.string()),
            "anonymous_id": pa.array([], pa.string()),
            "customer_id": pa.array([], pa.string()),
            "last_activity": pa.array([], pa.timestamp("us")),
            "items": pa.array([], pa.int64()),
            "skus": pa.array([], pa.string()),
            "value": pa.array([], pa.float64()),
            "reached_checkout": pa.array([], pa.bool_()),
        }
    )
