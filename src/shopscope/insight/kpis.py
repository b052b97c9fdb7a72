"""Headline KPIs of a period: one Ibis expression per KPI, executed by the warehouse engine.

Every KPI is defined once, as an Ibis expression over a handful of *components* (sums and
counts) that the engine computes in a few scans, filtered by period first:

* order lines ⋈ orders ⋈ products, aggregated per (order, member) and then per member;
* sale orders over the history up to the period end (first order of each customer), only when a
  customer KPI is asked for;
* events of the period, per (session, member) and per member, only for event KPIs.

A *member* is what a result is grouped by: the whole period (:func:`compute_kpis`), a time
bucket (:mod:`shopscope.insight.timeseries`) or a dimension member
(:mod:`shopscope.insight.breakdowns`). The exact definitions are in ``docs/methods/kpis.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir

from shopscope.errors import InvalidInputError
from shopscope.insight.definitions import GOODS_KINDS, REVERSAL_STATUSES
from shopscope.insight.periods import Comparison, DateRange, comparison_range, in_range
from shopscope.warehouse.connection import Warehouse

__all__ = [
    "KPI_DEFINITIONS",
    "KPI_KEYS",
    "KpiComparison",
    "KpiDefinition",
    "KpiSet",
    "KpiUnit",
    "KpiValue",
    "compare_kpis",
    "compute_kpis",
]

KpiUnit = Literal["currency", "count", "ratio", "currency_per_unit", "units"]
KpiSource = Literal["lines", "customers", "events"]

NO_EVENTS = "no events in the period (load events to get sessions)"
NO_COSTS = "no unit costs for the goods sold in the period (load products.unit_cost)"


@dataclass(frozen=True)
class KpiDefinition:
    """What a KPI is: label, unit, formula (for docs) and the components it needs."""

    key: str
    label: str
    unit: KpiUnit
    formula: str
    tables: tuple[str, ...]
    sources: tuple[KpiSource, ...]
    additive: bool
    """Sums over disjoint members add up to the whole (sums and counts of disjoint things)."""


def _d(
    key: str, label: str, unit: KpiUnit, formula: str, sources: tuple[KpiSource, ...], add: bool
) -> KpiDefinition:
    tables = {"lines": ("orders", "order_items", "products"), "events": ("events",)}
    needed = sorted({t for s in sources for t in tables.get(s, tables["lines"])})
    return KpiDefinition(key, label, unit, formula, tuple(needed), sources, add)


_L: tuple[KpiSource, ...] = ("lines",)
_C: tuple[KpiSource, ...] = ("customers",)
_E: tuple[KpiSource, ...] = ("events",)
_DEFS: tuple[tuple[str, str, KpiUnit, str, tuple[KpiSource, ...], bool], ...] = (
    ("gmv", "GMV", "currency", "Σ quantity × unit_price over sale lines", _L, True),
    ("net_revenue", "Net revenue", "currency", "GMV − returns − discounts", _L, True),
    ("orders", "Orders", "count", "sale orders (positive goods value)", _L, True),
    ("aov", "Average order value", "currency", "net revenue / orders", _L, False),
    ("units_per_order", "Units per order", "units", "sale units / orders", _L, False),
    ("customers", "Customers", "count", "distinct customer_id of sale orders", _C, False),
    ("new_customers", "New customers", "count", "first sale order ever in the period", _C, False),
    ("returning_customers", "Returning customers", "count", "customers − new", _C, False),
    ("repeat_purchase_rate", "Repeat purchase rate", "ratio",
     "customers with ≥ 2 sale orders in the period / customers", _C, False),
    ("return_rate", "Return rate", "ratio", "returns / GMV", _L, False),
    ("gross_margin", "Gross margin", "ratio",
     "(costed net − Σ quantity × unit_cost) / costed net", _L, False),
    ("sessions", "Sessions", "count", "distinct session_id of events", _E, False),
    ("visitors", "Visitors", "count", "distinct coalesce(customer_id, anonymous_id)", _E, False),
    ("conversion_rate", "Conversion rate", "ratio", "purchase sessions / sessions", _E, False),
    ("add_to_cart_rate", "Add-to-cart rate", "ratio", "cart sessions / sessions", _E, False),
    ("cart_abandonment", "Cart abandonment", "ratio",
     "1 − cart sessions with a purchase / cart sessions", _E, False),
    ("revenue_per_visitor", "Revenue per visitor", "currency_per_unit",
     "net revenue / visitors", ("lines", "events"), False),
)  # fmt: skip
KPI_DEFINITIONS: dict[str, KpiDefinition] = {row[0]: _d(*row) for row in _DEFS}
KPI_KEYS: tuple[str, ...] = tuple(KPI_DEFINITIONS)


def _div(a: ir.NumericValue, b: ir.NumericValue) -> ir.FloatingValue:
    """``a / b``, null when ``b`` is 0 or null (no ANSI division error on Spark)."""
    return (a.cast("float64") / b.cast("float64").nullif(0.0)).cast("float64")


# Each KPI as one Ibis expression over the component columns of ``_kpi_table``.
_FORMULAS: dict[str, Callable[[ir.Table], ir.Value]] = {
    "gmv": lambda t: t.gmv,
    "net_revenue": lambda t: t.gmv - t.returns - t.discounts,
    "orders": lambda t: t.orders,
    "aov": lambda t: _div(t.gmv - t.returns - t.discounts, t.orders),
    "units_per_order": lambda t: _div(t.units, t.orders),
    "customers": lambda t: t.customers,
    "new_customers": lambda t: t.new_customers,
    "returning_customers": lambda t: t.customers - t.new_customers,
    "repeat_purchase_rate": lambda t: _div(t.repeaters, t.customers),
    "return_rate": lambda t: _div(t.returns, t.gmv),
    "gross_margin": lambda t: _div(
        t.costed_net - t.cogs, ibis.ifelse(t.costed_lines > 0, t.costed_net, 0.0)
    ),
    "sessions": lambda t: ibis.ifelse(t.events > 0, t.sessions, ibis.null("int64")),
    "visitors": lambda t: ibis.ifelse(t.events > 0, t.visitors, ibis.null("int64")),
    "conversion_rate": lambda t: _div(t.purchase_sessions, t.sessions),
    "add_to_cart_rate": lambda t: _div(t.cart_sessions, t.sessions),
    "cart_abandonment": lambda t: 1.0 - _div(t.cart_purchase_sessions, t.cart_sessions),
    "revenue_per_visitor": lambda t: _div(
        t.gmv - t.returns - t.discounts, ibis.ifelse(t.events > 0, t.visitors, 0)
    ),
}
_COMPONENTS: dict[KpiSource, tuple[str, ...]] = {
    "lines": (
        "gmv",
        "returns",
        "discounts",
        "units",
        "orders",
        "cogs",
        "costed_net",
        "costed_lines",
    ),
    "customers": ("customers", "new_customers", "repeaters"),
    "events": (
        "events",
        "sessions",
        "visitors",
        "purchase_sessions",
        "cart_sessions",
        "cart_purchase_sessions",
    ),
}


def check_kpis(kpis: Sequence[str]) -> tuple[str, ...]:
    """``kpis`` as a tuple; raises :class:`InvalidInputError` listing the keys on a typo."""
    unknown = [k for k in kpis if k not in KPI_DEFINITIONS]
    if unknown or not kpis:
        raise InvalidInputError(
            f"Unknown KPI {', '.join(map(repr, unknown)) or '(none given)'}. "
            f"KPIs: {', '.join(KPI_KEYS)}."
        )
    return tuple(kpis)


@dataclass(frozen=True)
class Grouping:
    """How rows map to result members (the whole period, a time bucket, a dimension).

    ``lines`` adds a ``member`` column to the enriched order lines; ``events`` to the period's
    events (None: event KPIs cannot be grouped this way); ``is_new`` decides whether a customer
    whose first sale order ever is ``first_at`` is new in ``member``; ``order_level`` says that
    every line of an order falls in one member (no discount allocation needed).
    """

    lines: Callable[[ir.Table], ir.Table]
    events: Callable[[ir.Table], ir.Table] | None
    is_new: Callable[[ir.Value, ir.Value], ir.BooleanValue]
    order_level: bool = True


def whole_period(period: DateRange) -> Grouping:
    """One member, ``all``."""
    return Grouping(
        lines=lambda t: t.mutate(member=ibis.literal("all")),
        events=lambda e: e.mutate(member=ibis.literal("all")),
        is_new=lambda first_at, _member: first_at >= period.start_ts,
    )


def order_lines(wh: Warehouse, period: DateRange | None, *, end_only: bool = False) -> ir.Table:
    """Order lines with their order's and product's columns (period filter on ``ordered_at``)."""
    orders = wh.table("orders")
    if period is not None:
        if end_only:
            orders = orders.filter(orders.ordered_at < period.end_ts)
        else:
            orders = in_range(orders, "ordered_at", period)
    items = wh.table("order_items").rename(line_discount="discount_amount")
    products = wh.table("products").select("sku", "item_kind", "unit_cost", "category")
    lines = items.join(orders, "order_id").left_join(products, "sku")
    return lines.drop("sku_right")


def _line_components(lines: ir.Table, grouping: Grouping) -> ir.Table:
    t = grouping.lines(lines)
    reversal = t.status.isin(REVERSAL_STATUSES)
    goods = t.item_kind.fill_null("product").isin(GOODS_KINDS)
    value = t.quantity * t.unit_price
    sale = goods & (t.quantity > 0) & ~reversal
    costed = goods & t.unit_cost.notnull() & ((t.quantity < 0) | sale)
    zero = ibis.literal(0.0)
    per_order = t.group_by("order_id", "member").aggregate(
        customer_id=t.customer_id.max(),
        sale_value=ibis.ifelse(sale, value, zero).sum(),
        return_value=ibis.ifelse(goods & (t.quantity < 0), -value, zero).sum(),
        units=ibis.ifelse(sale, t.quantity, 0).sum(),
        line_discounts=t.line_discount.fill_null(0.0).sum(),
        order_discount=t.discount_amount.max(),
        credit=(t.quantity < 0).any(),
        reversal=reversal.any(),
        n_lines=t.count(),
        cogs=ibis.ifelse(costed, t.quantity * t.unit_cost, zero).sum(),
        costed_value=ibis.ifelse(costed, value, zero).sum(),
        costed_discount=ibis.ifelse(costed & sale, t.line_discount.fill_null(0.0), zero).sum(),
        costed_lines=costed.cast("int64").sum(),
    )
    o = per_order
    credit = o.credit
    if grouping.order_level:
        allocated = o.order_discount
    else:
        # A line-level member: the order's discount is split over its members by goods value
        # (by line count when the order has no goods value); credit is the whole order's.
        credit = o.credit.cast("int64").max().over(group_by=o.order_id) > 0
        base = o.sale_value + o.return_value
        total = base.sum().over(group_by=o.order_id)
        lines_share = _div(o.n_lines, o.n_lines.sum().over(group_by=o.order_id))
        share = ibis.ifelse(total > 0, _div(base, total), lines_share)
        allocated = o.order_discount * share
    counts = ~o.reversal | credit  # a sale order, or a credit note (negative lines)
    o = o.mutate(
        discount=ibis.ifelse(counts, allocated.fill_null(o.line_discounts), 0.0),
        is_sale=~o.reversal & (o.sale_value > 0),
    )
    return o.group_by("member").aggregate(
        gmv=o.sale_value.sum(),
        returns=o.return_value.sum(),
        discounts=o.discount.sum(),
        units=o.units.sum(),
        orders=o.is_sale.cast("int64").sum(),
        cogs=o.cogs.sum(),
        costed_net=(o.costed_value - o.costed_discount).sum(),
        costed_lines=o.costed_lines.sum(),
    )


def _customer_components(
    wh: Warehouse, period: DateRange, lines: ir.Table, grouping: Grouping
) -> ir.Table:
    def sale_lines(t: ir.Table) -> ir.Table:
        goods = t.item_kind.fill_null("product").isin(GOODS_KINDS)
        return t.filter(
            goods,
            t.quantity > 0,
            t.unit_price > 0,
            ~t.status.isin(REVERSAL_STATUSES),
            t.customer_id.notnull(),
        )

    history = sale_lines(order_lines(wh, period, end_only=True))
    first = history.group_by("customer_id").aggregate(first_at=history.ordered_at.min())
    s = sale_lines(grouping.lines(lines))
    per = s.group_by("customer_id", "member").aggregate(n_orders=s.order_id.nunique())
    per = per.join(first, "customer_id")
    return per.group_by("member").aggregate(
        customers=per.count(),
        new_customers=grouping.is_new(per.first_at, per.member).cast("int64").sum(),
        repeaters=(per.n_orders >= 2).cast("int64").sum(),
    )


def _event_components(wh: Warehouse, period: DateRange, grouping: Grouping) -> ir.Table:
    assert grouping.events is not None
    e = grouping.events(in_range(wh.table("events"), "occurred_at", period))
    sess = e.filter(e.session_id.notnull())
    sess = sess.group_by("session_id", "member").aggregate(
        cart=(sess.event_type == "add_to_cart").any(),
        bought=(sess.event_type == "purchase").any(),
    )
    per_session = sess.group_by("member").aggregate(
        sessions=sess.count(),
        purchase_sessions=sess.bought.cast("int64").sum(),
        cart_sessions=sess.cart.cast("int64").sum(),
        cart_purchase_sessions=(sess.cart & sess.bought).cast("int64").sum(),
    )
    per_event = e.group_by("member").aggregate(
        events=e.count(), visitors=e.customer_id.fill_null(e.anonymous_id).nunique()
    )
    return _outer(per_event, per_session)


def _outer(left: ir.Table, right: ir.Table) -> ir.Table:
    """Full outer join on ``member`` with one ``member`` column."""
    r = right.rename(member_r="member")
    j = left.outer_join(r, left.member == r.member_r)
    return j.mutate(member=j.member.fill_null(j.member_r)).drop("member_r")


def kpi_table(
    wh: Warehouse, period: DateRange, kpis: Sequence[str], grouping: Grouping
) -> ir.Table:
    """Ibis table: ``member``, the component columns, and one column per KPI (not executed)."""
    kpis = check_kpis(kpis)
    sources = {s for k in kpis for s in KPI_DEFINITIONS[k].sources}
    if grouping.events is None and "events" in sources:
        raise InvalidInputError(
            "Event KPIs ("
            + ", ".join(k for k in kpis if "events" in KPI_DEFINITIONS[k].sources)
            + ") cannot be split this way; events carry no order attributes. Choose order KPIs."
        )
    lines = order_lines(wh, period)
    parts: list[ir.Table] = []
    if "lines" in sources:
        parts.append(_line_components(lines, grouping))
    if "customers" in sources:
        parts.append(_customer_components(wh, period, lines, grouping))
    if "events" in sources:
        parts.append(_event_components(wh, period, grouping))
    table = parts[0]
    for part in parts[1:]:
        table = _outer(table, part)
    fills = {c: 0 for s in sources for c in _COMPONENTS[s]}
    table = table.mutate(**{c: table[c].fill_null(v) for c, v in fills.items()})
    return table.mutate(**{k: _FORMULAS[k](table) for k in kpis})


@dataclass(frozen=True)
class KpiValue:
    """One KPI's value; ``None`` with a ``reason`` when it cannot be computed."""

    key: str
    label: str
    unit: KpiUnit
    value: float | None
    reason: str | None = None

    @property
    def available(self) -> bool:
        """Whether the KPI has a value."""
        return self.value is not None


@dataclass(frozen=True)
class KpiSet:
    """Every KPI of one period, in :data:`KPI_KEYS` order."""

    period: DateRange
    values: dict[str, KpiValue]


def _reason(key: str, c: dict[str, float]) -> str | None:
    """Why ``key`` has no value, given the components ``c`` of its member."""
    sources = KPI_DEFINITIONS[key].sources
    if "events" in sources and not c.get("events"):
        return NO_EVENTS
    if key == "gross_margin":
        return NO_COSTS if not c.get("costed_lines") else "costed net revenue is 0"
    denominators = {
        "aov": "orders",
        "units_per_order": "orders",
        "repeat_purchase_rate": "customers",
        "return_rate": "GMV",
        "conversion_rate": "sessions",
        "add_to_cart_rate": "sessions",
        "cart_abandonment": "sessions with add_to_cart",
        "revenue_per_visitor": "visitors",
    }
    return f"no {denominators[key]} in the period (division by zero)"


def value_with_reason(key: str, row: dict[str, float | None]) -> KpiValue:
    """A :class:`KpiValue` from one result row (components and KPI columns)."""
    d = KPI_DEFINITIONS[key]
    raw = row.get(key)
    value = None if raw is None else float(raw)
    comps = {k: float(v or 0) for k, v in row.items() if k not in KPI_DEFINITIONS and k != "member"}
    return KpiValue(key, d.label, d.unit, value, None if value is not None else _reason(key, comps))


def compute_kpis(wh: Warehouse, period: DateRange) -> KpiSet:
    """Every KPI of :data:`KPI_KEYS` over ``period``.

    Parameters
    ----------
    wh
        The warehouse.
    period
        Inclusive UTC days; orders by ``ordered_at``, events by ``occurred_at``.

    Returns
    -------
    KpiSet
        Counts and sums are 0 on an empty period; ratios without a denominator and event KPIs
        without events are ``None`` with a reason.
    """
    rows = kpi_table(wh, period, KPI_KEYS, whole_period(period)).to_pyarrow().to_pylist()
    return _kpi_set(period, rows[0] if rows else None)


def _kpi_set(period: DateRange, row: dict[str, float | None] | None) -> KpiSet:
    if row is None:  # nothing at all in the period: order sums and counts are 0, the rest None
        zero = {"gmv", "net_revenue", "orders", "customers", "new_customers", "returning_customers"}
        row = {k: 0.0 if k in zero else None for k in KPI_KEYS}
    return KpiSet(period, {k: value_with_reason(k, row) for k in KPI_KEYS})


def two_periods(current: DateRange, previous: DateRange) -> tuple[DateRange, Grouping]:
    """A span covering both periods and a grouping whose members are ``current``/``previous``.

    Comparing in one query scans the tables once instead of twice; rows between two
    non-adjacent periods (year over year) are filtered out.
    """
    span = DateRange(min(current.start, previous.start), max(current.end, previous.end))

    def label(ts: ir.TimestampValue) -> ir.StringValue:
        now = (ts >= current.start_ts) & (ts < current.end_ts)
        then = (ts >= previous.start_ts) & (ts < previous.end_ts)
        return ibis.cases((now, "current"), (then, "previous"), else_=ibis.null("string"))

    def lines(t: ir.Table) -> ir.Table:
        t = t.mutate(member=label(t.ordered_at))
        return t.filter(t.member.notnull())

    def events(e: ir.Table) -> ir.Table:
        e = e.mutate(member=label(e.occurred_at))
        return e.filter(e.member.notnull())

    def is_new(first_at: ir.Value, member: ir.Value) -> ir.BooleanValue:
        start = ibis.ifelse(member == "current", current.start_ts, previous.start_ts)
        return first_at >= start

    return span, Grouping(lines=lines, events=events, is_new=is_new)


@dataclass(frozen=True)
class KpiComparison:
    """One KPI in a period and its comparison period."""

    key: str
    label: str
    unit: KpiUnit
    current: float | None
    previous: float | None
    delta: float | None
    delta_rel: float | None
    reason: str | None


def compare_kpis(
    wh: Warehouse, period: DateRange, *, compare: Comparison = "previous"
) -> list[KpiComparison]:
    """Every KPI in ``period`` against the previous period or 52 weeks earlier.

    ``delta`` = current − previous; ``delta_rel`` = delta / |previous| (None when previous is 0
    or either value is missing); ``reason`` explains a missing value.
    """
    previous = comparison_range(period, compare)
    span, grouping = two_periods(period, previous)
    rows = {
        r["member"]: r for r in kpi_table(wh, span, KPI_KEYS, grouping).to_pyarrow().to_pylist()
    }
    now = _kpi_set(period, rows.get("current"))
    then = _kpi_set(previous, rows.get("previous"))
    out: list[KpiComparison] = []
    for key in KPI_KEYS:
        a, b = now.values[key], then.values[key]
        delta = None if a.value is None or b.value is None else a.value - b.value
        rel = None if delta is None or not b.value else delta / abs(b.value)
        reason = a.reason or (f"comparison period: {b.reason}" if b.reason else None)
        out.append(KpiComparison(key, a.label, a.unit, a.value, b.value, delta, rel, reason))
    return out
