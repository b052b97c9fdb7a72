"""Assignment and per-arm sufficient statistics, computed by the warehouse engine.

Exposure: every event with the experiment's ``experiment_id`` and a non-null ``variant`` and
unit (``anonymous_id`` by default). Per unit the engine keeps the **first** exposure time and
its variant; repeated exposures are deduplicated, and a unit seen in more than one variant is
excluded (counted in ``ExposureSummary.multi_variant_units``).

Metrics are measured on the unit's events at or after its first exposure (up to ``end``); the
CUPED covariate is the same measure over the ``lookback`` before first exposure. Units whose
conversion event came *before* their first exposure are counted (``converted_before``): their
earlier conversion is not credited to the experiment.

One query per analysis: exposures → per-unit values → per-variant sums (``n``, ``Σy``,
``Σy²``, ``Σd``, ``Σd²``, ``Σyd``, ``Σx``, ``Σx²``, ``Σyx``). Only the per-variant rows leave
the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from shopscope.conversion.experiments.metrics import Measure, Metric
from shopscope.conversion.experiments.sufficient import ArmStats
from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.warehouse.connection import Warehouse

__all__ = [
    "ArmData",
    "ExposureSummary",
    "arm_statistics",
    "arm_sums_table",
    "experiment_ids",
    "exposure_units",
    "unit_values",
]

_MULTI = "__multiple_variants__"
UNITS = ("anonymous_id", "customer_id", "session_id")


@dataclass(frozen=True)
class ExposureSummary:
    """How exposures were cleaned: units per variant and what was left out."""

    experiment_id: str
    unit: str
    units: dict[str, int]
    multi_variant_units: int
    exposure_events: int
    converted_before: int
    """Units with a conversion before first exposure (not credited to the experiment)."""


@dataclass(frozen=True)
class ArmData:
    """Exposure summary plus sufficient statistics per metric and variant."""

    exposure: ExposureSummary
    stats: dict[str, dict[str, ArmStats]]
    """``stats[metric][variant]``."""
    all_null: tuple[str, ...]
    """Metrics whose post-exposure events all have a null value (e.g. revenue not loaded)."""
    caps: dict[str, float]
    """Per winsorised metric: the cap applied."""


def experiment_ids(wh: Warehouse) -> list[tuple[str, int, datetime | None, datetime | None]]:
    """``(experiment_id, units, first exposure, last exposure)`` found in the events."""
    ev = wh.table("events")
    e = ev.filter(ev.experiment_id.notnull())
    out = (
        e.group_by(e.experiment_id)
        .aggregate(
            units=e.anonymous_id.nunique(), first=e.occurred_at.min(), last=e.occurred_at.max()
        )
        .order_by("experiment_id")
        .to_pyarrow()
        .to_pylist()
    )
    return [(r["experiment_id"], r["units"], r["first"], r["last"]) for r in out]


def exposure_units(
    wh: Warehouse,
    experiment_id: str,
    *,
    unit: str = "anonymous_id",
    start: datetime | None = None,
    end: datetime | None = None,
    events: ir.Table | None = None,
) -> ir.Table:
    """One row per exposed unit: ``unit``, ``first_at``, ``variant`` (``_MULTI`` if several)."""
    if unit not in UNITS:
        raise InvalidInputError(f"unit {unit!r} is not allowed; use one of {', '.join(UNITS)}.")
    ev = events if events is not None else wh.table("events")
    e = ev.filter(ev.experiment_id == experiment_id, ev.variant.notnull(), ev[unit].notnull())
    if start is not None:
        e = e.filter(e.occurred_at >= start)
    if end is not None:
        e = e.filter(e.occurred_at < end)
    per = e.group_by(unit_id=e[unit]).aggregate(
        first_at=e.occurred_at.min(),
        v_min=e.variant.min(),
        v_max=e.variant.max(),
        exposures=e.count(),
    )
    return per.select(
        "unit_id",
        "first_at",
        "exposures",
        variant=ibis.ifelse(per.v_min == per.v_max, per.v_min, ibis.literal(_MULTI)),
    )


def _value(m: Measure, ev: ir.Table, window: ir.BooleanValue) -> ir.NumericValue:
    # aggregate FILTER clauses: the engine skips non-matching rows instead of summing zeros
    hit = window & (ev.event_type == m.event_type)
    if m.aggregate == "revenue":
        return ev.revenue.sum(where=hit).fill_null(0.0)
    count = ev.occurred_at.count(where=hit)
    if m.aggregate == "any":
        return (count > 0).cast("float64")
    return count.cast("float64")


def arm_statistics(
    wh: Warehouse,
    experiment_id: str,
    metrics: Sequence[Metric],
    *,
    unit: str = "anonymous_id",
    start: datetime | None = None,
    end: datetime | None = None,
    lookback: timedelta | None = timedelta(days=28),
    conversion_event: str = "purchase",
) -> ArmData:
    """Per-variant sufficient statistics of ``metrics`` (one engine query; see module doc).

    Raises
    ------
    NotFoundError
        No exposure of ``experiment_id`` (the message lists the experiments found).
    InvalidInputError
        Variant names that differ only in case or spaces (e.g. ``Control`` and ``control``).
    """
    kw: dict[str, Any] = {
        "unit": unit, "start": start, "end": end, "lookback": lookback,
        "conversion_event": conversion_event,
    }  # fmt: skip
    caps: dict[str, float] = {}
    if any(m.winsorize is not None for m in metrics):
        caps = _caps(unit_values(wh, experiment_id, metrics, all_units=True, **kw), metrics)
    rows = arm_sums_table(wh, experiment_id, metrics, caps=caps, **kw).to_pyarrow().to_pylist()
    return _collect(wh, experiment_id, unit, metrics, rows, caps)


def _measures(metrics: Sequence[Metric]) -> dict[str, Measure]:
    measures: dict[str, Measure] = {}
    for m in metrics:
        measures[m.numerator.key] = m.numerator
        if m.denominator is not None:
            measures[m.denominator.key] = m.denominator
    return measures


def unit_values(
    wh: Warehouse,
    experiment_id: str,
    metrics: Sequence[Metric],
    *,
    unit: str = "anonymous_id",
    start: datetime | None = None,
    end: datetime | None = None,
    lookback: timedelta | None = timedelta(days=28),
    conversion_event: str = "purchase",
    all_units: bool = False,
    units: ir.Table | None = None,
) -> ir.Table:
    """Per exposed unit: variant, post-exposure values ``y_*``, pre-exposure values ``x_*``.

    By default only units with at least one metric event are returned (every value of the
    others is 0, so they add nothing to the sums; :func:`arm_sums_table` counts them from the
    exposures). ``all_units=True`` returns every unit (for quantiles).
    """
    ev = wh.table("events")
    if units is None:
        units = exposure_units(wh, experiment_id, unit=unit, start=start, end=end, events=ev)
    measures = _measures(metrics)
    types = sorted({m.event_type for m in measures.values()} | {conversion_event})
    e = ev.filter(ev.event_type.isin(types), ev[unit].notnull())
    e = e.select(uid=e[unit], occurred_at=e.occurred_at, event_type=e.event_type, revenue=e.revenue)
    if end is not None:
        e = e.filter(e.occurred_at < end)
    join = units.left_join if all_units else units.inner_join
    j = join(e, units.unit_id == e.uid)
    post = j.occurred_at >= j.first_at
    pre = j.occurred_at < j.first_at
    if lookback is not None:
        pre = pre & (j.occurred_at >= j.first_at - ibis.interval(seconds=lookback.total_seconds()))
    aggs: dict[str, Any] = {"variant": j.variant.arbitrary()}
    for key, meas in measures.items():
        aggs[f"y_{key}"] = _value(meas, j, post)
        aggs[f"x_{key}"] = _value(meas, j, pre)
        if meas.aggregate == "revenue":
            seen = post & (j.event_type == meas.event_type)
            aggs[f"nn_{key}"] = j.revenue.count(where=seen)
            aggs[f"ne_{key}"] = j.occurred_at.count(where=seen)
    before = (j.occurred_at < j.first_at) & (j.event_type == conversion_event)
    aggs["conv_before"] = (j.occurred_at.count(where=before) > 0).cast("int64")
    # one group key (the unit): the variant is functionally dependent on it
    return j.group_by(j.unit_id).aggregate(**aggs)


def arm_sums_table(
    wh: Warehouse,
    experiment_id: str,
    metrics: Sequence[Metric],
    *,
    caps: dict[str, float] | None = None,
    unit: str = "anonymous_id",
    start: datetime | None = None,
    end: datetime | None = None,
    **kw: Any,
) -> ir.Table:
    """Per-variant sufficient statistics as one Ibis expression.

    ``n`` and exposure counts come from the deduplicated exposures; the sums from the units
    with metric events (the rest contribute zeros), or from every unit when ``caps`` winsorise
    a metric.
    """
    caps = caps or {}
    units = exposure_units(wh, experiment_id, unit=unit, start=start, end=end)
    per_unit = unit_values(
        wh, experiment_id, metrics, unit=unit, start=start, end=end, all_units=bool(caps),
        units=units, **kw,
    )  # fmt: skip
    measures = _measures(metrics)
    capped = {m.numerator.key: m.name for m in metrics if m.name in caps}
    per_unit = per_unit.mutate(
        **{f"y_{k}": per_unit[f"y_{k}"].clip(upper=caps[name]) for k, name in capped.items()}
    )
    sums: dict[str, Any] = {"converted_before": per_unit.conv_before.sum()}
    # each measure's sums once, however many metrics use it
    for key, meas in measures.items():
        y, x = per_unit[f"y_{key}"], per_unit[f"x_{key}"]
        sums |= {f"{key}__sy": y.sum(), f"{key}__syy": (y * y).sum()}
        sums |= {f"{key}__sx": x.sum(), f"{key}__sxx": (x * x).sum(), f"{key}__sxy": (x * y).sum()}
        if meas.aggregate == "revenue":
            sums[f"{key}__nn"] = per_unit[f"nn_{key}"].sum()
            sums[f"{key}__ne"] = per_unit[f"ne_{key}"].sum()
    for m in metrics:
        if m.denominator is not None:
            y, d = per_unit[f"y_{m.numerator.key}"], per_unit[f"y_{m.denominator.key}"]
            sums[f"{m.numerator.key}__{m.denominator.key}__syd"] = (y * d).sum()
    by_arm = per_unit.group_by(v_sums="variant").aggregate(**sums)
    counts = units.group_by("variant").aggregate(
        n=units.count(), exposure_events=units.exposures.sum()
    )
    out = counts.left_join(by_arm, counts.variant == by_arm.v_sums)
    return out.select("variant", "n", "exposure_events", **{k: out[k].fill_null(0) for k in sums})


def _caps(per_unit: ir.Table, metrics: Sequence[Metric]) -> dict[str, float]:
    wins = [m for m in metrics if m.winsorize is not None]
    if not wins:
        return {}
    ok = per_unit.filter(per_unit.variant != _MULTI)
    aggs = {m.name: ok[f"y_{m.numerator.key}"].quantile(m.winsorize) for m in wins}
    row = ok.aggregate(**aggs).to_pyarrow().to_pylist()[0]
    return {k: float(v) if v is not None else 0.0 for k, v in row.items()}


def _collect(
    wh: Warehouse,
    experiment_id: str,
    unit: str,
    metrics: Sequence[Metric],
    rows: list[dict[str, Any]],
    caps: dict[str, float],
) -> ArmData:
    if not rows:
        found = experiment_ids(wh)
        listing = ", ".join(f"{eid} ({n:,} units)" for eid, n, _, _ in found) or "(none)"
        raise NotFoundError(
            f"Experiment {experiment_id!r} has no exposures (events with this experiment_id, a "
            f"variant and a {unit}). Experiments found: {listing}."
        )
    multi = sum(int(r["n"]) for r in rows if r["variant"] == _MULTI)
    rows = [r for r in rows if r["variant"] != _MULTI]
    by_norm: dict[str, list[str]] = {}
    for r in rows:
        by_norm.setdefault(str(r["variant"]).strip().lower(), []).append(str(r["variant"]))
    clashes = [names for names in by_norm.values() if len(names) > 1]
    if clashes:
        shown = "; ".join(" vs ".join(repr(n) for n in sorted(c)) for c in clashes)
        raise InvalidInputError(
            f"Experiment {experiment_id!r} has variant names that differ only in case or spaces: "
            f"{shown}. Fix the tracking (or map them to one name in the events) and re-run."
        )
    stats: dict[str, dict[str, ArmStats]] = {m.name: {} for m in metrics}
    non_null: dict[str, int] = {}
    events: dict[str, int] = {}
    for r in sorted(rows, key=lambda r: str(r["variant"])):
        v = str(r["variant"])
        for m in metrics:
            p, k = m.name, m.numerator.key
            kw: dict[str, float] = {
                "pre_sum": float(r[f"{k}__sx"] or 0.0),
                "pre_sum_sq": float(r[f"{k}__sxx"] or 0.0),
                "pre_cross": float(r[f"{k}__sxy"] or 0.0),
            }
            if m.denominator is not None:
                dk = m.denominator.key
                kw |= {
                    "den_sum": float(r[f"{dk}__sy"] or 0.0),
                    "den_sum_sq": float(r[f"{dk}__syy"] or 0.0),
                    "cross": float(r[f"{k}__{dk}__syd"] or 0.0),
                }
            stats[p][v] = ArmStats(
                v, int(r["n"]), float(r[f"{k}__sy"] or 0.0), float(r[f"{k}__syy"] or 0.0), **kw
            )
            if m.numerator.aggregate == "revenue":
                non_null[p] = non_null.get(p, 0) + int(r[f"{k}__nn"] or 0)
                events[p] = events.get(p, 0) + int(r[f"{k}__ne"] or 0)
    summary = ExposureSummary(
        experiment_id,
        unit,
        {str(r["variant"]): int(r["n"]) for r in sorted(rows, key=lambda r: str(r["variant"]))},
        multi,
        sum(int(r["exposure_events"] or 0) for r in rows),
        sum(int(r["converted_before"] or 0) for r in rows),
    )
    null_only = [p for p, k in events.items() if k > 0 and non_null.get(p, 0) == 0]
    return ArmData(summary, stats, tuple(null_only), caps)
