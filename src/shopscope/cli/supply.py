"""Supply commands: ``shopscope forecast`` (demand forecasts) and ``shopscope replenish``."""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Annotated, Any

import typer

from shopscope.cli.insight import _date
from shopscope.cli.main import state
from shopscope.cli.output import Format, console, emit
from shopscope.warehouse.connection import connect

__all__ = ["register"]

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


class Show(StrEnum):
    """What ``forecast`` prints."""

    series = "series"
    forecast = "forecast"
    accuracy = "accuracy"


class LevelOpt(StrEnum):
    """Forecast level."""

    sku = "sku"
    category = "category"
    total = "total"


class GrainOpt(StrEnum):
    """Forecast grain."""

    day = "day"
    week = "week"


_SERIES_COLUMNS = (
    "series_id", "status", "demand_class", "model", "mase", "wape", "bias", "history_units",
    "forecast_units",
)  # fmt: skip


def forecast(
    level: Annotated[LevelOpt, typer.Option(help="Series: per SKU, category or total.")] = (
        LevelOpt.sku
    ),
    grain: Annotated[GrainOpt, typer.Option(help="Period: day or week.")] = GrainOpt.day,
    horizon: Annotated[
        int | None, typer.Option(help="Periods ahead (default 28 days / 8 weeks).")
    ] = None,
    windows: Annotated[int, typer.Option(help="Rolling-origin backtest windows.")] = 3,
    sku: Annotated[
        list[str] | None, typer.Option("--sku", help="Only this SKU (repeatable).")
    ] = None,
    top: Annotated[int | None, typer.Option(help="Only the N series with most units.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    statsforecast_series: Annotated[
        int,
        typer.Option(
            "--statsforecast-series", help="Head series that may try AutoETS (0: batch only)."
        ),
    ] = 50,
    promo_day: Annotated[
        list[str] | None,
        typer.Option("--promo-day", help="A planned promotion day in the horizon (repeatable)."),
    ] = None,
    coverage: Annotated[float, typer.Option(help="Prediction-interval coverage.")] = 0.8,
    show: Annotated[Show, typer.Option(help="series, forecast or accuracy.")] = Show.series,
    fmt: FormatOpt = Format.table,
) -> None:
    """Forecast demand per SKU, category or total, with backtest accuracy and intervals."""
    from shopscope.supply.forecast import ForecastConfig, demand_panel, forecast_panel

    promos = tuple(d for d in (_date(p, "--promo-day") for p in promo_day or ()) if d)
    config = ForecastConfig(
        horizon=horizon,
        windows=windows,
        heavy_series=statsforecast_series,
        coverage=coverage,
        future_promo=promos,
    )
    with connect(state.warehouse, read_only=True) as wh:
        panel = demand_panel(
            wh,
            level=level.value,
            grain=grain.value,
            start=_date(start, "--from"),
            end=_date(end, "--to"),
            skus=tuple(sku) if sku else None,
            top=top,
        )
    with console.status(f"Forecasting {len(panel.ids):,} series…"):
        result = forecast_panel(panel, config)
    if show is Show.accuracy:
        rows = [dataclasses.asdict(a) for a in result.accuracy]
        title = f"Out-of-sample accuracy (last backtest window), {len(panel.ids):,} series"
    elif show is Show.forecast:
        rows = result.forecast.to_pylist()
        title = f"Forecast, {result.horizon} {grain.value}s ahead ({result.coverage:.0%} interval)"
    else:
        rows = result.series.select(list(_SERIES_COLUMNS)).to_pylist()
        title = f"Forecast per series ({level.value}, {grain.value})"
    emit(rows, fmt, title=title, document=_document(result, show))


def _document(result: Any, show: Show) -> Any:
    if show is Show.series:
        return dataclasses.replace(result, forecast=result.forecast.slice(0, 0))
    return None


_PLAN_COLUMNS = (
    "sku", "location", "status", "position", "reorder_point", "order_up_to", "days_of_cover",
    "stockout_risk", "order_qty", "order_by", "arrival",
)  # fmt: skip
"""Columns of the terminal table (CSV, JSON and HTML carry every column)."""


def replenish(
    as_of: Annotated[
        str | None, typer.Option(help="Plan from this day's stock, YYYY-MM-DD (default: last).")
    ] = None,
    service_level: Annotated[float, typer.Option(help="Target cycle service level.")] = 0.95,
    lead_time_cv: Annotated[
        float, typer.Option(help="Lead-time standard deviation as a share of the lead time.")
    ] = 0.0,
    default_lead_time: Annotated[
        float, typer.Option(help="Days assumed where inventory.lead_time_days is missing.")
    ] = 14.0,
    order_cost: Annotated[float, typer.Option(help="Cost of one order line (for EOQ).")] = 25.0,
    holding_rate: Annotated[
        float, typer.Option(help="Yearly holding cost as a share of unit cost.")
    ] = 0.25,
    sku: Annotated[
        list[str] | None, typer.Option("--sku", help="Only this SKU (repeatable).")
    ] = None,
    location: Annotated[str | None, typer.Option(help="Only this location.")] = None,
    all_rows: Annotated[
        bool, typer.Option("--all", help="Every SKU/location, not only those to order.")
    ] = False,
    simulate: Annotated[
        bool, typer.Option("--simulate", help="Replay the policy over history vs the shop.")
    ] = False,
    days: Annotated[int, typer.Option(help="Days simulated with --simulate.")] = 182,
    seed: Annotated[int, typer.Option(help="Seed of simulated lead times.")] = 0,
    fmt: FormatOpt = Format.table,
) -> None:
    """Purchase-order suggestions: safety stock, reorder point, EOQ, cover and stock-out risk."""
    from shopscope.supply.inventory import PolicyConfig, replenishment_plan, simulate_policy

    policy = PolicyConfig(
        service_level=service_level,
        lead_time_cv=lead_time_cv,
        default_lead_time=default_lead_time,
        order_cost=order_cost,
        holding_rate=holding_rate,
    )
    skus = tuple(sku) if sku else None
    with connect(state.warehouse, read_only=True) as wh:
        if simulate:
            with console.status(f"Simulating the policy over {days} days…"):
                sim = simulate_policy(
                    wh, days=days, policy=policy, skus=skus, location=location, seed=seed
                )
            rows = [
                {"run": "policy (simulated)", **dataclasses.asdict(sim.simulated)},
                {"run": "shop (actual)", **dataclasses.asdict(sim.actual)},
            ]
            title = f"Policy at {service_level:.0%} CSL vs the shop, {sim.start} to {sim.end}"
            emit(rows, fmt, title=title, document=sim)
            return
        with console.status("Forecasting and planning…"):
            plan = replenishment_plan(
                wh, as_of=_date(as_of, "--as-of"), policy=policy, skus=skus, location=location
            )
    for note in plan.notes:
        console.print(f"[yellow]Note:[/yellow] {note}")
    table = plan.rows if all_rows else plan.orders
    title = f"Replenishment on {plan.as_of} ({table.num_rows:,} rows, {service_level:.0%} CSL)"
    shown = table.select(list(_PLAN_COLUMNS)) if fmt is Format.table else table
    emit(shown.to_pylist(), fmt, title=title, document=dataclasses.replace(plan, rows=table))


def register(app: typer.Typer) -> None:
    """Add ``forecast`` and ``replenish`` to ``app``."""
    app.command()(forecast)
    app.command()(replenish)
