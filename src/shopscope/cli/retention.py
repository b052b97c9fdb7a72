"""Retention commands: ``shopscope rfm``, ``shopscope clv`` and ``shopscope audience``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from shopscope.cli.insight import _date
from shopscope.cli.main import state
from shopscope.cli.output import Format, console, emit
from shopscope.errors import ConfigurationError, NotFoundError
from shopscope.warehouse.connection import connect

__all__ = ["register"]

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]

clv_app = typer.Typer(
    help="Customer lifetime value: BG/NBD, MBG/NBD or Pareto/NBD + Gamma-Gamma; churn risk.",
    no_args_is_help=True,
)
audience_app = typer.Typer(
    help="Named customer audiences: save, list, export.", no_args_is_help=True
)


def rfm(
    as_of: Annotated[
        str | None, typer.Option(help="Score as of this day, YYYY-MM-DD (default: after the data).")
    ] = None,
    bins: Annotated[int, typer.Option(help="Score bins: 5 or 3.")] = 5,
    rules: Annotated[
        Path | None, typer.Option(help="TOML segment rules overriding the default table.")
    ] = None,
    customers: Annotated[
        bool, typer.Option("--customers", help="List customers with scores, not segments.")
    ] = False,
    migration_from: Annotated[
        str | None,
        typer.Option("--migration-from", help="Show segment migration from this day to --as-of."),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """RFM scores and named segments (Champions ... Lost), or migration between two days."""
    from shopscope.retention.rfm import (
        Bins,
        load_segment_rules,
        rfm_scores,
        segment_migration,
        segment_summary,
    )

    if bins not in (3, 5):
        raise ConfigurationError(f"--bins {bins}: use 5 or 3.")
    nbins = cast("Bins", bins)
    table_rules = load_segment_rules(rules, bins=nbins) if rules is not None else None
    day = _date(as_of, "--as-of")
    with connect(state.warehouse, read_only=True) as wh:
        if migration_from is not None:
            start = _date(migration_from, "--migration-from")
            assert start is not None
            end = day or date.today()
            moved = segment_migration(
                wh, from_date=start, to_date=end, bins=nbins, rules=table_rules
            )
            emit(moved.to_pylist(), fmt, title=f"Segment migration {start} → {end}")
            return
        if customers:
            scores = rfm_scores(wh, as_of=day, bins=nbins, rules=table_rules)
            emit(scores.to_pylist(), fmt, title="RFM scores")
            return
        summary = segment_summary(wh, as_of=day, bins=nbins, rules=table_rules)
    emit([dataclasses.asdict(s) for s in summary], fmt, title="RFM segments")


ModelOpt = Annotated[
    str, typer.Option("--model", help="Purchase model: bgnbd, mbgnbd or paretonbd.")
]
UnitOpt = Annotated[str, typer.Option("--time-unit", help="Model time unit: week or day.")]
CalOpt = Annotated[
    str | None,
    typer.Option(
        "--calibration-end", help="Last day of the calibration period (default: last order)."
    ),
]


def _model(name: str) -> Any:
    if name not in ("bgnbd", "mbgnbd", "paretonbd"):
        raise ConfigurationError(f"--model {name!r}: use bgnbd, mbgnbd or paretonbd.")
    return name


def _unit(name: str) -> Any:
    if name not in ("week", "day"):
        raise ConfigurationError(f"--time-unit {name!r}: use week or day.")
    return name


def _warn(notes: Sequence[str]) -> None:
    for note in notes:
        console.print(f"[yellow]Warning:[/yellow] {note}")


def _fit(wh: Any, calibration_end: str | None, model: str, time_unit: str) -> Any:
    from shopscope.retention.clv import fit_clv

    models = fit_clv(
        wh,
        calibration_end=_date(calibration_end, "--calibration-end"),
        model=_model(model),
        time_unit=_unit(time_unit),
    )
    _warn(models.fit.warnings)
    return models


@clv_app.command("fit")
def clv_fit(
    calibration_end: CalOpt = None,
    model: ModelOpt = "bgnbd",
    time_unit: UnitOpt = "week",
    bootstrap: Annotated[
        int,
        typer.Option(
            help="Also give parametric-bootstrap intervals from this many refits (0: no)."
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    fmt: FormatOpt = Format.table,
) -> None:
    """Fit a purchase model and Gamma-Gamma; parameters with 95% intervals."""
    from shopscope.retention.clv import bootstrap_intervals

    with connect(state.warehouse, read_only=True) as wh:
        models = _fit(wh, calibration_end, model, time_unit)
    fit = models.fit
    rows = [{**row, "method": "hessian"} for row in fit.rows()]
    if bootstrap:
        ages = models.summary.column("T").to_numpy()
        result = bootstrap_intervals(
            models.purchases, ages[ages > 0], replicates=bootstrap, seed=seed
        )
        rows += [
            {
                "model": fit.model,
                "param": i.param,
                "estimate": i.estimate,
                "std_error": None,
                "lower_95": i.lower_95,
                "upper_95": i.upper_95,
                "method": f"bootstrap ({result.replicates - result.failed} refits)",
            }
            for i in result.intervals
        ]
    title = (
        f"CLV models, calibration to {fit.calibration_end} ({fit.customers:,} customers, "
        f"{fit.repeat_customers:,} with repeat purchases; status {fit.status})"
    )
    emit(rows, fmt, title=title)


@clv_app.command("predict")
def clv_predict(
    calibration_end: CalOpt = None,
    model: ModelOpt = "bgnbd",
    time_unit: UnitOpt = "week",
    months: Annotated[int, typer.Option(help="CLV horizon in months.")] = 12,
    discount: Annotated[float, typer.Option(help="Monthly discount rate.")] = 0.01,
    limit: Annotated[int, typer.Option(help="Customers listed (highest CLV first; 0: all).")] = 20,
    customer: Annotated[
        list[str] | None, typer.Option("--customer", help="Only these customer ids (repeatable).")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Per-customer P(alive), expected purchases and spend, and discounted CLV."""
    import pyarrow.compute as pc

    from shopscope.retention.clv import predict_clv

    with connect(state.warehouse, read_only=True) as wh:
        models = _fit(wh, calibration_end, model, time_unit)
    table = predict_clv(models, months=months, monthly_discount=discount)
    if customer:
        table = table.filter(pc.is_in(table.column("customer_id"), value_set=pa_array(customer)))
        if table.num_rows == 0:
            raise NotFoundError(f"No scored customer among {', '.join(customer)}.")
    elif limit > 0:
        table = table.slice(0, limit)
    emit(
        table.to_pylist(),
        fmt,
        title=f"CLV over {months} months ({models.fit.model} + Gamma-Gamma, "
        f"calibration to {models.fit.calibration_end})",
    )


def pa_array(values: Sequence[str]) -> Any:
    """Strings as an Arrow array (for ``is_in``)."""
    import pyarrow as pa

    return pa.array(list(values), pa.string())


@clv_app.command("evaluate")
def clv_evaluate(
    calibration_end: Annotated[
        str, typer.Option("--calibration-end", help="Last day of the calibration period.")
    ],
    observation_end: Annotated[
        str | None,
        typer.Option("--observation-end", help="Last day of the holdout (default: last order)."),
    ] = None,
    model: ModelOpt = "bgnbd",
    time_unit: UnitOpt = "week",
    fmt: FormatOpt = Format.table,
) -> None:
    """Calibration/holdout check: predicted vs actual repeat purchases by frequency bucket."""
    from shopscope.retention.clv import evaluate_holdout
    from shopscope.warehouse.status import shop_summary

    cal = _date(calibration_end, "--calibration-end")
    assert cal is not None
    with connect(state.warehouse, read_only=True) as wh:
        end = _date(observation_end, "--observation-end")
        if end is None:
            last = shop_summary(wh).last_order
            if last is None:
                raise ConfigurationError("No orders: nothing to evaluate.")
            end = last.date()
        result = evaluate_holdout(
            wh,
            calibration_end=cal,
            observation_end=end,
            model=_model(model),
            time_unit=_unit(time_unit),
        )
    _warn(result.fit.warnings)
    e = result.error
    rows = [dataclasses.asdict(b) for b in result.buckets]
    rows.append(
        {
            "frequency": "all",
            "customers": e.customers,
            "actual_mean": e.actual_total / e.customers,
            "predicted_mean": e.predicted_total / e.customers,
            "actual_total": e.actual_total,
            "predicted_total": e.predicted_total,
        }
    )
    title = (
        f"Holdout {cal} → {end} ({result.horizon:.1f} {time_unit}s, {result.fit.model}): "
        f"total error {e.total_error:+.1%}, MAE {e.mae:.3f}, RMSE {e.rmse:.3f} per customer"
    )
    emit(rows, fmt, title=title, document=result)


@clv_app.command("churn")
def clv_churn(
    from_date: Annotated[str, typer.Option("--from", help="Earlier day, YYYY-MM-DD.")],
    to_date: Annotated[
        str | None, typer.Option("--to", help="Later day (default: last order).")
    ] = None,
    model: ModelOpt = "mbgnbd",
    time_unit: UnitOpt = "week",
    months: Annotated[int, typer.Option(help="CLV horizon in months.")] = 12,
    min_drop: Annotated[float, typer.Option(help="Smallest fall of P(alive) that counts.")] = 0.1,
    limit: Annotated[int, typer.Option(help="Customers listed (0: all).")] = 20,
    save_as: Annotated[
        str | None,
        typer.Option("--save-audience", help="Also save the listed customers as this audience."),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Valuable customers at risk: high CLV, P(alive) falling between two days."""
    from shopscope.retention.audiences import save_audience
    from shopscope.retention.churn import churn_risk
    from shopscope.warehouse.status import shop_summary

    start = _date(from_date, "--from")
    assert start is not None
    with connect(state.warehouse, read_only=save_as is None) as wh:
        end = _date(to_date, "--to")
        if end is None:
            last = shop_summary(wh).last_order
            if last is None:
                raise ConfigurationError("No orders: nothing to score.")
            end = last.date()
        result = churn_risk(
            wh,
            from_date=start,
            to_date=end,
            model=_model(model),
            time_unit=_unit(time_unit),
            months=months,
            min_drop=min_drop,
            limit=limit or None,
        )
        if save_as is not None:
            members = result.customers.select(["customer_id", "value_at_risk"])
            save_audience(
                wh,
                save_as,
                members.rename_columns(["customer_id", "score"]),
                source="churn",
                description=f"At risk {start} → {end}",
                definition={"from": start, "to": end, "model": model, "min_drop": min_drop},
                replace=True,
            )
            console.print(f"Saved audience {save_as!r} ({result.customers.num_rows} customers).")
    _warn(result.fit.warnings)
    title = (
        f"At risk {start} → {end}: {result.at_risk:,} of {result.customers_scored:,} customers, "
        f"value at risk {result.value_at_risk:,.2f}"
    )
    emit(result.customers.to_pylist(), fmt, title=title, document=result)


def _rows(summary: Any) -> list[dict[str, Any]]:
    """A model summary (Arrow table or list of dicts) as rows."""
    rows = summary.to_pylist() if hasattr(summary, "to_pylist") else summary
    return [dict(r) for r in rows]


@audience_app.command("save")
def audience_save(
    name: Annotated[str, typer.Argument(help="Audience name, e.g. at-risk-june.")],
    segment: Annotated[
        list[str] | None, typer.Option("--segment", help="RFM segment to include (repeatable).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="RFM scored as of this day (default: after the data).")
    ] = None,
    top_clv: Annotated[
        int, typer.Option("--top-clv", help="Instead: the N customers with the highest CLV.")
    ] = 0,
    customers_file: Annotated[
        Path | None,
        typer.Option("--customers-file", help="Instead: customer ids, one per line."),
    ] = None,
    description: Annotated[str, typer.Option(help="What the audience is for.")] = "",
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite an existing one.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Save an RFM segment, the top-CLV customers or a list of ids as a named audience."""
    from shopscope.retention.audiences import rfm_segment_members, save_audience

    chosen = sum(bool(v) for v in (segment, top_clv, customers_file))
    if chosen != 1:
        raise ConfigurationError(
            "Give exactly one of --segment (repeatable), --top-clv N or --customers-file FILE."
        )
    with connect(state.warehouse) as wh:
        if segment:
            day = _date(as_of, "--as-of")
            members: Any = rfm_segment_members(wh, segment, as_of=day)
            source = "rfm"
            definition: dict[str, Any] = {"segments": segment, "as_of": day}
        elif top_clv:
            from shopscope.retention.clv import fit_clv, predict_clv

            table = predict_clv(fit_clv(wh)).slice(0, top_clv)
            members = table.select(["customer_id", "clv"]).rename_columns(["customer_id", "score"])
            source, definition = "clv", {"top": top_clv, "model": "bgnbd", "months": 12}
        else:
            assert customers_file is not None
            try:
                text = customers_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigurationError(f"Cannot read {customers_file}: {exc}") from exc
            members = [line.strip() for line in text.splitlines() if line.strip()]
            source, definition = "custom", {"file": str(customers_file)}
        audience = save_audience(
            wh,
            name,
            members,
            description=description,
            source=source,
            definition=definition,
            replace=replace,
        )
    emit([_audience_row(audience)], fmt, title="Saved audience", document=audience)


@audience_app.command("list")
def audience_list(fmt: FormatOpt = Format.table) -> None:
    """Saved audiences."""
    from shopscope.retention.audiences import list_audiences

    with connect(state.warehouse, read_only=True) as wh:
        audiences = list_audiences(wh)
    emit([_audience_row(a) for a in audiences], fmt, title="Audiences", document=audiences)


def _audience_row(audience: Any) -> dict[str, Any]:
    """An audience as a flat row (the definition as compact JSON text)."""
    import json

    row = dataclasses.asdict(audience)
    row["definition"] = json.dumps(row["definition"], sort_keys=True, default=str)
    return row


@audience_app.command("export")
def audience_export(
    name: Annotated[str, typer.Argument(help="Audience name.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write CSV to this file.")
    ] = None,
    opt_in_only: Annotated[
        bool, typer.Option("--opt-in-only", help="Only customers who opted in to e-mail.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.csv,
) -> None:
    """Members with e-mail opt-in and location, as CSV for e-mail and ads tools."""
    from shopscope.retention.audiences import export_audience

    with connect(state.warehouse, read_only=True) as wh:
        table = export_audience(wh, name, output, opt_in_only=opt_in_only)
    if output is not None:
        console.print(f"Wrote {table.num_rows:,} customers to {output}.")
        return
    emit(table.to_pylist(), fmt, title=f"Audience {name}")


@audience_app.command("delete")
def audience_delete(name: Annotated[str, typer.Argument(help="Audience name.")]) -> None:
    """Delete a saved audience."""
    from shopscope.retention.audiences import delete_audience

    with connect(state.warehouse) as wh:
        delete_audience(wh, name)
    console.print(f"Deleted audience {name!r}.")


def register(app: typer.Typer) -> None:
    """Add the retention commands to ``app``."""
    app.command()(rfm)
    app.add_typer(clv_app, name="clv")
    app.add_typer(audience_app, name="audience")
