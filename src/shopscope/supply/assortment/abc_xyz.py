"""ABC by revenue and margin, XYZ by weekly demand variability, and the ABC-XYZ matrix.

ABC (Pareto) classes: SKUs sorted by value (rounded to cents) descending, then by SKU; a SKU is
**A** while the share of value held by the SKUs *before it* is below ``a`` (default 80 %), **B**
below ``b`` (95 %), else **C** (so the SKU that crosses 80 % is still A). Margin is
``revenue − units × unit_cost``; negative margins count as 0 in the margin Pareto, and SKUs
without a cost have no margin class.

XYZ classes: the coefficient of variation of weekly units, ``CV = σ / μ`` over every week the
period touches (weeks without a sale count as 0): **X** ``CV ≤ 0.5``, **Y** ``≤ 1.0``, **Z**
above. A SKU sold once in ``W`` weeks has ``CV = √(W − 1)`` (Z for any period of 3+ weeks).

Cumulative sums, weekly sums and moments are Ibis windows and group-bys run by the engine.

References
----------
.. [1] Scholz-Reiter, B., Heger, J., Meinecke, C., & Bergmann, J. (2012). Integration of demand
   forecasts in ABC-XYZ analysis: practical investigation at an industrial company.
   *International Journal of Productivity and Performance Management*, 61(4), 445-451.
.. [2] Silver, E. A., Pyke, D. F., & Thomas, D. J. (2017). *Inventory and Production Management
   in Supply Chains* (4th ed.), ch. 2 (ABC classification). CRC Press.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.insight.periods import DateRange
from shopscope.supply.assortment.sales import resolve_period, sold_lines

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "POLICIES",
    "AbcXyzResult",
    "MatrixCell",
    "abc_table",
    "abc_xyz",
    "period_weeks",
    "sku_sales",
    "xyz_table",
]

AbcBasis = Literal["revenue", "margin"]

POLICIES: dict[str, str] = {
    "AX": "Continuous review, automatic replenishment, low safety stock; never run out.",
    "AY": "Continuous review with forecast-driven (seasonal) safety stock; check weekly.",
    "AZ": "Manage by hand: high safety stock or make/order to demand; close supplier contact.",
    "BX": "Periodic review with automatic replenishment and moderate safety stock.",
    "BY": "Periodic review, forecast-based orders and safety stock.",
    "BZ": "Periodic review, order to demand with a buffer; consider narrowing the range.",
    "CX": "Periodic review, infrequent bulk orders (EOQ), low attention.",
    "CY": "Periodic review, bulk orders, moderate safety stock.",
    "CZ": "Order on demand only; candidate for delisting or drop-shipping.",
}
"""Recommended stock policy per ABC-XYZ cell (Scholz-Reiter et al. 2012, table 1 in spirit)."""


@dataclass(frozen=True)
class MatrixCell:
    """One cell of the ABC-XYZ matrix."""

    cell: str
    abc: str
    xyz: str
    skus: int
    revenue: float
    revenue_share: float
    policy: str


@dataclass(frozen=True)
class AbcXyzResult:
    """Per-SKU classes (``items``, an Arrow table) and the 3 × 3 matrix with policies."""

    period: DateRange
    weeks: int
    thresholds: tuple[float, float]
    xyz_thresholds: tuple[float, float]
    items: pa.Table
    matrix: tuple[MatrixCell, ...]


def _check_thresholds(name: str, lo: float, hi: float, upper: float | None) -> None:
    ok = math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi
    if ok and upper is not None:
        ok = hi < upper
    if not ok:
        bound = f" < {upper:g}" if upper is not None else ""
        raise InvalidInputError(
            f"{name} thresholds ({lo!r}, {hi!r}) must satisfy 0 < first < second{bound}; "
            "the defaults are " + ("(0.8, 0.95)." if upper is not None else "(0.5, 1.0).")
        )


def period_weeks(period: DateRange) -> int:
    """Number of Monday-start weeks the period touches."""
    first = period.start - timedelta(days=period.start.weekday())
    last = period.end - timedelta(days=period.end.weekday())
    return (last - first).days // 7 + 1


def sku_sales(wh: Warehouse, period: DateRange) -> ir.Table:
    """Per SKU: revenue, units, orders, margin (null without unit_cost), title, category."""
    lines = sold_lines(wh, period)
    per = lines.group_by("sku").aggregate(
        revenue=lines.revenue.sum(),
        units=lines.quantity.sum(),
        orders=lines.order_id.nunique(),
    )
    products = wh.table("products").select("sku", "title", "category", "unit_cost")
    j = per.left_join(products, per.sku == products.sku)
    return j.select(
        sku=j.sku,
        title=j.title,
        category=j.category,
        revenue=j.revenue,
        units=j.units,
        orders=j.orders,
        margin=j.revenue - j.units * j.unit_cost,
    )


def _classify(share_before: ir.FloatingValue, a: float, b: float) -> ir.StringValue:
    return ibis.cases((share_before < a, "A"), (share_before < b, "B"), else_="C").cast("string")


def abc_table(
    wh: Warehouse,
    period: DateRange,
    *,
    by: AbcBasis = "revenue",
    thresholds: tuple[float, float] = (0.8, 0.95),
) -> ir.Table:
    """SKUs with ``value``, ``share``, ``cum_share`` (including the SKU) and ``abc`` class."""
    if by not in ("revenue", "margin"):
        raise InvalidInputError(f"ABC basis {by!r} is unknown; use 'revenue' or 'margin'.")
    a, b = thresholds
    _check_thresholds("ABC", a, b, 1.0)
    t = sku_sales(wh, period)
    if by == "margin":
        t = t.filter(t.margin.notnull())
        value = ibis.greatest(t.margin, 0.0)
    else:
        value = ibis.greatest(t.revenue, 0.0)
    # Cents, so equal values tie exactly on every engine (float sums differ in the last bit
    # with summation order) and the SKU breaks the tie the same way everywhere.
    t = t.mutate(value=value.round(2))
    order = [ibis.desc(t.value), t.sku]
    cum = t.value.sum().over(ibis.cumulative_window(order_by=order))
    total = t.value.sum().over(ibis.window())
    t = t.mutate(cum=cum, total=total)
    safe = ibis.ifelse(t.total > 0, t.total, ibis.null("float64"))
    t = t.mutate(share=t.value / safe, cum_share=t.cum / safe, before=(t.cum - t.value) / safe)
    return t.select(
        "sku", "value", "share", "cum_share", abc=_classify(ibis.coalesce(t.before, 1.0), a, b)
    )


def xyz_table(
    wh: Warehouse, period: DateRange, *, thresholds: tuple[float, float] = (0.5, 1.0)
) -> ir.Table:
    """SKUs with weekly mean units, weekly CV and ``xyz`` class (zero weeks included)."""
    x, y = thresholds
    _check_thresholds("XYZ", x, y, None)
    weeks = period_weeks(period)
    if weeks < 4:
        raise InvalidInputError(
            f"XYZ needs at least 4 weeks of history; {period} touches {weeks}. Use a longer "
            "period (--from/--to)."
        )
    lines = sold_lines(wh, period)
    weekly = lines.group_by(sku=lines.sku, week=lines.ordered_at.truncate("W")).aggregate(
        units=lines.quantity.sum().cast("float64")
    )
    mom = weekly.group_by("sku").aggregate(s1=weekly.units.sum(), s2=(weekly.units**2).sum())
    mean = mom.s1 / weeks
    var = ibis.greatest(mom.s2 / weeks - mean * mean, 0.0)
    cv = var.sqrt() / mean
    m = mom.mutate(weekly_mean=mean, weekly_cv=cv)
    cls = ibis.cases((m.weekly_cv <= x, "X"), (m.weekly_cv <= y, "Y"), else_="Z").cast("string")
    return m.select("sku", "weekly_mean", "weekly_cv", xyz=cls)


def abc_xyz(
    wh: Warehouse,
    period: DateRange | None = None,
    *,
    thresholds: tuple[float, float] = (0.8, 0.95),
    xyz_thresholds: tuple[float, float] = (0.5, 1.0),
) -> AbcXyzResult:
    """ABC by revenue and by margin, XYZ, and the ABC-XYZ matrix for ``period``.

    Parameters
    ----------
    wh
        The warehouse.
    period
        Days to analyse (default: all the data); XYZ needs 4+ weeks.
    thresholds
        Cumulative value shares closing A and B.
    xyz_thresholds
        Weekly CV bounds of X and Y.

    Returns
    -------
    AbcXyzResult
        ``items`` (one row per sold SKU, by revenue descending) and the matrix.
    """
    period = resolve_period(wh, period)
    sales = sku_sales(wh, period)
    rev = abc_table(wh, period, by="revenue", thresholds=thresholds)
    mar = abc_table(wh, period, by="margin", thresholds=thresholds).select(
        sku_m="sku", margin_share="share", abc_margin="abc"
    )
    xyz = xyz_table(wh, period, thresholds=xyz_thresholds)
    j = sales.join(rev.select("sku", "share", "cum_share", "abc"), "sku")
    j = j.left_join(mar, j.sku == mar.sku_m).drop("sku_m")
    j = j.join(xyz, "sku")
    expr = j.select(
        "sku",
        "title",
        "category",
        "revenue",
        "units",
        "orders",
        "margin",
        revenue_share="share",
        cum_share="cum_share",
        abc="abc",
        margin_share="margin_share",
        abc_margin="abc_margin",
        weekly_mean="weekly_mean",
        weekly_cv="weekly_cv",
        xyz="xyz",
        cell=j.abc.concat(j.xyz),
    ).order_by([ibis.desc("revenue"), "sku"])
    items = expr.to_pyarrow()
    return AbcXyzResult(
        period, period_weeks(period), thresholds, xyz_thresholds, items, _matrix(items)
    )


def _matrix(items: pa.Table) -> tuple[MatrixCell, ...]:
    total = sum(v for v in items.column("revenue").to_pylist() if v is not None) or 0.0
    acc: dict[str, list[float]] = {c: [0, 0.0] for c in POLICIES}
    for cell, revenue in zip(
        items.column("cell").to_pylist(), items.column("revenue").to_pylist(), strict=True
    ):
        acc[cell][0] += 1
        acc[cell][1] += revenue or 0.0
    return tuple(
        MatrixCell(
            c,
            c[0],
            c[1],
            int(n),
            float(rev),
            float(rev / total) if total > 0 else 0.0,
            POLICIES[c],
        )
        for c, (n, rev) in acc.items()
    )
