"""Experiments recorded as an assignment table (one row per unit and exposure, with outcomes).

Some experiments arrive as a table rather than as events: e.g. ``user_id, timestamp, group,
landing_page, converted``. The engine cleans it in three visible steps, then reduces each arm
to sufficient statistics:

1. **mismatched rows**: rows whose shown variant (``shown`` column, mapped with ``shown_map``)
   disagrees with the assigned ``variant`` are dropped (the unit did not get its treatment);
2. **duplicate rows**: of several remaining rows of a unit, the first by ``at`` is kept
   (ties by the smallest metric values, so the result does not depend on row order);
3. **multi-variant units**: units left in more than one variant are excluded.

The counts of each step go into :class:`TableCleaning` and the analysis notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from shopscope.conversion.experiments.analysis import ExperimentAnalysis, analyze_arms
from shopscope.conversion.experiments.assignment import ExposureSummary
from shopscope.conversion.experiments.corrections import Correction
from shopscope.conversion.experiments.metrics import Measure, Metric, MetricKind
from shopscope.conversion.experiments.sufficient import ArmStats
from shopscope.errors import MissingColumnsError

__all__ = ["TableCleaning", "analyze_table", "table_arm_statistics"]


@dataclass(frozen=True)
class TableCleaning:
    """Rows in, rows dropped at each cleaning step, units analysed per variant."""

    rows: int
    mismatched_rows: int
    duplicate_rows: int
    multi_variant_units: int
    units: dict[str, int]

    def notes(self) -> list[str]:
        """The cleaning as sentences for the output."""
        return [
            f"{self.rows:,} rows read",
            f"{self.mismatched_rows:,} rows dropped: shown variant differs from the assigned one",
            f"{self.duplicate_rows:,} duplicate rows of a unit dropped (first exposure kept)",
            f"{self.multi_variant_units:,} units in more than one variant excluded",
            f"{sum(self.units.values()):,} units analysed: "
            + ", ".join(f"{k} {v:,}" for k, v in self.units.items()),
        ]


def table_arm_statistics(
    table: ir.Table,
    *,
    unit: str,
    variant: str,
    metrics: Mapping[str, MetricKind],
    at: str | None = None,
    shown: str | None = None,
    shown_map: Mapping[str, str] | None = None,
) -> tuple[TableCleaning, dict[str, dict[str, ArmStats]]]:
    """Clean ``table`` (module docstring) and return per-arm sufficient statistics."""
    needed = [unit, variant, *metrics, *(c for c in (at, shown) if c is not None)]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise MissingColumnsError(
            f"Assignment table lacks column(s) {missing}. Found: {', '.join(table.columns)}.",
            expected=needed,
            found=list(table.columns),
        )
    t = table.select(
        u=table[unit], v=table[variant].cast("string"),
        at=table[at] if at is not None else ibis.literal(0),
        shown=table[shown].cast("string") if shown is not None else table[variant].cast("string"),
        **{f"m_{i}": table[c].cast("float64") for i, c in enumerate(metrics)},
    )  # fmt: skip
    t = t.filter(t.u.notnull(), t.v.notnull())
    if shown is not None and shown_map:
        expected = ibis.cases(*((t.v == k, s) for k, s in shown_map.items()), else_=t.v)
    else:
        expected = t.v
    ok = t.mutate(match=(t.shown == expected).fill_null(False))
    kept = ok.filter(ok.match)
    order = [kept.at, *(kept[f"m_{i}"] for i in range(len(metrics)))]
    w = ibis.window(group_by=kept.u, order_by=order)
    ranked = kept.mutate(rn=ibis.row_number().over(w), nv=kept.v.nunique().over(group_by=kept.u))
    first = ranked.filter(ranked.rn == 0)
    aggs: dict[str, Any] = {"n": first.count()}
    for i in range(len(metrics)):
        y = first[f"m_{i}"].fill_null(0.0)
        aggs[f"sy_{i}"] = y.sum()
        aggs[f"syy_{i}"] = (y * y).sum()
    per = first.group_by(["v", "nv"]).aggregate(**aggs).to_pyarrow().to_pylist()
    counts = ok.aggregate(
        rows=ok.count(), mism=(~ok.match).cast("int64").sum(),
    ).to_pyarrow().to_pylist()[0]  # fmt: skip
    n_kept = int(counts["rows"]) - int(counts["mism"] or 0)
    good = [r for r in per if r["nv"] == 1]
    multi = sum(int(r["n"]) for r in per if r["nv"] > 1)
    units = {str(r["v"]): int(r["n"]) for r in sorted(good, key=lambda r: str(r["v"]))}
    multi_units = multi  # one first row per multi-variant unit
    duplicates = n_kept - sum(int(r["n"]) for r in per)
    stats: dict[str, dict[str, ArmStats]] = {}
    for i, name in enumerate(metrics):
        stats[name] = {
            str(r["v"]): ArmStats(str(r["v"]), int(r["n"]), float(r[f"sy_{i}"] or 0.0),
                                  float(r[f"syy_{i}"] or 0.0))
            for r in good
        }  # fmt: skip
    cleaning = TableCleaning(
        int(counts["rows"]), int(counts["mism"] or 0), duplicates, multi_units, units
    )
    return cleaning, stats


def analyze_table(
    table: ir.Table,
    *,
    experiment_id: str,
    unit: str,
    variant: str,
    metrics: Mapping[str, MetricKind],
    at: str | None = None,
    shown: str | None = None,
    shown_map: Mapping[str, str] | None = None,
    control: str | None = None,
    alpha: float = 0.05,
    correction: Correction = "holm",
    allocation: Mapping[str, float] | None = None,
    guardrails: Sequence[str] = (),
) -> tuple[TableCleaning, ExperimentAnalysis]:
    """Clean and analyse an assignment table; metrics named in ``guardrails`` are guardrails."""
    cleaning, stats = table_arm_statistics(
        table, unit=unit, variant=variant, metrics=metrics, at=at, shown=shown,
        shown_map=shown_map,
    )  # fmt: skip
    objs = {
        name: Metric(name, kind, Measure(name, "any" if kind == "binary" else "count"))
        for name, kind in metrics.items()
    }
    exposure = ExposureSummary(
        experiment_id, unit, cleaning.units, cleaning.multi_variant_units,
        cleaning.rows - cleaning.mismatched_rows, 0,
    )  # fmt: skip
    analysis = analyze_arms(
        experiment_id, exposure, stats,
        [m for n, m in objs.items() if n not in guardrails],
        [m for n, m in objs.items() if n in guardrails],
        control=control, alpha=alpha, correction=correction, cuped=False,
        allocation=allocation, notes=cleaning.notes(),
    )  # fmt: skip
    return cleaning, analysis
