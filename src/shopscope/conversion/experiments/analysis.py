"""Analyse an experiment end to end: engine sums → tests → corrections → decision.

:func:`analyze_experiment` reads the per-arm sufficient statistics from the warehouse
(:mod:`.assignment`), then for each metric and each non-control variant runs the frequentist
test (:mod:`.stats`), CUPED (:mod:`.cuped`), the always-valid mSPRT (:mod:`.sequential`) and the
Bayesian read-out (:mod:`.bayes`); adjusts p-values over the primary metrics and variants
(Holm or Benjamini–Hochberg, :mod:`.corrections`); checks the sample ratio (:mod:`.srm`) and
writes the plain-language decision (:mod:`.decision`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shopscope.conversion.experiments.assignment import ExposureSummary, arm_statistics
from shopscope.conversion.experiments.bayes import BayesResult, beta_binomial, gaussian
from shopscope.conversion.experiments.corrections import Correction, adjust_p_values
from shopscope.conversion.experiments.cuped import cuped_adjust
from shopscope.conversion.experiments.decision import Decision, decide
from shopscope.conversion.experiments.metrics import DEFAULT_METRICS, Metric, resolve_metrics
from shopscope.conversion.experiments.sequential import SequentialTest, msprt, tau2_for
from shopscope.conversion.experiments.srm import SrmCheck, srm_check
from shopscope.conversion.experiments.stats import (
    Comparison,
    compare_arms,
    compare_estimates,
    estimate_of,
)
from shopscope.conversion.experiments.sufficient import ArmStats
from shopscope.errors import InvalidInputError
from shopscope.warehouse.connection import Warehouse

__all__ = ["ExperimentAnalysis", "MetricResult", "analyze_arms", "analyze_experiment"]


@dataclass(frozen=True)
class MetricResult:
    """One metric, one variant against control."""

    metric: str
    kind: str
    variant: str
    guardrail: bool
    higher_is_better: bool
    frequentist: Comparison
    p_adjusted: float | None
    cuped: Comparison | None
    variance_reduction: float | None
    sequential: SequentialTest | None
    bayes: BayesResult | None
    status: str
    message: str

    @property
    def best(self) -> Comparison:
        """CUPED when it was computed and usable, else the plain comparison."""
        if self.cuped is not None and self.cuped.status == "ok":
            return self.cuped
        return self.frequentist


@dataclass(frozen=True)
class ExperimentAnalysis:
    """Everything about one experiment: exposures, SRM, per-metric results and the decision."""

    experiment_id: str
    control: str
    exposure: ExposureSummary
    srm: SrmCheck
    results: tuple[MetricResult, ...]
    correction: str
    alpha: float
    decision: Decision
    notes: tuple[str, ...]
    winsor_caps: dict[str, float]


def analyze_experiment(
    wh: Warehouse,
    experiment_id: str,
    *,
    metrics: Sequence[str | Metric] = DEFAULT_METRICS,
    guardrails: Sequence[str | Metric] = (),
    control: str | None = None,
    allocation: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    correction: Correction = "holm",
    cuped: bool = True,
    winsorize: float | None = None,
    unit: str = "anonymous_id",
    start: datetime | None = None,
    end: datetime | None = None,
    lookback: timedelta = timedelta(days=28),
    srm_threshold: float = 0.001,
    tuning_n: float = 5000,
) -> ExperimentAnalysis:
    """Analyse ``experiment_id`` from the events table.

    Parameters
    ----------
    metrics
        Primary/secondary metrics (names of :data:`~.metrics.METRICS` or :class:`Metric`);
        the first is the decision metric.
    guardrails
        Metrics that must not get significantly worse (not corrected, one per variant).
    control
        Control variant (default ``"control"`` when present, else the first name).
    allocation
        Designed split for the SRM check (default equal).
    correction
        ``"holm"`` (family-wise) or ``"bh"`` (false discovery rate) over metrics × variants.
    cuped
        Adjust with the pre-exposure value of each metric over ``lookback``.
    winsorize
        Cap continuous metrics at this pooled quantile (e.g. ``0.99``).
    """
    primary = [_metric(m) for m in metrics]
    guards = [_metric(m) for m in guardrails]
    if winsorize is not None:
        primary = [m.with_winsorize(winsorize) for m in primary]
        guards = [m.with_winsorize(winsorize) for m in guards]
    names = [m.name for m in (*primary, *guards)]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"Metrics are listed twice: {names}.")
    data = arm_statistics(
        wh, experiment_id, [*primary, *guards], unit=unit, start=start, end=end, lookback=lookback
    )
    notes = _notes(data.exposure)
    for name in data.all_null:
        notes.append(f"metric {name!r}: every post-exposure value is null; result is degenerate")
    return analyze_arms(
        experiment_id, data.exposure, data.stats, primary, guards, control=control,
        allocation=allocation, alpha=alpha, correction=correction, cuped=cuped,
        srm_threshold=srm_threshold, tuning_n=tuning_n, notes=notes, all_null=data.all_null,
        caps=data.caps,
    )  # fmt: skip


def _metric(m: str | Metric) -> Metric:
    return m if isinstance(m, Metric) else resolve_metrics([m])[0]


def _notes(ex: ExposureSummary) -> list[str]:
    notes = [f"{sum(ex.units.values()):,} exposed units after deduplicating "
             f"{ex.exposure_events:,} exposure events (first exposure kept)"]  # fmt: skip
    if ex.multi_variant_units:
        notes.append(f"{ex.multi_variant_units:,} units seen in more than one variant excluded")
    if ex.converted_before:
        notes.append(
            f"{ex.converted_before:,} units converted before their first exposure; only "
            "conversions after exposure count"
        )
    return notes


def analyze_arms(
    experiment_id: str,
    exposure: ExposureSummary,
    stats: Mapping[str, Mapping[str, ArmStats]],
    metrics: Sequence[Metric],
    guardrails: Sequence[Metric] = (),
    *,
    control: str | None = None,
    allocation: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    correction: Correction = "holm",
    cuped: bool = True,
    srm_threshold: float = 0.001,
    tuning_n: float = 5000,
    notes: Sequence[str] = (),
    all_null: Sequence[str] = (),
    caps: Mapping[str, float] | None = None,
) -> ExperimentAnalysis:
    """The statistics part of :func:`analyze_experiment`, on sufficient statistics only."""
    notes = list(notes)
    missing = [v for v in (allocation or {}) if v not in exposure.units]
    if missing:
        # a designed arm without a single exposed unit: keep it (empty) so SRM and the
        # comparison flag it, rather than analysing the remaining arms as if nothing happened
        notes.append(f"designed variant(s) {missing} have no exposed units")
        exposure = replace(exposure, units={**exposure.units, **dict.fromkeys(missing, 0)})
        stats = {
            name: {**arms, **{v: ArmStats(v, 0, 0.0, 0.0) for v in missing}}
            for name, arms in stats.items()
        }
    variants = list(exposure.units)
    if len(variants) < 2:
        raise InvalidInputError(
            f"Experiment {experiment_id!r} has exposures in {variants} only; a comparison needs "
            "a control and at least one other variant with exposed units."
        )
    ctrl = control or ("control" if "control" in variants else variants[0])
    if ctrl not in variants:
        raise InvalidInputError(f"Control {ctrl!r} is not a variant; variants: {variants}.")
    srm = srm_check(exposure.units, allocation, threshold=srm_threshold)
    results: list[MetricResult] = []
    for metric, guard in [*((m, False) for m in metrics), *((m, True) for m in guardrails)]:
        arms = stats[metric.name]
        for v in variants:
            if v == ctrl:
                continue
            res = _one(metric, arms[ctrl], arms[v], alpha, cuped, tuning_n, guard)
            if metric.name in all_null:
                res = replace(res, status="no_data", message="all values are null")
            results.append(res)
    primary_idx = [
        i for i, r in enumerate(results) if not r.guardrail and r.best.p_value is not None
    ]
    adjusted = adjust_p_values([results[i].best.p_value or 0.0 for i in primary_idx], correction)
    for i, p in zip(primary_idx, adjusted, strict=True):
        results[i] = replace(results[i], p_adjusted=p)
    decision = decide(results, srm, ctrl, alpha)
    return ExperimentAnalysis(
        experiment_id, ctrl, exposure, srm, tuple(results), correction, alpha, decision,
        tuple(notes), dict(caps or {}),
    )  # fmt: skip


def _one(
    metric: Metric, c: ArmStats, t: ArmStats, alpha: float, use_cuped: bool, tuning_n: float,
    guard: bool,
) -> MetricResult:  # fmt: skip
    freq = compare_arms(c, t, metric.kind, alpha=alpha)
    cup: Comparison | None = None
    reduction: float | None = None
    seq: SequentialTest | None = None
    bay: BayesResult | None = None
    est_c, est_t = estimate_of(c, metric.kind), estimate_of(t, metric.kind)
    if freq.status == "ok" and use_cuped and metric.kind != "ratio" and c.has_covariate:
        fit = cuped_adjust([c, t])
        ce, te = fit.estimates[c.variant], fit.estimates[t.variant]
        if ce.var + te.var > 0:
            cup = compare_estimates(ce, te, c.variant, t.variant, test="z", alpha=alpha)
            reduction = fit.variance_reduction
            est_c, est_t = ce, te
    best = cup if cup is not None and cup.status == "ok" else freq
    if best.status == "ok" and best.diff_se and best.diff is not None:
        var = best.diff_se**2
        seq = msprt(best.diff, var, tau2_for(var, c.n, t.n, tuning_n), alpha=alpha)
        if metric.kind == "binary" and cup is None:
            bay = beta_binomial(c.sum, c.n, t.sum, t.n, level=1 - alpha)
        elif est_c.var + est_t.var > 0:
            bay = gaussian(est_c, est_t, level=1 - alpha)
    return MetricResult(
        metric.name, metric.kind, t.variant, guard, metric.higher_is_better, freq, None, cup,
        reduction, seq, bay, freq.status, freq.message,
    )  # fmt: skip
