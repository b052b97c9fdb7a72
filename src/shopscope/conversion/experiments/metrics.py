"""Experiment metrics: what is measured per unit after (and, for CUPED, before) exposure.

A metric is built from events of one type per unit: ``any`` (0/1: did it happen), ``count``
(how many) or ``revenue`` (sum of ``events.revenue``). A ratio metric divides two such per-unit
values summed over the arm (``Σ revenue / Σ purchases`` = average order value) and is analysed
with the delta method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shopscope.errors import InvalidInputError

__all__ = ["DEFAULT_METRICS", "METRICS", "Measure", "Metric", "MetricKind", "resolve_metrics"]

MetricKind = Literal["binary", "continuous", "ratio"]
Aggregate = Literal["any", "count", "revenue"]


@dataclass(frozen=True)
class Measure:
    """A per-unit value: an aggregate of one event type."""

    event_type: str
    aggregate: Aggregate

    @property
    def key(self) -> str:
        """Column-safe identifier."""
        return f"{self.aggregate}_{self.event_type}"


@dataclass(frozen=True)
class Metric:
    """An experiment metric.

    Attributes
    ----------
    name
        Identifier (``conversion``, ``revenue``, ...).
    kind
        ``binary``, ``continuous`` or ``ratio``.
    numerator
        The per-unit value (the numerator for ratios).
    denominator
        Ratio metrics only: the per-unit denominator.
    higher_is_better
        Direction of a good change (guardrails are harmed by a significant bad change).
    winsorize
        Continuous metrics only: cap per-unit values at this pooled quantile (e.g. ``0.99``).
    """

    name: str
    kind: MetricKind
    numerator: Measure
    denominator: Measure | None = None
    higher_is_better: bool = True
    winsorize: float | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if (self.kind == "ratio") != (self.denominator is not None):
            raise InvalidInputError(
                f"Metric {self.name!r}: a ratio metric needs a denominator and only a ratio "
                "metric may have one."
            )
        if self.kind == "binary" and self.numerator.aggregate != "any":
            raise InvalidInputError(f"Metric {self.name!r}: binary metrics use aggregate 'any'.")
        if self.winsorize is not None and (
            self.kind != "continuous" or not 0.5 < self.winsorize < 1
        ):
            raise InvalidInputError(
                f"Metric {self.name!r}: winsorize={self.winsorize!r}; give a quantile in "
                "(0.5, 1) such as 0.99, for continuous metrics only."
            )

    def with_winsorize(self, quantile: float | None) -> Metric:
        """The same metric capped at ``quantile`` (continuous metrics; others unchanged)."""
        if self.kind != "continuous":
            return self
        return Metric(
            self.name, self.kind, self.numerator, self.denominator, self.higher_is_better,
            quantile, self.label,
        )  # fmt: skip


_PURCHASE_ANY = Measure("purchase", "any")
_PURCHASES = Measure("purchase", "count")
_REVENUE = Measure("purchase", "revenue")

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("conversion", "binary", _PURCHASE_ANY, label="users with a purchase / users"),
        Metric("revenue", "continuous", _REVENUE, label="revenue per user"),
        Metric("orders", "continuous", _PURCHASES, label="purchases per user"),
        Metric("aov", "ratio", _REVENUE, _PURCHASES, label="revenue / purchases"),
        Metric("checkout", "binary", Measure("begin_checkout", "any"), label="users checking out"),
        Metric(
            "add_to_cart", "binary", Measure("add_to_cart", "any"), label="users adding to cart"
        ),
    )
}
"""Built-in metrics by name."""

DEFAULT_METRICS = ("conversion", "revenue", "aov")


def resolve_metrics(names: tuple[str, ...] | list[str]) -> list[Metric]:
    """Metric objects for ``names``; the error lists the known metrics."""
    out = []
    for name in names:
        if name not in METRICS:
            raise InvalidInputError(
                f"Unknown metric {name!r}. Known metrics: {', '.join(METRICS)}."
            )
        out.append(METRICS[name])
    if not out:
        raise InvalidInputError(f"Give at least one metric; known: {', '.join(METRICS)}.")
    return out
