"""RFM: recency, frequency and monetary scores per customer, segments, and their migration.

For every known (non-guest) customer with a sale order before ``as_of``:

``recency_days``
    Days from the day of the customer's last sale order to ``as_of`` (at least 1).
``frequency``
    Distinct sale orders (see :mod:`shopscope.insight.definitions`).
``monetary``
    Sum of goods revenue over those orders (rounded to cents).

Each measure becomes a quantile score in ``1..bins`` by
``score = floor(rank * bins / n) + 1``, where ``n`` is the number of customers and ``rank`` the
zero-based *minimum* rank (SQL ``RANK() - 1``, pandas ``rank(method="min") - 1``) in ascending
order of goodness: recency descending (more recent = higher score), frequency and monetary
ascending. Ties therefore always share a score (the lower one), which makes scores independent
of row order; with many ties (most customers buy once) some scores stay unused. The segment is
the first rule of an R × F grid (:func:`load_segment_rules`) that contains ``(r_score, f_score)``.

The relational work is Ibis run by the backend; see ``docs/methods/rfm.md``.

References
----------
.. [1] Hughes, A. M. (1994). *Strategic Database Marketing*. Probus.
.. [2] Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). RFM and CLV: Using iso-value curves
   for customer base analysis. *Journal of Marketing Research*, 42(4), 415-430.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.cohorts import sale_orders
from shopscope.insight.periods import data_range
from shopscope.tomlfile import read_toml

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "NEW_SEGMENT",
    "Bins",
    "SegmentRule",
    "SegmentSummary",
    "load_segment_rules",
    "movers_between",
    "rfm_scores",
    "rfm_table",
    "segment_migration",
    "segment_summary",
    "validate_rules",
]

Bins = Literal[3, 5]
NEW_SEGMENT = "(new)"
"""``from_segment`` of customers who had no sale order yet at ``from_date``."""

_BINS: tuple[int, ...] = (3, 5)


@dataclass(frozen=True)
class SegmentRule:
    """One segment of the R × F grid: inclusive score ranges; the first matching rule wins.

    Attributes
    ----------
    name
        Segment name, e.g. ``"Champions"``.
    r, f
        Inclusive ``(low, high)`` ranges of the recency and frequency scores.
    description_en, description_zh
        What the segment's customers have in common, in English and Chinese.
    action
        What the user-operations role should do with the segment.
    """

    name: str
    r: tuple[int, int]
    f: tuple[int, int]
    description_en: str = ""
    description_zh: str = ""
    action: str = ""

    def __post_init__(self) -> None:
        for axis, (lo, hi) in (("r", self.r), ("f", self.f)):
            if lo > hi:
                raise InvalidInputError(
                    f"Segment {self.name!r}: {axis} range [{lo}, {hi}] is empty; write it as "
                    "[low, high] with low <= high."
                )

    def matches(self, r: int, f: int) -> bool:
        """Whether the cell ``(r, f)`` belongs to this rule."""
        return self.r[0] <= r <= self.r[1] and self.f[0] <= f <= self.f[1]


def _check_bins(bins: object) -> int:
    if not isinstance(bins, int) or isinstance(bins, bool) or bins not in _BINS:
        raise InvalidInputError(f"bins must be 3 or 5, got {bins!r}.")
    return bins


def _range(entry: dict[str, Any], key: str, where: str) -> tuple[int, int]:
    value = entry.get(key)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise InvalidInputError(
            f"{where}: {key} must be a list of two integers [low, high], got {value!r}."
        )
    return (value[0], value[1])


def validate_rules(rules: Sequence[SegmentRule], bins: int) -> tuple[SegmentRule, ...]:
    """Check ranges lie within ``1..bins`` and every ``(r, f)`` cell is covered."""
    if not rules:
        raise InvalidInputError("The segment rule table is empty; give at least one rule.")
    for rule in rules:
        for axis, (lo, hi) in (("r", rule.r), ("f", rule.f)):
            if lo < 1 or hi > bins:
                raise InvalidInputError(
                    f"Segment {rule.name!r}: {axis} range [{lo}, {hi}] is outside 1..{bins}."
                )
    uncovered = [
        (r, f)
        for r in range(1, bins + 1)
        for f in range(1, bins + 1)
        if not any(rule.matches(r, f) for rule in rules)
    ]
    if uncovered:
        cells = ", ".join(f"({r}, {f})" for r, f in uncovered)
        raise InvalidInputError(
            f"The segment rules leave {len(uncovered)} (r, f) cell(s) uncovered for {bins} bins: "
            f"{cells}. Add rules (or widen ranges) so every cell matches one."
        )
    return tuple(rules)


def load_segment_rules(path: Path | None = None, *, bins: Bins = 5) -> tuple[SegmentRule, ...]:
    """The segment rule table for ``bins`` score bins, from ``path`` or the packaged default.

    The file holds ``[[rule]]`` entries with ``name``, ``r5``/``f5`` (and optionally
    ``r3``/``f3``) as ``[low, high]``, ``description_en``, ``description_zh`` and ``action``.
    Rules without ranges for ``bins`` are skipped; order is priority.

    Raises
    ------
    InvalidInputError
        Unreadable file, malformed rule, range outside ``1..bins``, or uncovered cells (listed).
    """
    n = _check_bins(bins)
    where = str(path) if path is not None else "default RFM segment rules"
    data = read_toml(path, "shopscope.retention", "rfm_segments.toml", "segment rules")
    entries = data.get("rule")
    if not isinstance(entries, list):
        raise InvalidInputError(f"{where}: expected [[rule]] entries (see docs/methods/rfm.md).")
    rules: list[SegmentRule] = []
    for i, entry in enumerate(entries, start=1):
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidInputError(f"{where}: rule {i} has no name.")
        if f"r{n}" not in entry and f"f{n}" not in entry:
            continue
        label = f"{where}: rule {name!r}"
        rules.append(
            SegmentRule(
                name=name,
                r=_range(entry, f"r{n}", label),
                f=_range(entry, f"f{n}", label),
                description_en=str(entry.get("description_en", "")),
                description_zh=str(entry.get("description_zh", "")),
                action=str(entry.get("action", "")),
            )
        )
    return validate_rules(rules, n)


# -- relational part (Ibis) -------------------------------------------------------------------


def _resolve_as_of(wh: Warehouse, as_of: date | None) -> date:
    available = data_range(wh)
    if available is None:
        raise NotFoundError(
            "The warehouse has no orders to score. Load data with `shopscope demo` or "
            "`shopscope ingest`."
        )
    if as_of is None:
        return available.end + timedelta(days=1)
    if as_of <= available.start:
        raise InvalidInputError(
            f"as_of {as_of} is not after the first order ({available.start}); RFM needs orders "
            f"before it. Choose a date in {available.start + timedelta(days=1)}.."
            f"{available.end + timedelta(days=1)}, or omit it for the day after the last order."
        )
    return as_of


def _score(key: ir.Column, n: ir.IntegerValue, bins: int) -> ir.IntegerValue:
    # floor(rank * bins / n) + 1 with the zero-based minimum rank: ties share a score.
    rank = ibis.rank().over(order_by=key)
    return ((rank * bins) / n).floor().cast("int64") + 1


def _segment(r: ir.IntegerValue, f: ir.IntegerValue, rules: Sequence[SegmentRule]) -> ir.Value:
    branches = [
        (r.between(rule.r[0], rule.r[1]) & f.between(rule.f[0], rule.f[1]), rule.name)
        for rule in rules
    ]
    return ibis.cases(*branches, else_=ibis.null("string"))


def rfm_table(
    wh: Warehouse,
    *,
    as_of: date | None = None,
    bins: Bins = 5,
    rules: Sequence[SegmentRule] | None = None,
) -> ir.Table:
    """RFM measures, scores and segment per customer (an Ibis expression).

    Parameters
    ----------
    wh
        The warehouse.
    as_of
        Score as of the start of this UTC day: only sale orders before it count. Default: the
        day after the last order.
    bins
        Number of score bins, 3 or 5.
    rules
        Segment rules for ``bins``; default :func:`load_segment_rules` ``(bins=bins)``.

    Returns
    -------
    ibis.Table
        ``customer_id``, ``last_order_date``, ``recency_days``, ``frequency``, ``monetary``,
        ``r_score``, ``f_score``, ``m_score``, ``rfm`` (e.g. ``"545"``) and ``segment``.

    Raises
    ------
    NotFoundError
        The warehouse has no orders.
    InvalidInputError
        ``bins`` not 3 or 5, invalid rules, or ``as_of`` not after the first order day.

    References
    ----------
    .. [1] Hughes, A. M. (1994). *Strategic Database Marketing*. Probus.
    """
    n_bins = _check_bins(bins)
    table = validate_rules(rules, n_bins) if rules is not None else load_segment_rules(bins=bins)
    return _rfm_expr(wh, _resolve_as_of(wh, as_of), n_bins, table)


def _rfm_expr(wh: Warehouse, day: date, n_bins: int, table: Sequence[SegmentRule]) -> ir.Table:
    """:func:`rfm_table` without checks (empty when nobody bought before ``day``)."""
    cutoff = datetime.combine(day, time.min)
    s = sale_orders(wh)
    s = s.filter(s.customer_id.notnull() & (s.ordered_at < cutoff))
    per = s.group_by("customer_id").aggregate(
        last_order_date=s.ordered_at.max().date(),
        frequency=s.order_id.nunique(),
        monetary=s.revenue.sum().round(2),
    )
    per = per.mutate(
        recency_days=ibis.literal(day).delta(per.last_order_date, unit="day").cast("int64"),
        n=per.count().over(ibis.window()),
    )
    scored = per.mutate(
        r_score=_score(ibis.desc(per.recency_days), per.n, n_bins),
        f_score=_score(per.frequency, per.n, n_bins),
        m_score=_score(per.monetary, per.n, n_bins),
    )
    out = scored.mutate(
        rfm=scored.r_score.cast("string")
        + scored.f_score.cast("string")
        + scored.m_score.cast("string"),
        segment=_segment(scored.r_score, scored.f_score, table),
    )
    return out.select(
        "customer_id",
        "last_order_date",
        "recency_days",
        out.frequency.cast("int64").name("frequency"),
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "rfm",
        "segment",
    ).order_by("customer_id")


def rfm_scores(
    wh: Warehouse,
    *,
    as_of: date | None = None,
    bins: Bins = 5,
    rules: Sequence[SegmentRule] | None = None,
) -> pa.Table:
    """:func:`rfm_table`, executed: one row per customer, ordered by ``customer_id``."""
    return rfm_table(wh, as_of=as_of, bins=bins, rules=rules).to_pyarrow()


# -- summaries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentSummary:
    """Size and averages of one segment."""

    segment: str
    customers: int
    share: float
    """Share of scored customers (0..1)."""
    revenue: float
    """Sum of ``monetary`` over the segment."""
    avg_recency_days: float
    avg_frequency: float
    avg_monetary: float


def segment_summary(
    wh: Warehouse,
    *,
    as_of: date | None = None,
    bins: Bins = 5,
    rules: Sequence[SegmentRule] | None = None,
) -> list[SegmentSummary]:
    """One :class:`SegmentSummary` per non-empty segment, in rule order.

    References
    ----------
    .. [1] Hughes, A. M. (1994). *Strategic Database Marketing*. Probus.
    """
    table = (
        validate_rules(rules, _check_bins(bins))
        if rules is not None
        else load_segment_rules(bins=bins)
    )
    t = rfm_table(wh, as_of=as_of, bins=bins, rules=table)
    agg = (
        t.group_by("segment")
        .aggregate(
            customers=t.count(),
            revenue=t.monetary.sum(),
            avg_recency_days=t.recency_days.mean(),
            avg_frequency=t.frequency.mean(),
            avg_monetary=t.monetary.mean(),
        )
        .to_pyarrow()
        .to_pylist()
    )
    total = sum(int(row["customers"]) for row in agg)
    order = {rule.name: i for i, rule in enumerate(table)}
    agg.sort(key=lambda row: order.get(row["segment"], len(order)))
    return [
        SegmentSummary(
            segment=str(row["segment"]),
            customers=int(row["customers"]),
            share=int(row["customers"]) / total,
            revenue=float(row["revenue"]),
            avg_recency_days=float(row["avg_recency_days"]),
            avg_frequency=float(row["avg_frequency"]),
            avg_monetary=float(row["avg_monetary"]),
        )
        for row in agg
    ]


def _two_dates(
    wh: Warehouse,
    from_date: date,
    to_date: date,
    bins: Bins,
    rules: Sequence[SegmentRule] | None,
) -> ir.Table:
    if from_date >= to_date:
        raise InvalidInputError(
            f"from_date {from_date} must be before to_date {to_date}; swap them."
        )
    n_bins = _check_bins(bins)
    table = validate_rules(rules, n_bins) if rules is not None else load_segment_rules(bins=bins)
    after = _rfm_expr(wh, _resolve_as_of(wh, to_date), n_bins, table)
    # from_date may precede the data: then every customer is new at to_date.
    before = _rfm_expr(wh, from_date, n_bins, table)
    b = before.select(
        "customer_id",
        from_r=before.r_score,
        from_f=before.f_score,
        from_m=before.m_score,
        from_segment=before.segment,
    )
    a = after.select(
        "customer_id",
        to_r=after.r_score,
        to_f=after.f_score,
        to_m=after.m_score,
        to_segment=after.segment,
    )
    j = a.left_join(b, a.customer_id == b.customer_id)
    return j.select(
        a.customer_id,
        "from_r",
        "from_f",
        "from_m",
        from_segment=ibis.coalesce(j.from_segment, NEW_SEGMENT),
        to_r=j.to_r,
        to_f=j.to_f,
        to_m=j.to_m,
        to_segment=j.to_segment,
    )


def segment_migration(
    wh: Warehouse,
    *,
    from_date: date,
    to_date: date,
    bins: Bins = 5,
    rules: Sequence[SegmentRule] | None = None,
) -> pa.Table:
    """Transition matrix of segments between two ``as_of`` dates, in long form.

    Every customer scored at ``to_date`` appears once: ``from_segment`` is their segment at
    ``from_date``, or ``"(new)"`` when they had no sale order before it (``from_date`` may lie
    before the data: then everyone is new). Scores at each date are ranked among the customers
    scored at that date.

    Returns
    -------
    pyarrow.Table
        ``from_segment``, ``to_segment``, ``customers``, ordered by both segments.

    Raises
    ------
    InvalidInputError
        ``from_date`` not before ``to_date``, or any error of :func:`rfm_table`.
    """
    j = _two_dates(wh, from_date, to_date, bins, rules)
    m = j.group_by("from_segment", "to_segment").aggregate(customers=j.count())
    return m.order_by("from_segment", "to_segment").to_pyarrow()


def movers_between(
    wh: Warehouse,
    *,
    from_date: date,
    to_date: date,
    from_segment: str,
    to_segment: str,
    bins: Bins = 5,
    rules: Sequence[SegmentRule] | None = None,
) -> pa.Table:
    """Customers who moved from ``from_segment`` to ``to_segment`` ("Loyal" → "At Risk").

    Returns
    -------
    pyarrow.Table
        ``customer_id``, ``from_r``, ``from_f``, ``from_m``, ``from_segment``, ``to_r``,
        ``to_f``, ``to_m``, ``to_segment``, ordered by ``customer_id``.

    Raises
    ------
    InvalidInputError
        An unknown segment name (the message lists the known ones).
    """
    table = (
        validate_rules(rules, _check_bins(bins))
        if rules is not None
        else load_segment_rules(bins=bins)
    )
    names = [rule.name for rule in table]
    for label, value, allowed in (
        ("from_segment", from_segment, [*names, NEW_SEGMENT]),
        ("to_segment", to_segment, names),
    ):
        if value not in allowed:
            raise InvalidInputError(f"Unknown {label} {value!r}; segments: {', '.join(allowed)}.")
    j = _two_dates(wh, from_date, to_date, bins, table)
    j = j.filter((j.from_segment == from_segment) & (j.to_segment == to_segment))
    return j.order_by("customer_id").to_pyarrow()
