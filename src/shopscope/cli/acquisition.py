"""Acquisition commands: ``shopscope channels``, ``shopscope attribution``, ``shopscope budget``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from shopscope.cli.insight import _date
from shopscope.cli.main import state
from shopscope.cli.output import Format, emit, to_jsonable
from shopscope.errors import ConfigurationError
from shopscope.warehouse.connection import connect

if TYPE_CHECKING:
    from shopscope.acquisition.attribution.shapley import ShapleyGame
    from shopscope.acquisition.budget.allocate import Objective
    from shopscope.acquisition.budget.response import CurveForm
    from shopscope.acquisition.budget.series import Outcome
    from shopscope.acquisition.performance import ChannelGrain

__all__ = ["register"]

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")]
RulesOpt = Annotated[
    Path | None, typer.Option(help="TOML channel-grouping rules overriding the packaged table.")
]

budget_app = typer.Typer(
    help="Response curves per channel and budget plans (observational, not experiments).",
    no_args_is_help=True,
)


def _choice(value: str, allowed: tuple[str, ...], flag: str) -> str:
    if value not in allowed:
        raise ConfigurationError(f"{flag} {value!r}: use one of {', '.join(allowed)}.")
    return value


def _outcome(value: str) -> Outcome:
    return cast("Outcome", _choice(value, ("revenue", "new_customers"), "--outcome"))


def _form(value: str) -> CurveForm:
    return cast("CurveForm", _choice(value, ("power", "hill"), "--form"))


def _objective(value: str) -> Objective:
    return cast("Objective", _choice(value, ("revenue", "profit"), "--objective"))


def _note(text: str) -> None:
    typer.echo(text, err=True)


def _rules(path: Path | None) -> Any:
    from shopscope.acquisition.channels import load_channel_rules

    return load_channel_rules(path) if path is not None else None


def channels(
    start: FromOpt = None,
    end: ToOpt = None,
    by: Annotated[str, typer.Option(help="Rows per channel, campaign or day.")] = "channel",
    rules: RulesOpt = None,
    cohorts: Annotated[
        bool, typer.Option("--cohorts", help="Acquired-cohort economics (CAC, LTV, payback).")
    ] = False,
    margin: Annotated[float, typer.Option(help="Gross margin for --cohorts payback.")] = 1.0,
    fmt: FormatOpt = Format.table,
) -> None:
    """Channel and campaign performance: sessions, conversion, revenue, spend, CPC, CAC, ROAS."""
    from shopscope.acquisition.cohorts import cohort_economics
    from shopscope.acquisition.performance import channel_report
    from shopscope.insight.periods import DateRange, resolve_range

    with connect(state.warehouse, read_only=True) as wh:
        if cohorts:
            period = None
            if start or end:
                period = resolve_range(wh, _date(start, "--from"), _date(end, "--to"))
            econ = cohort_economics(
                wh, period=period if isinstance(period, DateRange) else None, margin=margin
            )
            _note(econ.note)
            emit(econ.rows.to_pylist(), fmt, title="Acquired cohorts", document=econ)
            return
        period = resolve_range(wh, _date(start, "--from"), _date(end, "--to"))
        grain = cast("ChannelGrain", _choice(by, ("channel", "campaign", "day"), "--by"))
        report = channel_report(wh, period, by=grain, rules=_rules(rules))
    for n in report.notes:
        _note(f"Note: {n}")
    t = report.totals
    mer = f"{t['mer']:.2f}" if t["mer"] is not None else "n/a"
    title = f"Channels {period} — revenue {t['revenue']:,.2f}, spend {t['spend']:,.2f}, MER {mer}"
    emit(report.rows.to_pylist(), fmt, title=title, document=report)


def attribution(
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="Model(s): first, last, last_non_direct, linear, "
            "time_decay, position, markov, markov2, shapley.",
        ),
    ] = None,
    compare: Annotated[
        bool, typer.Option("--compare", help="All models (or the given ones) side by side.")
    ] = False,
    measure: Annotated[str, typer.Option(help="--compare shows conversions or value.")] = (
        "conversions"
    ),
    start: FromOpt = None,
    end: ToOpt = None,
    lookback: Annotated[float, typer.Option(help="Lookback window in days.")] = 30.0,
    max_touches: Annotated[int, typer.Option(help="Keep at most this many touches.")] = 50,
    half_life: Annotated[float, typer.Option(help="Time-decay half-life in days.")] = 7.0,
    first_share: Annotated[float, typer.Option(help="Position-based first-touch share.")] = 0.4,
    last_share: Annotated[float, typer.Option(help="Position-based last-touch share.")] = 0.4,
    shapley_game: Annotated[
        str, typer.Option(help="Shapley game: conversions or conversion_rate.")
    ] = "conversions",
    samples: Annotated[int, typer.Option(help="Shapley samples beyond 15 channels.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the Shapley sampler.")] = 0,
    rules: RulesOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Multi-touch attribution of conversions and revenue to channels."""
    from shopscope.acquisition.attribution import ALL_MODELS, HeuristicParams, attribution_report
    from shopscope.acquisition.paths import PathOptions
    from shopscope.insight.periods import resolve_range

    models = tuple(model) if model else (ALL_MODELS if compare else ("last", "markov"))
    with connect(state.warehouse, read_only=True) as wh:
        period = None
        if start or end:
            period = resolve_range(wh, _date(start, "--from"), _date(end, "--to"))
        report = attribution_report(
            wh,
            models=models,
            period=period,
            rules=_rules(rules),
            options=PathOptions(lookback_days=lookback, max_touches=max_touches),
            params=HeuristicParams(half_life, first_share, last_share),
            shapley_game=cast(
                "ShapleyGame",
                _choice(shapley_game, ("conversions", "conversion_rate"), "--shapley-game"),
            ),
            shapley_samples=samples,
            seed=seed,
        )
    s = report.stats
    _note(
        f"{s.attributed_conversions:,} of {s.conversions:,} conversions have a touch in the "
        f"{lookback:g}-day window; {s.non_converting_paths:,} non-converting paths; "
        f"{s.truncated_paths:,} paths truncated to {max_touches} touches."
    )
    if compare:
        rows = report.compare(measure)
        emit(rows, fmt, title=f"Attribution by model ({measure})", document=report)
        return
    rows = [dataclasses.asdict(c) for c in report.credits]
    emit(rows, fmt, title="Attribution credits", document=report)


def _pairs(values: list[str] | None, flag: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for v in values or []:
        name, sep, number = v.partition("=")
        try:
            out[name.strip()] = float(number)
        except ValueError:
            sep = ""
        if not sep:
            raise ConfigurationError(f"{flag} {v!r}: use CHANNEL=NUMBER, e.g. paid_search=50.")
    return out


@budget_app.command("fit")
def budget_fit(
    outcome: Annotated[str, typer.Option(help="revenue or new_customers per day.")] = "revenue",
    form: Annotated[str, typer.Option(help="Curve form: power or hill.")] = "power",
    adstock: Annotated[bool, typer.Option(help="Fit geometric carry-over.")] = True,
    boot: Annotated[int, typer.Option(help="Bootstrap replicates for intervals.")] = 100,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    start: FromOpt = None,
    end: ToOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Fit a diminishing-returns response curve per paid channel."""
    from shopscope.acquisition.budget import OBSERVATIONAL_NOTE, fit_response_curves
    from shopscope.insight.periods import DateRange

    period = None
    lo, hi = _date(start, "--from"), _date(end, "--to")
    if (lo is None) != (hi is None):
        raise ConfigurationError("Give both --from and --to (or neither: the whole history).")
    if lo and hi:
        period = DateRange(lo, hi)
    with connect(state.warehouse, read_only=True) as wh:
        curves = fit_response_curves(
            wh,
            outcome=_outcome(outcome),
            form=_form(form),
            period=period,
            adstock=adstock,
            n_boot=boot,
            seed=seed,
        )
    _note(OBSERVATIONAL_NOTE)
    rows = []
    for c in curves:
        row: dict[str, Any] = {"channel": c.channel, "form": c.form, "outcome": c.outcome}
        for k, v in c.params.items():
            row[k] = v
            lo_hi = c.intervals.get(k)
            row[f"{k}_95"] = f"{lo_hi[0]:.4g}..{lo_hi[1]:.4g}" if lo_hi else None
        row["typical_spend"] = c.typical_spend
        row["response_at_typical"] = float(c.response(c.typical_spend))
        row["r_squared"] = c.r_squared
        rows.append(row)
    emit(rows, fmt, title=f"Response curves ({outcome} per day)", document=to_jsonable(curves))


@budget_app.command("plan")
def budget_plan(
    total: Annotated[float, typer.Option("--total", help="Budget per day (or over --weeks).")],
    objective: Annotated[str, typer.Option(help="revenue or profit.")] = "revenue",
    weeks: Annotated[
        int, typer.Option(help="Plan this many weeks; --total is then the whole horizon.")
    ] = 0,
    minimum: Annotated[
        list[str] | None, typer.Option("--min", help="Daily minimum, CHANNEL=NUMBER.")
    ] = None,
    maximum: Annotated[
        list[str] | None, typer.Option("--max", help="Daily maximum, CHANNEL=NUMBER.")
    ] = None,
    calibrate: Annotated[
        list[str] | None,
        typer.Option(help="Holdout result CHANNEL=SPEND:INCREMENTAL (outcome per day)."),
    ] = None,
    outcome: Annotated[str, typer.Option(help="revenue or new_customers.")] = "new_customers",
    form: Annotated[str, typer.Option(help="Curve form: power or hill.")] = "power",
    margin: Annotated[float, typer.Option(help="Gross margin (profit objective).")] = 1.0,
    boot: Annotated[int, typer.Option(help="Bootstrap replicates.")] = 0,
    fmt: FormatOpt = Format.table,
) -> None:
    """Allocate a budget across channels to maximise predicted revenue or profit."""
    from shopscope.acquisition.budget import (
        OBSERVATIONAL_NOTE,
        allocate_budget,
        current_spend,
        fit_response_curves,
        plan_weeks,
    )
    from shopscope.acquisition.cohorts import value_per_customer

    with connect(state.warehouse, read_only=True) as wh:
        curves = list(
            fit_response_curves(wh, outcome=_outcome(outcome), form=_form(form), n_boot=boot)
        )
        current = current_spend(wh)
        value: dict[str, float] | float = 1.0
        if outcome == "new_customers":
            per = value_per_customer(wh)
            value = {c.channel: per.get(c.channel, 0.0) for c in curves}
            _note(
                "Value of a new customer = mean revenue in the first 12 months: "
                + ", ".join(f"{k} {v:,.2f}" for k, v in value.items())
            )
    for ch, text in _pairs_text(calibrate):
        spend_s, _, inc_s = text.partition(":")
        try:
            spend_v, inc_v = float(spend_s), float(inc_s)
        except ValueError:
            raise ConfigurationError(
                f"--calibrate {ch}={text}: use CHANNEL=SPEND:INCREMENTAL, e.g. paid_search=40:3.5"
            ) from None
        curves = [c.calibrated(spend_v, inc_v) if c.channel == ch else c for c in curves]
    common: dict[str, Any] = {
        "objective": _objective(objective),
        "value_per_outcome": value,
        "margin": margin,
        "minimum": _pairs(minimum, "--min"),
        "maximum": _pairs(maximum, "--max"),
        "current": current,
    }
    if weeks > 0:
        plan = plan_weeks(curves, total, weeks, **common)
    else:
        plan = allocate_budget(curves, total, **common)
    _note(OBSERVATIONAL_NOTE)
    if plan.expected_gain is not None:
        _note(
            f"Predicted revenue {plan.predicted_revenue:,.2f} vs {plan.current_revenue:,.2f} "
            f"with the current split at the same budget: gain {plan.expected_gain:,.2f}."
        )
    emit([dataclasses.asdict(r) for r in plan.rows], fmt, title="Budget plan", document=plan)


def _pairs_text(values: list[str] | None) -> list[tuple[str, str]]:
    out = []
    for v in values or []:
        name, sep, rest = v.partition("=")
        if not sep:
            raise ConfigurationError(f"--calibrate {v!r}: use CHANNEL=SPEND:INCREMENTAL.")
        out.append((name.strip(), rest))
    return out


def register(app: typer.Typer) -> None:
    """Add the acquisition commands to ``app``."""
    app.command()(channels)
    app.command()(attribution)
    app.add_typer(budget_app, name="budget")
