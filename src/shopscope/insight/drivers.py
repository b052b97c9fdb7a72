"""Drivers of change: why revenue moved between two periods.

Revenue is split into ``sessions × conversion × order value`` and the change between two periods
is decomposed additively with LMDI-I, for the whole shop and for each member of a dimension
(device, channel, category, country, campaign). The relational work (filters, joins, group-bys)
runs in the engine; only a few dozen aggregate rows come back, and the arithmetic of the
decomposition is done in NumPy on those. See ``docs/methods/drivers.md``.

References
----------
.. [1] Ang, B. W. (2004). Decomposition analysis for policymaking in energy: which is the
   preferred method? *Energy Policy* 32(9), 1131-1139.
.. [2] Ang, B. W. (2015). LMDI decomposition approach: a guide for implementation.
   *Energy Policy* 86, 233-238.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import ibis
import numpy as np
import numpy.typing as npt

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.definitions import NONE_MEMBER, REVERSAL_STATUSES
from shopscope.insight.periods import DateRange, data_range, in_range

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "DIMENSIONS",
    "DriverReport",
    "FactorChange",
    "MemberContribution",
    "explain_revenue_change",
    "lmdi_contributions",
    "log_mean",
]

log = logging.getLogger(__name__)

Factor = Literal["traffic", "conversion", "order_value", "orders"]
DIMENSIONS = ("device", "channel", "category", "country", "campaign")
"""Dimensions :func:`explain_revenue_change` can attribute the change to."""
_SESSION_DIMENSIONS = frozenset({"device", "channel", "campaign"})
_NOT_SALES = REVERSAL_STATUSES
_NONE = NONE_MEMBER
_UNALLOCATED = "(unallocated)"
_SESSION_FACTORS: tuple[Factor, ...] = ("traffic", "conversion", "order_value")
_ORDER_FACTORS: tuple[Factor, ...] = ("orders", "order_value")
_LABEL = {"traffic": "traffic", "conversion": "conversion", "order_value": "order value",
          "orders": "orders"}  # fmt: skip
_LABEL_ZH = {"traffic": "流量", "conversion": "转化率", "order_value": "客单价", "orders": "订单数"}


@dataclass(frozen=True)
class FactorChange:
    """One factor of revenue (``traffic × conversion × order value``) in both periods.

    ``change_rel`` is ``current / previous − 1`` (0 when both are 0, ``inf`` when only the
    previous value is 0). ``contribution`` is the factor's additive share of the revenue change
    in currency; the contributions of a decomposition sum exactly to the revenue change.
    """

    factor: Factor
    current: float
    previous: float
    change_rel: float
    contribution: float


@dataclass(frozen=True)
class MemberContribution:
    """One member of a dimension: its revenue in both periods and its part of the change.

    ``contribution`` is the member's own revenue change (members partition revenue, so their
    contributions sum to the total change); ``share`` is ``contribution / total change`` (0 when
    the total did not change). ``factors`` splits the member's change into traffic, conversion
    and order value where sessions can be attributed to the member (device, channel, campaign),
    into orders and order value otherwise (category, country), and is empty for the
    ``(unallocated)`` reconciliation member.
    """

    dimension: str
    member: str
    revenue_current: float
    revenue_previous: float
    contribution: float
    share: float
    factors: tuple[FactorChange, ...]


@dataclass(frozen=True)
class DriverReport:
    """Why revenue changed from ``previous`` to ``current`` (:func:`explain_revenue_change`)."""

    current: DateRange
    previous: DateRange
    revenue_current: float
    revenue_previous: float
    change: float
    change_rel: float | None
    factors: tuple[FactorChange, ...]
    by_dimension: dict[str, tuple[MemberContribution, ...]]
    headline: str
    headline_zh: str
    reason: str | None


# -- the arithmetic -------------------------------------------------------------------------


def log_mean(a: float, b: float) -> float:
    """The logarithmic mean ``L(a, b) = (a − b) / (ln a − ln b)``, ``L(a, a) = a``.

    References
    ----------
    .. [1] Ang (2004), *Energy Policy* 32, eq. (6).
    """
    if a <= 0 or b <= 0:
        raise InvalidInputError(f"The logarithmic mean needs positive values, got {a} and {b}.")
    return _log_mean(a, b, math.log(a), math.log(b))


def _log_mean(a: float, b: float, log_a: float, log_b: float) -> float:
    # Near a = b the quotient loses its digits to cancellation; with d = ln a − ln b,
    # L = b·(e^d − 1)/d = b·(1 + d/2 + d²/6 + d³/24 + …). The logs come from the factors, so
    # a product that underflows to 0 still has a finite mean.
    d = log_a - log_b
    if abs(d) < 1e-4:
        return math.exp(log_b) * (1.0 + d / 2.0 + d * d / 6.0 + d**3 / 24.0)
    return (a - b) / d


def lmdi_contributions(
    previous: Sequence[float], current: Sequence[float], *, total: float | None = None
) -> npt.NDArray[np.float64]:
    """Additive LMDI-I contributions of each factor to the change of their product.

    With ``R = Π x_f``: ``ΔR_f = L(R¹, R⁰) · ln(x_f¹ / x_f⁰)``, which sums to ``R¹ − R⁰``
    exactly in real arithmetic; the last floating-point residual is added to the largest term so
    the contributions sum to ``total`` (default ``Π x¹ − Π x⁰``). When a factor is zero in
    either period (a member absent from one period, a conversion that fell to nothing) the
    logarithms are undefined: the whole change goes to the first such factor and the others get
    0, so the result never holds NaN.

    Parameters
    ----------
    previous, current:
        The factor values in the base and the current period (same length, finite, >= 0).
    total:
        The change to reproduce; pass the revenue change computed from the data so that
        rounding in the factors does not leak into the sum.

    References
    ----------
    .. [1] Ang (2004), *Energy Policy* 32, 1131-1139, Table 2 (LMDI-I, additive).
    """
    x0 = np.asarray(previous, dtype=np.float64)
    x1 = np.asarray(current, dtype=np.float64)
    if x0.shape != x1.shape or x0.ndim != 1 or x0.size == 0:
        raise InvalidInputError(
            f"Factors must be two non-empty vectors of equal length, got {x0.shape} and {x1.shape}."
        )
    if not (np.all(np.isfinite(x0)) and np.all(np.isfinite(x1))):
        raise InvalidInputError(f"Factors must be finite, got {x0.tolist()} and {x1.tolist()}.")
    delta = float(np.prod(x1) - np.prod(x0)) if total is None else float(total)
    out = np.zeros(x0.size, dtype=np.float64)
    if np.all(x0 > 0) and np.all(x1 > 0):
        lx0, lx1 = np.log(x0), np.log(x1)
        w = _log_mean(float(np.prod(x1)), float(np.prod(x0)), float(lx1.sum()), float(lx0.sum()))
        out = w * (lx1 - lx0)
        out[int(np.argmax(np.abs(out)))] += delta - float(out.sum())
        return out
    bad = np.flatnonzero((x0 <= 0) | (x1 <= 0))
    out[int(bad[0])] = delta
    return out


def _rel(previous: float, current: float) -> float:
    if previous != 0:
        return current / previous - 1.0
    return 0.0 if current == 0 else math.copysign(math.inf, current)


def _factors(
    names: tuple[Factor, ...], x0: Sequence[float], x1: Sequence[float], total: float
) -> tuple[FactorChange, ...]:
    contrib = lmdi_contributions(x0, x1, total=total)
    return tuple(
        FactorChange(n, float(b), float(a), _rel(float(a), float(b)), float(c))
        for n, a, b, c in zip(names, x0, x1, contrib, strict=True)
    )


def _values(sessions: float | None, orders: float, revenue: float) -> list[float]:
    value = revenue / orders if orders else 0.0
    if sessions is None:
        return [orders, value]
    return [sessions, orders / sessions if sessions else 0.0, value]


# -- the engine side ------------------------------------------------------------------------

_Key = tuple[str, str]  # (period, member)


def _labelled(table: ibis.Table, column: str, current: DateRange, previous: DateRange) -> Any:
    parts = [
        in_range(table, column, p).mutate(period=ibis.literal(label))
        for label, p in (("current", current), ("previous", previous))
    ]
    return parts[0].union(parts[1])


def _sale_orders(wh: Warehouse, current: DateRange, previous: DateRange) -> Any:
    o = wh.table("orders")
    o = o.filter(o.status.notin(_NOT_SALES), o.gross_amount > 0)
    t = _labelled(o, "ordered_at", current, previous)
    return t.mutate(revenue=t.gross_amount - t.discount_amount.fill_null(0.0))


def _channel(e: Any) -> Any:
    """Channel of an event from its UTM medium and referrer (the names ``orders.channel`` uses)."""
    m = e.utm_medium.lower()
    return ibis.cases(
        (m == "organic", "organic_search"),
        (m.isin(["cpc", "ppc", "paid_search"]), "paid_search"),
        (m.isin(["paid_social", "social", "paidsocial"]), "paid_social"),
        (m == "email", "email"),
        (m == "affiliate", "affiliate"),
        (m == "referral", "referral"),
        (m.isnull() & e.referrer.notnull(), "referral"),
        (m.isnull(), "direct"),
        else_=m,
    )


def _rows(expr: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    return rows


def _order_cells(wh: Warehouse, sales: Any, dim: str) -> dict[_Key, tuple[float, float]]:
    """(orders, revenue) per (period, member) of ``dim``, aggregated in the engine."""
    if dim == "category":
        items, products = wh.table("order_items"), wh.table("products")
        j = sales.select("order_id", "period").join(items, "order_id").left_join(products, "sku")
        j = j.filter(j.item_kind.isnull() | (j.item_kind == "product"))
        j = j.mutate(
            member=j.category.fill_null(_NONE),
            revenue=j.quantity * j.unit_price - j.discount_amount.fill_null(0.0),
        )
        agg = j.group_by(["period", "member"]).aggregate(
            n=j.order_id.nunique(), revenue=j.revenue.sum()
        )
    else:
        if dim == "country":
            j = sales.left_join(
                wh.table("customers").select("customer_id", "country"), "customer_id"
            )
            j = j.mutate(member=ibis.coalesce(j.ship_country, j.country))
        elif dim == "campaign":
            e = wh.table("events")
            p = e.filter(e.event_type == "purchase", e.order_id.notnull())
            p = p.group_by("order_id").aggregate(campaign=p.utm_campaign.max())
            j = sales.left_join(p, "order_id")
            j = j.mutate(member=j.campaign)
        else:
            j = sales.mutate(member=sales[dim])
        j = j.mutate(member=j.member.fill_null(_NONE))
        agg = j.group_by(["period", "member"]).aggregate(n=j.count(), revenue=j.revenue.sum())
    return {
        (r["period"], r["member"]): (float(r["n"]), float(r["revenue"] or 0.0)) for r in _rows(agg)
    }


def _session_cells(
    wh: Warehouse, current: DateRange, previous: DateRange, dim: str | None
) -> dict[_Key, float]:
    """Distinct sessions per (period, member); a session takes the member of its first event."""
    e = wh.table("events")
    ev = _labelled(e.filter(e.session_id.notnull()), "occurred_at", current, previous)
    if dim is None:
        agg = (
            ev.group_by("period")
            .aggregate(n=ev.session_id.nunique())
            .mutate(member=ibis.literal(_NONE))
        )
    else:
        attr = {"device": ev.device, "channel": _channel(ev), "campaign": ev.utm_campaign}[dim]
        s = ev.mutate(member=attr.fill_null(_NONE))
        s = s.group_by(["period", "session_id"]).aggregate(member=s.member.argmin(s.occurred_at))
        agg = s.group_by(["period", "member"]).aggregate(n=s.count())
    return {(r["period"], r["member"]): float(r["n"]) for r in _rows(agg)}


# -- assembling the report ------------------------------------------------------------------


def _members(
    dim: str,
    cells: dict[_Key, tuple[float, float]],
    sessions: dict[_Key, float] | None,
    total: tuple[float, float],
) -> tuple[MemberContribution, ...]:
    change = total[1] - total[0]
    if dim == "category":  # lines need not reconcile with the order totals: keep the rest visible
        for period, whole in (("previous", total[0]), ("current", total[1])):
            rest = whole - sum(v[1] for k, v in cells.items() if k[0] == period)
            if abs(rest) > 1e-9 * max(abs(whole), 1.0):
                cells[(period, _UNALLOCATED)] = (0.0, rest)
    names = {m for _, m in cells} | ({m for _, m in sessions} if sessions else set())
    out: list[MemberContribution] = []
    for m in names:
        o0, r0 = cells.get(("previous", m), (0.0, 0.0))
        o1, r1 = cells.get(("current", m), (0.0, 0.0))
        factors: tuple[FactorChange, ...] = ()
        if sessions is not None:
            s0, s1 = sessions.get(("previous", m), 0.0), sessions.get(("current", m), 0.0)
            if not ((s0 == 0 and o0 > 0) or (s1 == 0 and o1 > 0)):
                factors = _factors(
                    _SESSION_FACTORS, _values(s0, o0, r0), _values(s1, o1, r1), r1 - r0
                )
        elif m != _UNALLOCATED:
            factors = _factors(
                _ORDER_FACTORS, _values(None, o0, r0), _values(None, o1, r1), r1 - r0
            )
        share = (r1 - r0) / change if change else 0.0
        out.append(MemberContribution(dim, m, r1, r0, r1 - r0, share, factors))
    return tuple(sorted(out, key=lambda c: (-abs(c.contribution), c.member)))


def _pct(x: float) -> str:
    return f"{x:+.1%}".replace("-", "−")


def _headline(
    change: float,
    change_rel: float | None,
    factors: tuple[FactorChange, ...],
    by_dimension: dict[str, tuple[MemberContribution, ...]],
) -> tuple[str, str]:
    if change == 0:
        return "Revenue unchanged vs previous period.", "收入与上期持平。"
    rev = _pct(change_rel) if change_rel is not None else f"{change:+,.2f}".replace("-", "−")
    en, zh = f"Revenue {rev} vs previous period", f"收入较上期 {rev}"
    ranked = sorted((f for f in factors if f.contribution), key=lambda f: -abs(f.contribution))
    mostly: MemberContribution | None = None
    if ranked:
        top, best = ranked[0], 0.0
        for members in by_dimension.values():
            for mc in members:
                for f in mc.factors:
                    if f.factor == top.factor and f.contribution / top.contribution > best:
                        best, mostly = f.contribution / top.contribution, mc
        parts_en, parts_zh = [], []
        for i, f in enumerate(ranked[:2]):
            where = f"{mostly.dimension}={mostly.member}" if i == 0 and mostly else None
            parts_en.append(f"{_LABEL[f.factor]} {_pct(f.change_rel)}")
            parts_zh.append(f"{_LABEL_ZH[f.factor]} {_pct(f.change_rel)}")
            if where:
                parts_en[-1] += f" (mostly {where})"
                parts_zh[-1] += f"（主要来自 {where}）"
        en, zh = f"{en}: {', '.join(parts_en)}", f"{zh}：{'，'.join(parts_zh)}"
    others = [d for d in by_dimension if not mostly or d != mostly.dimension]
    dims = ["category"] if "category" in by_dimension else others or list(by_dimension)
    candidates = [mc for d in dims for mc in by_dimension[d][:1] if mc.share > 0]
    if candidates:
        mc = max(candidates, key=lambda c: c.share)
        word, word_zh = ("drop", "下降") if change < 0 else ("rise", "增长")
        en += f"; {mc.dimension}={mc.member} explains {mc.share:.0%} of the {word}"
        zh += f"；{mc.dimension}={mc.member} 解释了{word_zh}的 {mc.share:.0%}"
    return en + ".", zh + "。"


def explain_revenue_change(
    wh: Warehouse,
    current: DateRange,
    previous: DateRange | None = None,
    *,
    dimensions: Sequence[str] = ("device", "channel", "category"),
) -> DriverReport:
    """Decompose the revenue change between two periods into its drivers.

    Revenue ``R = Σ (gross_amount − discount_amount)`` over sale orders (status not cancelled,
    returned or refunded, ``gross_amount > 0``) ordered in the period; ``R = S × C × V`` with
    ``S`` the distinct ``events.session_id`` in the period, ``C = orders / S`` (orders per
    session: an order need not carry a session) and ``V = R / orders``. The change is split over
    the three factors with additive LMDI-I and over the members of each dimension.

    Parameters
    ----------
    wh:
        The warehouse.
    current:
        The period to explain.
    previous:
        The base period; default ``current.previous()``.
    dimensions:
        Any of ``device``, ``channel``, ``category``, ``country``, ``campaign``.

    Returns
    -------
    DriverReport
        With ``reason`` set (not an exception) when a period has no data, or when events do
        not cover both periods (then ``R = orders × order value``).

    Raises
    ------
    NotFoundError
        The warehouse has no orders.
    InvalidInputError
        An unknown dimension.

    References
    ----------
    .. [1] Ang (2004), *Energy Policy* 32, 1131-1139.
    """
    unknown = [d for d in dimensions if d not in DIMENSIONS]
    if unknown:
        raise InvalidInputError(
            f"Unknown dimension(s) {', '.join(map(repr, unknown))}. Allowed: "
            f"{', '.join(DIMENSIONS)}."
        )
    dims = list(dict.fromkeys(dimensions))
    if data_range(wh) is None:
        raise NotFoundError(
            "The warehouse has no orders to explain. Load data with `shopscope demo` or "
            "`shopscope ingest`."
        )
    previous = previous or current.previous()
    sales = _sale_orders(wh, current, previous)
    tot = _order_cells(wh, sales.mutate(_all=ibis.literal(_NONE)), "_all")
    o0, r0 = tot.get(("previous", _NONE), (0.0, 0.0))
    o1, r1 = tot.get(("current", _NONE), (0.0, 0.0))
    sess = _session_cells(wh, current, previous, None)
    s0, s1 = sess.get(("previous", _NONE), 0.0), sess.get(("current", _NONE), 0.0)
    change, change_rel = r1 - r0, ((r1 - r0) / r0 if r0 > 0 else None)

    def report(
        factors: tuple[FactorChange, ...],
        by: dict[str, tuple[MemberContribution, ...]],
        headline: tuple[str, str],
        reason: str | None,
    ) -> DriverReport:
        en, zh = headline
        return DriverReport(
            current, previous, r1, r0, change, change_rel, factors, by, en, zh, reason
        )

    periods = (("current", current, o1, s1), ("previous", previous, o0, s0))
    empty = [(label, p) for label, p, o, s in periods if o == 0 and s == 0]
    if empty:
        which = " and ".join(f"{label} period ({p})" for label, p in empty)
        empty_reason = f"No sale orders or sessions in the {which}; nothing to decompose."
        zh = "、".join(("本期" if label == "current" else "上期") for label, _ in empty)
        log.info(empty_reason)
        return report((), {}, (empty_reason, f"{zh}没有订单或访问数据，无法分解。"), empty_reason)
    reason: str | None = None
    use_sessions = s0 > 0 and s1 > 0
    if use_sessions:
        e = wh.table("events")
        first = _rows(e.aggregate(lo=e.occurred_at.min()))[0]["lo"]
        if first is not None and first.date() > min(current.start, previous.start):
            use_sessions = False
    if use_sessions:
        factors = _factors(_SESSION_FACTORS, _values(s0, o0, r0), _values(s1, o1, r1), change)
    else:
        reason = (
            "Events do not cover both periods, so sessions are unknown: revenue was "
            "decomposed into orders × order value instead of traffic × conversion × "
            "order value."
        )
        factors = _factors(_ORDER_FACTORS, _values(None, o0, r0), _values(None, o1, r1), change)
    by_dimension: dict[str, tuple[MemberContribution, ...]] = {}
    for dim in dims:
        cells = _order_cells(wh, sales, dim)
        per_session = (
            _session_cells(wh, current, previous, dim)
            if use_sessions and dim in _SESSION_DIMENSIONS
            else None
        )
        by_dimension[dim] = _members(dim, cells, per_session, (r0, r1))
    return report(
        factors, by_dimension, _headline(change, change_rel, factors, by_dimension), reason
    )
