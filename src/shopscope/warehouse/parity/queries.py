"""Seed parity queries over the canonical tables, in plain Ibis (no raw SQL)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.parity.registry import parity_query

__all__: list[str] = []


def _cents(price: ir.NumericValue) -> ir.IntegerValue:
    """Money as integer cents, so sums and rankings are exact on every backend."""
    return (price * 100).round().cast("int64")


@parity_query("daily_revenue", sort_by=("day",))
def _daily_revenue(wh: Warehouse) -> ir.Table:
    """Revenue, units, orders and lines per UTC day (order lines joined to their orders)."""
    items = wh.table("order_items")
    orders = wh.table("orders")
    lines = items.join(orders, items.order_id == orders.order_id)
    return lines.group_by(day=lines.ordered_at.date()).aggregate(
        revenue=(lines.quantity * lines.unit_price).sum(),
        units=lines.quantity.sum(),
        orders=lines.order_id.nunique(),
        lines=lines.count(),
    )


@parity_query("orders_by_channel_status", sort_by=("channel", "status"))
def _orders_by_channel_status(wh: Warehouse) -> ir.Table:
    """Orders, gross, average order value and discounts per channel and status."""
    o = wh.table("orders")
    return o.group_by("channel", "status").aggregate(
        orders=o.count(),
        gross=o.gross_amount.sum(),
        aov=o.gross_amount.mean(),
        discount=o.discount_amount.sum(),
        guests=o.customer_id.isnull().sum(),
    )


@parity_query("units_by_category", sort_by=("category",))
def _units_by_category(wh: Warehouse) -> ir.Table:
    """Units sold and returned per product category (unknown SKUs under a null category)."""
    items = wh.table("order_items")
    products = wh.table("products").select("sku", "category")
    lines = items.left_join(products, items.sku == products.sku)
    return lines.group_by("category").aggregate(
        units=lines.quantity.sum(),
        returned_units=ibis.ifelse(lines.quantity < 0, -lines.quantity, 0).sum(),
        revenue_cents=(_cents(lines.unit_price) * lines.quantity).sum(),
        skus=lines.sku.nunique(),
    )


@parity_query("customers_by_country_month", sort_by=("country", "first_seen_month"))
def _customers_by_country_month(wh: Warehouse) -> ir.Table:
    """New customers per country and month first seen (month as a truncated timestamp)."""
    c = wh.table("customers")
    return c.group_by("country", first_seen_month=c.first_seen_at.truncate("M")).aggregate(
        customers=c.count(),
        opted_in=c.email_opt_in.sum(),
        mean_lat=c.lat.mean(),
    )


@parity_query("active_customers_by_month", sort_by=("year", "month"))
def _active_customers_by_month(wh: Warehouse) -> ir.Table:
    """Distinct ordering customers and orders per calendar month."""
    o = wh.table("orders")
    o = o.filter(o.customer_id.notnull())
    return o.group_by(year=o.ordered_at.year(), month=o.ordered_at.month()).aggregate(
        customers=o.customer_id.nunique(),
        orders=o.count(),
        first_order_at=o.ordered_at.min(),
        last_order_at=o.ordered_at.max(),
    )


@parity_query("top_skus_by_revenue", sort_by=("sku",))
def _top_skus_by_revenue(wh: Warehouse) -> ir.Table:
    """The 10 SKUs with most net revenue (integer cents; ties broken by SKU)."""
    items = wh.table("order_items")
    per_sku = items.group_by("sku").aggregate(
        revenue_cents=(_cents(items.unit_price) * items.quantity).sum(),
        units=items.quantity.sum(),
    )
    return per_sku.order_by(ibis.desc("revenue_cents"), "sku").limit(10)


@parity_query("returns_and_cancellations", sort_by=("month",))
def _returns_and_cancellations(wh: Warehouse) -> ir.Table:
    """Per month: share of orders cancelled or returned, and of lines with negative quantity."""
    orders = wh.table("orders")
    items = wh.table("order_items")
    month = orders.ordered_at.truncate("M")
    by_order = orders.group_by(month=month).aggregate(
        orders=orders.count(),
        cancelled=(orders.status == "cancelled").sum(),
        returned=orders.status.isin(["returned", "refunded"]).sum(),
    )
    lines = items.join(orders.select("order_id", "ordered_at"), "order_id")
    by_line = lines.group_by(month=lines.ordered_at.truncate("M")).aggregate(
        lines=lines.count(),
        negative_lines=(lines.quantity < 0).sum(),
    )
    joined = by_order.join(by_line, "month")
    return joined.select(
        "month",
        "orders",
        "lines",
        cancel_share=joined.cancelled / joined.orders,
        return_share=joined.returned / joined.orders,
        negative_line_share=joined.negative_lines / joined.lines,
    )


@parity_query("events_by_type_device", sort_by=("event_type", "device"))
def _events_by_type_device(wh: Warehouse) -> ir.Table:
    """Events, sessions, visitors and purchase revenue per event type and device."""
    e = wh.table("events")
    return e.group_by("event_type", "device").aggregate(
        events=e.count(),
        sessions=e.session_id.nunique(),
        visitors=e.anonymous_id.nunique(),
        known_customers=e.customer_id.nunique(),
        revenue=e.revenue.sum(),
    )


@parity_query("ad_spend_weekly", sort_by=("channel", "week"))
def _ad_spend_weekly(wh: Warehouse) -> ir.Table:
    """Spend, impressions, clicks and cost per click per channel and ISO week (Monday)."""
    a = wh.table("ad_spend")
    weekly = a.group_by("channel", week=a.date.truncate("W")).aggregate(
        spend=a.spend.sum(),
        impressions=a.impressions.sum(),
        clicks=a.clicks.sum(),
        days=a.date.nunique(),
    )
    return weekly.mutate(
        cpc=ibis.ifelse(weekly.clicks > 0, weekly.spend / weekly.clicks, ibis.null("float64"))
    )


@parity_query("inventory_by_location", sort_by=("location",))
def _inventory_by_location(wh: Warehouse) -> ir.Table:
    """On-hand and on-order units, SKUs and stock-outs per location on the latest snapshot."""
    inv = wh.table("inventory")
    latest = inv.filter(inv.date == inv.date.max())
    return latest.group_by("location", "date").aggregate(
        on_hand=latest.on_hand.sum(),
        on_order=latest.on_order.sum(),
        skus=latest.sku.nunique(),
        stockouts=(latest.on_hand <= 0).sum(),
        mean_lead_time=latest.lead_time_days.mean(),
    )


@parity_query("tickets_by_language_status", sort_by=("language", "status"))
def _tickets_by_language_status(wh: Warehouse) -> ir.Table:
    """Tickets, resolved tickets and the latest resolution time per language and status."""
    t = wh.table("tickets")
    return t.group_by("language", "status").aggregate(
        tickets=t.count(),
        resolved=t.resolved_at.notnull().sum(),
        with_order=t.order_id.notnull().sum(),
        first_created_at=t.created_at.min(),
        last_resolved_at=t.resolved_at.max(),
    )


@parity_query("customer_running_revenue", sort_by=("order_id",))
def _customer_running_revenue(wh: Warehouse) -> ir.Table:
    """Each customer's orders numbered in time order with running gross (window functions)."""
    o = wh.table("orders")
    o = o.filter(o.customer_id.notnull())
    w = ibis.window(group_by=o.customer_id, order_by=[o.ordered_at, o.order_id])
    return o.select(
        "customer_id",
        "order_id",
        "ordered_at",
        order_seq=ibis.row_number().over(w),
        running_gross=o.gross_amount.cumsum(
            group_by=o.customer_id, order_by=[o.ordered_at, o.order_id]
        ),
        previous_order_at=o.ordered_at.lag().over(w),
    )


@parity_query("price_rank_in_category", sort_by=("sku",))
def _price_rank_in_category(wh: Warehouse) -> ir.Table:
    """Each product's price rank within its category (dense rank, dearest first)."""
    p = wh.table("products")
    w = ibis.window(group_by=p.category, order_by=[ibis.desc(p.price)])
    return p.select(
        "sku",
        "category",
        "price",
        price_rank=ibis.dense_rank().over(w),
        category_share=p.price / p.price.sum().over(ibis.window(group_by=p.category)),
    )
