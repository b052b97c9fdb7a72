"""Backend parity: a registry of Ibis queries that must give the same answer on every backend.

The parity suite (``tests/parity``) builds one small warehouse in DuckDB, copies it into Spark
with :func:`~shopscope.warehouse.sync.copy_warehouse`, runs every registered query on both and
compares the results with :func:`compare_results`. Domain packages add their analytics in a
module ``shopscope/<domain>/parity.py``::

    from shopscope.warehouse.parity import parity_query

    @parity_query("rfm_segments", sort_by=("segment",), tolerance=1e-9)
    def _rfm_segments(wh: Warehouse) -> ibis.Table:
        return rfm_segments(wh.table("orders"), ...)

:func:`discover_parity_queries` imports those modules, so the suite picks them up without
``warehouse`` importing any domain package.

The seed queries below cover the canonical tables with plain Ibis (joins, group-bys, date
truncation, conditional sums, distinct counts, a top-N with a tie-break and windows); no raw
SQL, so they compile for every backend.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import math
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopscope.warehouse.connection import Warehouse

__all__ = [
    "PARITY_QUERIES",
    "ParityQuery",
    "check_parity",
    "compare_results",
    "discover_parity_queries",
    "parity_query",
    "register_parity_query",
]

log = logging.getLogger(__name__)

QueryBuilder = Callable[[Warehouse], ir.Table]

DEFAULT_TOLERANCE = 1e-9
"""Relative tolerance for floats: sums in a different order differ in the last bits."""


@dataclass(frozen=True)
class ParityQuery:
    """One query of the parity suite.

    Parameters
    ----------
    name
        Unique name (snake_case), used in test ids and messages.
    build
        Builds the Ibis expression from a warehouse's tables; must be plain Ibis.
    sort_by
        Columns that identify a result row; both results are sorted by them and rows are
        matched on them. Empty: sort by every column.
    tolerance
        Relative tolerance for float columns; other types compare exactly.
    description
        What the query computes (shown in docs and failure messages).
    """

    name: str
    build: QueryBuilder
    sort_by: tuple[str, ...]
    tolerance: float = DEFAULT_TOLERANCE
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").isalnum():
            raise ValueError(
                f"parity query name {self.name!r} is not snake_case; use letters, digits and _."
            )
        if not (self.tolerance >= 0 and math.isfinite(self.tolerance)):
            raise ValueError(
                f"parity query {self.name}: tolerance must be a finite number >= 0, "
                f"got {self.tolerance!r}."
            )
        object.__setattr__(self, "sort_by", tuple(self.sort_by))


PARITY_QUERIES: list[ParityQuery] = []
"""Every registered query, in registration order (seed queries first)."""


def register_parity_query(
    name: str,
    build: QueryBuilder,
    *,
    sort_by: Sequence[str] = (),
    tolerance: float = DEFAULT_TOLERANCE,
    description: str = "",
) -> ParityQuery:
    """Add a query to :data:`PARITY_QUERIES`.

    Parameters
    ----------
    name, build, sort_by, tolerance, description
        See :class:`ParityQuery`.

    Returns
    -------
    ParityQuery
        The registered query.

    Raises
    ------
    ValueError
        ``name`` is already registered (names are test ids, so they must be unique).
    """
    query = ParityQuery(name, build, tuple(sort_by), tolerance, description)
    taken = [q.name for q in PARITY_QUERIES]
    if name in taken:
        raise ValueError(
            f"parity query {name!r} is already registered; choose another name "
            f"(registered: {', '.join(taken)})."
        )
    PARITY_QUERIES.append(query)
    return query


def parity_query(
    name: str,
    *,
    sort_by: Sequence[str] = (),
    tolerance: float = DEFAULT_TOLERANCE,
    description: str = "",
) -> Callable[[QueryBuilder], QueryBuilder]:
    """Decorator form of :func:`register_parity_query`; returns the function unchanged.

    Parameters
    ----------
    name, sort_by, tolerance, description
        See :class:`ParityQuery`. ``description`` defaults to the function's docstring.
    """

    def register(build: QueryBuilder) -> QueryBuilder:
        text = description or (build.__doc__ or "").strip().split("\n")[0]
        register_parity_query(name, build, sort_by=sort_by, tolerance=tolerance, description=text)
        return build

    return register


def discover_parity_queries() -> list[ParityQuery]:
    """Import ``shopscope.<package>.parity`` for every subpackage that has one.

    Returns
    -------
    list of ParityQuery
        :data:`PARITY_QUERIES` after the imports (seed queries plus the domains').
    """
    import shopscope

    for info in pkgutil.iter_modules(shopscope.__path__):
        if not info.ispkg or info.name == "warehouse":
            continue
        module = f"shopscope.{info.name}.parity"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
            log.debug("loaded parity queries from %s", module)
    return PARITY_QUERIES


def check_parity(query: ParityQuery, left: Warehouse, right: Warehouse) -> list[str]:
    """Run ``query`` on two warehouses and compare the results.

    Returns
    -------
    list of str
        Differences, each prefixed with the query name and the two backends; empty when equal.
    """
    a = query.build(left).to_pyarrow()
    b = query.build(right).to_pyarrow()
    prefix = f"{query.name} ({left.backend_name} vs {right.backend_name}): "
    return [prefix + d for d in compare_results(a, b, sort_by=query.sort_by, rtol=query.tolerance)]


# -- comparing results ----------------------------------------------------------------------

_MAX_REPORTED = 20


def compare_results(
    a: pa.Table | pd.DataFrame,
    b: pa.Table | pd.DataFrame,
    *,
    sort_by: Sequence[str] = (),
    rtol: float = DEFAULT_TOLERANCE,
    atol: float = 1e-12,
) -> list[str]:
    """Differences between two query results; an empty list when they are equal.

    Parameters
    ----------
    a, b
        The results ("left" and "right" in messages), as Arrow tables or DataFrames.
    sort_by
        Key columns: rows are sorted by them and matched on them, so a missing row is reported
        by its key. Empty: rows are sorted by every column and matched by position.
    rtol
        Relative tolerance for floating-point and decimal columns.
    atol
        Absolute tolerance for floats near zero (a sum that is 0 on one backend may be 1e-17
        on the other).

    Returns
    -------
    list of str
        One message per difference (at most 20 per column, then a count of the rest).

    Notes
    -----
    Nulls equal nulls and a float NaN counts as null (pandas writes missing floats as NaN).
    Integers and floats compare numerically; other columns compare exactly, timestamps to
    the microsecond after converting zone-aware values to UTC.
    """
    left, right = _as_arrow(a), _as_arrow(b)
    diffs: list[str] = []
    only_left = [c for c in left.column_names if c not in right.column_names]
    only_right = [c for c in right.column_names if c not in left.column_names]
    if only_left or only_right:
        diffs.append(f"columns differ: only left {only_left}, only right {only_right}")
    columns = [c for c in left.column_names if c in right.column_names]
    keys = list(sort_by) or columns
    unknown = [k for k in keys if k not in columns]
    if unknown:
        raise ValueError(f"sort_by columns {unknown} not in both results; columns: {columns}")

    lvals = {c: _normalise(left.column(c)) for c in columns}
    rvals = {c: _normalise(right.column(c)) for c in columns}
    for c in columns:
        lk, rk = _kind(left.schema.field(c).type), _kind(right.schema.field(c).type)
        if lk != rk:
            diffs.append(
                f"column {c}: type {left.schema.field(c).type} vs {right.schema.field(c).type}"
            )
    lrows = _sorted_rows(lvals, keys, left.num_rows)
    rrows = _sorted_rows(rvals, keys, right.num_rows)
    if left.num_rows != right.num_rows:
        diffs.append(f"row count: left {left.num_rows}, right {right.num_rows}")

    pairs: list[tuple[int, int]]
    lkeys = [_key(lvals, keys, i) for i in lrows]
    rkeys = [_key(rvals, keys, i) for i in rrows]
    if sort_by and len(set(lkeys)) == len(lkeys) and len(set(rkeys)) == len(rkeys):
        rindex = {k: i for k, i in zip(rkeys, rrows, strict=True)}
        lindex = {k: i for k, i in zip(lkeys, lrows, strict=True)}
        diffs += _report(
            [f"row {_show_key(keys, k)} only in left" for k in lkeys if k not in rindex]
        )
        diffs += _report(
            [f"row {_show_key(keys, k)} only in right" for k in rkeys if k not in lindex]
        )
        pairs = [(lindex[k], rindex[k]) for k in lkeys if k in rindex]
    else:
        pairs = list(zip(lrows, rrows, strict=False))

    for c in columns:
        if _kind(left.schema.field(c).type) != _kind(right.schema.field(c).type):
            continue
        messages = []
        for i, j in pairs:
            x, y = lvals[c][i], rvals[c][j]
            if not _equal(x, y, rtol=rtol, atol=atol):
                where = _show_key(keys, _key(lvals, keys, i))
                messages.append(f"row {where}: column {c}: left {x!r} != right {y!r}")
        diffs += _report(messages)
    return diffs


def _as_arrow(data: pa.Table | pd.DataFrame) -> pa.Table:
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    return data


def _kind(dtype: pa.DataType) -> str:
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "number"
    if pa.types.is_timestamp(dtype):
        return "timestamp"
    if pa.types.is_date(dtype):
        return "date"
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return "string"
    return str(dtype)


def _normalise(column: pa.ChunkedArray) -> list[Any]:
    """Python values that compare the way the suite wants (see :func:`compare_results`)."""
    dtype = column.type
    if pa.types.is_timestamp(dtype):
        if dtype.tz is not None:
            column = pc.cast(column, pa.timestamp(dtype.unit, "UTC")).cast(pa.timestamp(dtype.unit))
        # Exact integer microseconds (nanoseconds kept when present).
        micros = pc.cast(column, pa.timestamp("ns")).cast(pa.int64())
        return [None if v is None else _Stamp(v) for v in micros.to_pylist()]
    if pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return [None if v is None or math.isnan(float(v)) else float(v) for v in column.to_pylist()]
    return list(column.to_pylist())


@dataclass(frozen=True, order=True)
class _Stamp:
    """A naive UTC timestamp as integer nanoseconds; prints as an ISO string."""

    ns: int

    def __repr__(self) -> str:
        return str(pd.Timestamp(self.ns, unit="ns"))


def _sort_value(v: Any) -> tuple[int, Any]:
    # Nulls last; values of one column share a type, so they compare with each other.
    return (1, 0) if v is None else (0, v)


def _key(values: dict[str, list[Any]], keys: Sequence[str], i: int) -> tuple[Any, ...]:
    return tuple(values[k][i] for k in keys)


def _sorted_rows(values: dict[str, list[Any]], keys: Sequence[str], n: int) -> list[int]:
    return sorted(range(n), key=lambda i: tuple(_sort_value(values[k][i]) for k in keys))


def _show_key(keys: Sequence[str], key: tuple[Any, ...]) -> str:
    return "(" + ", ".join(f"{k}={_show(v)}" for k, v in zip(keys, key, strict=True)) + ")"


def _show(v: Any) -> str:
    if isinstance(v, date | datetime):
        return v.isoformat()
    return repr(v)


def _equal(x: Any, y: Any, *, rtol: float, atol: float) -> bool:
    if x is None or y is None:
        return x is None and y is None
    if isinstance(x, bool) or isinstance(y, bool):
        return bool(x == y)
    if isinstance(x, float) or isinstance(y, float):
        fx, fy = float(x), float(y)
        return abs(fx - fy) <= max(rtol * max(abs(fx), abs(fy)), atol)
    return bool(x == y)


def _report(messages: list[str]) -> list[str]:
    if len(messages) <= _MAX_REPORTED:
        return messages
    rest = len(messages) - _MAX_REPORTED
    return [*messages[:_MAX_REPORTED], f"... and {rest} more like these"]


# -- seed queries ---------------------------------------------------------------------------


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
