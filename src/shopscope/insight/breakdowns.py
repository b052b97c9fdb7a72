"""KPIs split by a dimension (channel, category, country, ...) and the members that moved most.

Each dimension says how an order line gets its member; the KPIs are the same Ibis expressions
as :func:`~shopscope.insight.kpis.compute_kpis`, grouped by member. Missing values are the member
``(none)``. Definitions of the dimensions are in ``docs/methods/kpis.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.insight.definitions import GOODS_KINDS, NONE_MEMBER, REVERSAL_STATUSES
from shopscope.insight.kpis import (
    KPI_DEFINITIONS,
    Grouping,
    check_kpis,
    kpi_table,
    order_lines,
)
from shopscope.insight.periods import Comparison, DateRange, comparison_range, in_range
from shopscope.warehouse.connection import Warehouse

__all__ = [
    "DIMENSIONS",
    "NONE_MEMBER",
    "Dimension",
    "Mover",
    "breakdown",
    "breakdown_table",
    "movers",
]

SEGMENT_TIERS = (("high", 0.8), ("mid", 0.5), ("low", 0.0))
"""Customer value tiers: cumulative share of prior spend ≥ threshold (top 20%, next 30%, rest)."""

MemberFn = Callable[[Warehouse, DateRange, ir.Table], ir.Table]


@dataclass(frozen=True)
class Dimension:
    """A way to split KPIs: ``member(wh, period, lines)`` adds a string ``member`` column."""

    name: str
    description: str
    member: MemberFn
    order_level: bool = True
    """Every line of an order has the same member (else order discounts are allocated)."""


def _column(name: str) -> MemberFn:
    return lambda _wh, _period, t: t.mutate(member=t[name].cast("string"))


def _customer_column(name: str) -> MemberFn:
    def member(wh: Warehouse, _period: DateRange, t: ir.Table) -> ir.Table:
        c = wh.table("customers").select("customer_id", _value=name)
        return t.left_join(c, "customer_id").mutate(member=ibis._["_value"]).drop("_value")

    return member


def _country(wh: Warehouse, _period: DateRange, t: ir.Table) -> ir.Table:
    c = wh.table("customers").select("customer_id", _country="country")
    j = t.left_join(c, "customer_id")
    return j.mutate(member=j.ship_country.fill_null(j._country)).drop("_country")


def _campaign(wh: Warehouse, period: DateRange, t: ir.Table) -> ir.Table:
    e = in_range(wh.table("events"), "occurred_at", period)
    e = e.filter(e.event_type == "purchase", e.order_id.notnull())
    tags = e.group_by("order_id").aggregate(_campaign=e.utm_campaign.max())
    return t.left_join(tags, "order_id").mutate(member=ibis._["_campaign"]).drop("_campaign")


def _first_orders(wh: Warehouse, period: DateRange, *, before: bool) -> ir.Table:
    """Per customer: first sale order time and sale value, over orders before the end/start."""
    t = order_lines(wh, period, end_only=True)
    if before:
        t = t.filter(t.ordered_at < period.start_ts)
    goods = t.item_kind.fill_null("product").isin(GOODS_KINDS)
    t = t.filter(
        goods,
        t.quantity > 0,
        t.unit_price > 0,
        ~t.status.isin(REVERSAL_STATUSES),
        t.customer_id.notnull(),
    )
    return t.group_by("customer_id").aggregate(
        _first_at=t.ordered_at.min(), _spend=(t.quantity * t.unit_price).sum()
    )


def _customer_type(wh: Warehouse, period: DateRange, t: ir.Table) -> ir.Table:
    first = _first_orders(wh, period, before=True).select("customer_id", "_first_at")
    j = t.left_join(first, "customer_id").drop("customer_id_right")
    member = ibis.cases(
        (j.customer_id.isnull(), ibis.literal("guest")),
        (j._first_at.isnull(), ibis.literal("new")),
        else_=ibis.literal("returning"),
    )
    return j.mutate(member=member).drop("_first_at")


def _segment(wh: Warehouse, period: DateRange, t: ir.Table) -> ir.Table:
    prior = _first_orders(wh, period, before=True)
    # Spend in cents: engines sum floats in different orders, and a tie must stay a tie.
    prior = prior.filter(prior._spend > 0).mutate(_spend=prior._spend.round(2))
    prior = prior.mutate(_cume=ibis.cume_dist().over(order_by=prior._spend))
    tier = ibis.cases(
        *((prior._cume > threshold, ibis.literal(name)) for name, threshold in SEGMENT_TIERS[:-1]),
        else_=ibis.literal(SEGMENT_TIERS[-1][0]),
    )
    prior = prior.select("customer_id", _tier=tier)
    j = t.left_join(prior, "customer_id").drop("customer_id_right")
    member = ibis.cases(
        (j.customer_id.isnull(), ibis.literal("guest")),
        (j._tier.isnull(), ibis.literal("first-time")),
        else_=j._tier,
    )
    return j.mutate(member=member).drop("_tier")


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("channel", "orders.channel", _column("channel")),
        Dimension("campaign", "utm_campaign of the order's purchase event", _campaign),
        Dimension("category", "products.category of the line", _column("category"), False),
        Dimension("product", "order_items.sku", _column("sku"), False),
        Dimension("country", "orders.ship_country, else customers.country", _country),
        Dimension("region", "customers.region", _customer_column("region")),
        Dimension("device", "orders.device", _column("device")),
        Dimension(
            "customer_type",
            "new (no sale order before the period), returning, guest",
            _customer_type,
        ),
        Dimension(
            "segment",
            "value tier by sale value before the period: high (top 20% of "
            "customers), mid (next 30%), low, first-time, guest",
            _segment,
        ),
    )
}


def _dimension(name: str) -> Dimension:
    if name not in DIMENSIONS:
        raise InvalidInputError(f"Unknown dimension {name!r}. Dimensions: {', '.join(DIMENSIONS)}.")
    return DIMENSIONS[name]


def _grouping(wh: Warehouse, period: DateRange, dim: Dimension) -> Grouping:
    def lines(t: ir.Table) -> ir.Table:
        t = dim.member(wh, period, t)
        return t.mutate(member=t.member.cast("string").fill_null(NONE_MEMBER))

    return Grouping(
        lines=lines,
        events=None,
        is_new=lambda first_at, _member: first_at >= period.start_ts,
        order_level=dim.order_level,
    )


def breakdown_table(
    wh: Warehouse, period: DateRange, dimension: str, *, kpis: Sequence[str] = ("net_revenue",)
) -> ir.Table:
    """Ibis table ``member`` + KPI columns for ``dimension`` over ``period`` (not executed)."""
    dim = _dimension(dimension)
    kpis = check_kpis(kpis)
    events = [k for k in kpis if "events" in KPI_DEFINITIONS[k].sources]
    if events:
        raise InvalidInputError(
            f"KPIs {', '.join(events)} come from events and cannot be split by {dimension}. "
            "Break down order KPIs: "
            + ", ".join(k for k, d in KPI_DEFINITIONS.items() if "events" not in d.sources)
            + "."
        )
    t = kpi_table(wh, period, kpis, _grouping(wh, period, dim))
    return t.select("member", *kpis)


def breakdown(
    wh: Warehouse,
    period: DateRange,
    dimension: str,
    *,
    kpis: Sequence[str] = ("net_revenue", "orders", "aov"),
    limit: int | None = None,
) -> pa.Table:
    """KPIs per member of ``dimension``, sorted by the first KPI, largest first.

    Parameters
    ----------
    wh
        The warehouse.
    period
        Inclusive UTC days.
    dimension
        A key of :data:`DIMENSIONS`.
    kpis
        Order KPIs (event KPIs cannot be split by order attributes).
    limit
        Keep the first ``limit`` members.

    Returns
    -------
    pyarrow.Table
        ``member`` (string; missing values are ``(none)``) and one column per KPI.
    """
    if limit is not None and limit < 1:
        raise InvalidInputError(f"limit must be at least 1, got {limit}.")
    chosen = check_kpis(kpis)

    def build() -> ir.Table:
        t = breakdown_table(wh, period, dimension, kpis=chosen)
        first = t[chosen[0]]
        t = t.order_by([first.desc(nulls_first=False), t.member])
        return t.limit(limit) if limit is not None else t

    return wh.execute(("breakdown", period, dimension, chosen, limit), build)


@dataclass(frozen=True)
class Mover:
    """A member whose KPI changed between the comparison period and the period."""

    dimension: str
    member: str
    kpi: str
    current: float
    previous: float
    delta: float
    delta_rel: float | None
    share_of_change: float | None


def movers(
    wh: Warehouse,
    period: DateRange,
    dimension: str,
    *,
    kpi: str = "net_revenue",
    compare: Comparison = "previous",
    top: int = 5,
) -> tuple[list[Mover], list[Mover]]:
    """The members of ``dimension`` whose ``kpi`` rose and fell most.

    A member absent from one period counts 0 there for sums and counts; for ratio KPIs a member
    needs a value in both periods. ``share_of_change`` = delta / (total change over all
    members), only for additive KPIs and a non-zero total change.

    Returns
    -------
    tuple of list of Mover
        (risers, largest delta first; fallers, most negative first), at most ``top`` each.
    """
    if top < 1:
        raise InvalidInputError(f"top must be at least 1, got {top}.")
    check_kpis([kpi])
    other = comparison_range(period, compare)
    now = _values(breakdown_table(wh, period, dimension, kpis=[kpi]), kpi)
    then = _values(breakdown_table(wh, other, dimension, kpis=[kpi]), kpi)
    additive = KPI_DEFINITIONS[kpi].additive
    rows: list[tuple[str, float, float]] = []
    for member in sorted(set(now) | set(then)):
        a, b = now.get(member), then.get(member)
        if additive:
            rows.append((member, a or 0.0, b or 0.0))
        elif a is not None and b is not None:
            rows.append((member, a, b))
    total = sum(a - b for _, a, b in rows)
    out = [
        Mover(
            dimension,
            member,
            kpi,
            a,
            b,
            a - b,
            (a - b) / abs(b) if b else None,
            (a - b) / total if additive and total else None,
        )
        for member, a, b in rows
    ]
    risers = sorted((m for m in out if m.delta > 0), key=lambda m: (-m.delta, m.member))
    fallers = sorted((m for m in out if m.delta < 0), key=lambda m: (m.delta, m.member))
    return risers[:top], fallers[:top]


def _values(t: ir.Table, kpi: str) -> dict[str, float | None]:
    rows = t.to_pyarrow().to_pylist()
    return {r["member"]: None if r[kpi] is None else float(r[kpi]) for r in rows}
