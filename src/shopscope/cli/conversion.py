"""Conversion commands: ``shopscope funnel`` and ``shopscope experiment list|analyze|power``."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, time, timedelta
from typing import Annotated, Any

import typer

from shopscope.cli.insight import _date
from shopscope.cli.main import state
from shopscope.cli.output import Format, emit
from shopscope.errors import ConfigurationError
from shopscope.warehouse.connection import connect

__all__ = ["register"]

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]

experiment_app = typer.Typer(
    help="Experiments: list, analyse (frequentist, CUPED, sequential, Bayesian, SRM), power.",
    no_args_is_help=True,
)


def _duration(value: str, flag: str) -> timedelta:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", value)
    if not m:
        raise ConfigurationError(f"{flag} {value!r}: use a number and a unit s/m/h/d/w, e.g. 1d.")
    n, unit = float(m.group(1)), m.group(2)
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    return timedelta(seconds=n * scale)


def _day_start(value: str | None, flag: str) -> datetime | None:
    d = _date(value, flag)
    return datetime.combine(d, time()) if d is not None else None


def _names(value: str) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()]


def funnel(
    steps: Annotated[
        str, typer.Option(help="Comma-separated event types, in order.")
    ] = "product_view,add_to_cart,begin_checkout,purchase",
    window: Annotated[
        str, typer.Option(help="Conversion window from the first step: 30m, 1d.")
    ] = "1d",
    per: Annotated[str, typer.Option(help="Count per 'user' or per 'session'.")] = "user",
    order: Annotated[
        str, typer.Option(help="'loose' (in order) or 'strict' (consecutive).")
    ] = "loose",
    breakdown: Annotated[
        str | None,
        typer.Option(
            help="channel, device, category, new_returning or variant (needs --experiment)."
        ),
    ] = None,
    experiment: Annotated[
        str | None, typer.Option(help="Experiment id for --breakdown variant.")
    ] = None,
    since: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Day after the last, YYYY-MM-DD.")
    ] = None,
    products: Annotated[
        bool, typer.Option("--products", help="Per-SKU product-page conversion.")
    ] = False,
    abandoned: Annotated[
        bool, typer.Option("--abandoned", help="Abandoned-cart follow-up list.")
    ] = False,
    limit: Annotated[int, typer.Option(help="Rows for --products / --abandoned.")] = 50,
    fmt: FormatOpt = Format.table,
) -> None:
    """Funnel step conversion, drop-off and time to convert; or per-SKU / abandoned carts."""
    from shopscope.conversion.abandoned import abandoned_carts
    from shopscope.conversion.funnels import funnel as build_funnel
    from shopscope.conversion.products import product_conversion

    start, end = _day_start(since, "--from"), _day_start(until, "--to")
    with connect(state.warehouse, read_only=True) as wh:
        if products:
            table = product_conversion(wh, start=start, end=end, limit=limit)
            emit(table.to_pylist(), fmt, title="Product-page conversion by SKU (sessions)")
            return
        if abandoned:
            table = abandoned_carts(wh, since=start, as_of=end, limit=limit)
            emit(table.to_pylist(), fmt, title="Abandoned carts (largest first)")
            return
        if per not in ("user", "session") or order not in ("loose", "strict"):
            raise ConfigurationError(
                "--per is 'user' or 'session'; --order is 'loose' or 'strict'."
            )
        f = build_funnel(
            wh, _names(steps), window=_duration(window, "--window"), per=per,  # type: ignore[arg-type]
            order=order, start=start, end=end, breakdown=breakdown,  # type: ignore[arg-type]
            experiment_id=experiment,
        )  # fmt: skip
    rows: list[dict[str, Any]] = [{"group": "(all)", **dataclasses.asdict(s)} for s in f.steps]
    for g in f.groups:
        rows += [{"group": g.value, **dataclasses.asdict(s)} for s in g.steps]
    t = f.time_to_convert
    title = (
        f"Funnel per {f.per}, {f.order} order, window {window}"
        + (f" by {f.breakdown}" if f.breakdown else "")
        + f"; median time to convert {t.median or 0:.0f} s ({t.converted:,} converted)"
    )
    emit(rows, fmt, title=title, document=f)


@experiment_app.command("list")
def experiment_list(fmt: FormatOpt = Format.table) -> None:
    """Experiments found in the events, with their registry entry when there is one."""
    from shopscope.conversion.experiments.assignment import experiment_ids
    from shopscope.conversion.experiments.registry import list_registered

    with connect(state.warehouse, read_only=True) as wh:
        found = {eid: (n, first, last) for eid, n, first, last in experiment_ids(wh)}
        registered = {e.experiment_id: e for e in list_registered(wh)}
    rows = []
    for eid in sorted(set(found) | set(registered)):
        n, first, last = found.get(eid, (0, None, None))
        e = registered.get(eid)
        rows.append(
            {
                "experiment_id": eid, "exposed_units": n, "first_exposure": first,
                "last_exposure": last, "registered": e is not None,
                "status": e.status if e else "", "hypothesis": e.hypothesis if e else "",
                "decision": e.decision if e else "",
            }
        )  # fmt: skip
    emit(rows, fmt, title="Experiments")


@experiment_app.command("analyze")
def experiment_analyze(
    experiment_id: Annotated[str, typer.Argument(help="Experiment id (see `experiment list`).")],
    metrics: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated metrics; the first decides (default: the registry entry's, "
            "else conversion,revenue,aov)."
        ),
    ] = None,
    guardrails: Annotated[
        str | None, typer.Option(help="Comma-separated guardrail metrics (default: registry).")
    ] = None,
    control: Annotated[str | None, typer.Option(help="Control variant.")] = None,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    correction: Annotated[str, typer.Option(help="holm, bh or none.")] = "holm",
    cuped: Annotated[bool, typer.Option("--cuped/--no-cuped", help="CUPED adjustment.")] = True,
    winsorize: Annotated[
        float | None, typer.Option(help="Cap continuous metrics at this quantile, e.g. 0.99.")
    ] = None,
    unit: Annotated[
        str, typer.Option(help="anonymous_id, customer_id or session_id.")
    ] = "anonymous_id",
    allocation: Annotated[
        str | None, typer.Option(help="Designed split for SRM, e.g. control=0.5,treatment=0.5.")
    ] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Store the decision in the experiment registry.")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Analyse an experiment and print the results and the decision.

    Defaults for metrics, guardrails, control, allocation and the date window come from the
    experiment's registry entry when there is one.
    """
    from shopscope.conversion.experiments.analysis import analyze_experiment
    from shopscope.conversion.experiments.registry import list_registered, record_decision

    if correction not in ("holm", "bh", "none"):
        raise ConfigurationError(f"--correction {correction!r}: use holm, bh or none.")
    with connect(state.warehouse, read_only=not record) as wh:
        entry = next((e for e in list_registered(wh) if e.experiment_id == experiment_id), None)
        metric_names = _names(metrics) if metrics else list(entry.metrics if entry else ())
        guard_names = _names(guardrails) if guardrails is not None else (
            list(entry.guardrails) if entry else []
        )  # fmt: skip
        alloc = _allocation(allocation) if allocation else (entry.allocation if entry else None)
        start = end = None
        if entry is not None and entry.start_date is not None:
            start = datetime.combine(entry.start_date, time())
        if entry is not None and entry.end_date is not None:
            end = datetime.combine(entry.end_date + timedelta(days=1), time())
        a = analyze_experiment(
            wh, experiment_id, metrics=metric_names or ["conversion", "revenue", "aov"],
            guardrails=guard_names, control=control or (entry.control if entry else None),
            alpha=alpha, correction=correction,  # type: ignore[arg-type]
            cuped=cuped, winsorize=winsorize, unit=unit, allocation=alloc or None,
            start=start, end=end,
        )  # fmt: skip
        if record:
            record_decision(wh, experiment_id, a.decision.verdict, a.decision.summary)
    rows = []
    for r in a.results:
        b = r.best
        rows.append(
            {
                "metric": r.metric + (" (guardrail)" if r.guardrail else ""),
                "variant": r.variant,
                "control": b.control_mean, "treatment": b.treatment_mean,
                "lift": b.lift, "lift_low": b.lift_ci[0] if b.lift_ci else None,
                "lift_high": b.lift_ci[1] if b.lift_ci else None,
                "p": b.p_value, "p_adj": r.p_adjusted,
                "p_always_valid": r.sequential.p_value if r.sequential else None,
                "chance_to_beat": r.bayes.chance_to_beat if r.bayes else None,
                "cuped_var_reduction": r.variance_reduction,
                "status": r.status,
            }
        )  # fmt: skip
    if fmt is Format.table:
        from shopscope.cli.output import console

        for note in a.notes:
            console.print(f"[dim]{note}[/dim]")
        console.print(f"{a.srm.message}; units {a.exposure.units}")
    emit(rows, fmt, title=f"{experiment_id}: {a.decision.summary}", document=a)


@experiment_app.command("register")
def experiment_register(
    experiment_id: Annotated[str, typer.Argument(help="Experiment id used in the events.")],
    name: Annotated[str, typer.Option(help="Short name.")] = "",
    hypothesis: Annotated[str, typer.Option(help="What should change, and why.")] = "",
    owner: Annotated[str, typer.Option(help="Who runs it.")] = "",
    metrics: Annotated[str, typer.Option(help="Metrics, decision metric first.")] = "conversion",
    guardrails: Annotated[str, typer.Option(help="Guardrail metrics.")] = "",
    control: Annotated[str, typer.Option(help="Control variant.")] = "control",
    allocation: Annotated[
        str | None, typer.Option(help="Designed split, e.g. control=0.5,treatment=0.5.")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="Start day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    status: Annotated[str, typer.Option(help="draft, running, stopped or decided.")] = "running",
    fmt: FormatOpt = Format.table,
) -> None:
    """Add or replace an experiment in the registry (metadata, hypothesis, metrics, dates)."""
    from shopscope.conversion.experiments.metrics import resolve_metrics
    from shopscope.conversion.experiments.registry import (
        RegisteredExperiment,
        register_experiment,
    )

    resolve_metrics([*_names(metrics), *_names(guardrails)])  # unknown names fail here
    entry = RegisteredExperiment(
        experiment_id, name=name, hypothesis=hypothesis, owner=owner,
        metrics=tuple(_names(metrics)), guardrails=tuple(_names(guardrails)), control=control,
        allocation=_allocation(allocation) if allocation else {},
        start_date=_date(start, "--from"), end_date=_date(end, "--to"),
        status=status,  # type: ignore[arg-type]
    )  # fmt: skip
    with connect(state.warehouse) as wh:
        saved = register_experiment(wh, entry)
    emit([dataclasses.asdict(saved)], fmt, title="Registered experiment", document=saved)


def _allocation(value: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in _names(value):
        name, _, share = part.partition("=")
        try:
            out[name.strip()] = float(share)
        except ValueError:
            raise ConfigurationError(
                f"--allocation {value!r}: write variant=share pairs, "
                "e.g. control=0.5,treatment=0.5."
            ) from None
    return out


@experiment_app.command("power")
def experiment_power(
    baseline: Annotated[
        float | None, typer.Option(help="Control conversion rate (or mean with --sd).")
    ] = None,
    mde: Annotated[
        float | None, typer.Option(help="Relative minimum detectable effect, e.g. 0.05 = +5%.")
    ] = None,
    n: Annotated[
        int | None, typer.Option("--n", help="Units per arm: compute the MDE instead.")
    ] = None,
    sd: Annotated[
        float | None, typer.Option(help="Standard deviation (continuous metrics).")
    ] = None,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    power: Annotated[float, typer.Option(help="Power.")] = 0.8,
    daily_traffic: Annotated[
        float | None, typer.Option(help="Eligible units per day (all arms) for the duration.")
    ] = None,
    experiment: Annotated[
        str | None,
        typer.Option(help="Take baseline conversion and daily traffic from this experiment."),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Sample size for an MDE (or MDE for --n units), and the expected duration."""
    from shopscope.conversion.experiments.power import minimum_detectable_effect, sample_size

    if experiment is not None:
        from shopscope.conversion.experiments.traffic import experiment_traffic

        with connect(state.warehouse, read_only=True) as wh:
            tr = experiment_traffic(wh, experiment)
        baseline = baseline if baseline is not None else tr.baseline_conversion
        daily_traffic = daily_traffic if daily_traffic is not None else tr.daily_units
    if baseline is None:
        raise ConfigurationError("Give --baseline (or --experiment to read it from the data).")
    if n is not None:
        plan = minimum_detectable_effect(
            baseline=baseline, n_control=n, sd=sd, alpha=alpha, power=power,
            daily_traffic=daily_traffic,
        )  # fmt: skip
    else:
        if mde is None:
            raise ConfigurationError("Give --mde (relative effect) or --n (units per arm).")
        plan = sample_size(
            baseline=baseline, mde=mde, sd=sd, alpha=alpha, power=power,
            daily_traffic=daily_traffic,
        )  # fmt: skip
    row = dataclasses.asdict(plan) | {"total": plan.total}
    rows = [{"quantity": k, "value": v} for k, v in row.items()] if fmt is Format.table else [row]
    emit(rows, fmt, title="Power analysis (two-sided)", document=row)


def register(app: typer.Typer) -> None:
    """Add the conversion commands to ``app``."""
    app.command()(funnel)
    app.add_typer(experiment_app, name="experiment")
