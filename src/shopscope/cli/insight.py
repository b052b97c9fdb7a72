"""Insight commands: ``shopscope report``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from shopscope.cli.main import state
from shopscope.cli.output import Format, console, emit
from shopscope.errors import ConfigurationError
from shopscope.warehouse.connection import connect

__all__ = ["register"]

if TYPE_CHECKING:
    from shopscope.insight.anomalies import Anomaly


def _date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(
            f"{flag} {value!r} is not a date; use YYYY-MM-DD, e.g. 2026-06-30."
        ) from None


def report(
    start: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: 28 days back).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default: last day of data).")
    ] = None,
    compare: Annotated[
        str, typer.Option(help="Compare with the previous period or 52 weeks earlier (yoy).")
    ] = "previous",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """The business report: KPIs with deltas, trend, drivers, breakdowns, cohorts, anomalies."""
    from shopscope.insight.periods import resolve_range
    from shopscope.insight.report import build_report

    if compare not in ("previous", "yoy"):
        raise ConfigurationError(f"--compare {compare!r}: use previous or yoy.")
    with connect(state.warehouse, read_only=True) as wh:
        period = resolve_range(wh, _date(start, "--from"), _date(end, "--to"))
        result = build_report(wh, period, compare="yoy" if compare == "yoy" else "previous")
    if fmt is Format.html:
        from shopscope.insight.html import report_html

        text = report_html(result)
        if output is not None:
            output.write_text(text, encoding="utf-8")
            console.print(f"Wrote {output} ({len(text) // 1024:,} KiB, works offline).")
        else:
            typer.echo(text)
        return
    if fmt is Format.json:
        emit([], fmt, document=result)
        return
    _print_report(result, fmt)


def _shown(value: float | None, unit: str, fmt: Format) -> float | str | None:
    """Table cells in the KPI's unit (machine formats keep the raw number)."""
    if value is None or fmt is not Format.table:
        return value
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _print_report(result: Any, fmt: Format) -> None:
    kpis = [
        {
            "kpi": k.label,
            "current": _shown(k.current, k.unit, fmt),
            "previous": _shown(k.previous, k.unit, fmt),
            "change": f"{k.delta_rel:+.1%}" if k.delta_rel is not None else "",
            "note": k.reason or "",
        }
        for k in result.kpis
    ]
    emit(kpis, fmt, title=f"KPIs {result.period} vs {result.previous}")
    if fmt is Format.csv:
        return
    if result.drivers is not None:
        console.print(f"\n[bold]Drivers:[/bold] {result.drivers.headline}")
    for dim, table in result.breakdowns.items():
        emit(table.slice(0, 10).to_pylist(), fmt, title=f"By {dim}")
    if result.anomalies:
        _print_anomalies(result.anomalies, fmt)
    for note in result.notes:
        console.print(f"[dim]not shown: {note}[/dim]")


def register(app: typer.Typer) -> None:
    """Add the insight commands to ``app``."""
    app.command()(report)


def _print_anomalies(anomalies: Sequence[Anomaly], fmt: Format) -> None:
    """Anomalies in the KPI's unit; on the terminal their drivers follow as lines, not a column."""
    from rich.console import Console

    from shopscope.insight.kpis import KPI_DEFINITIONS

    if fmt is not Format.table:
        rows = [dataclasses.asdict(a) | {"drivers": "; ".join(a.drivers)} for a in anomalies]
        emit(rows, fmt, title="Anomalies")
        return
    rows = []
    for a in anomalies:
        d = KPI_DEFINITIONS.get(a.kpi)
        unit = d.unit if d is not None else "money"
        rows.append(
            {
                "day": a.day,
                "kpi": d.label if d is not None else a.kpi,
                "value": _shown(a.value, unit, fmt),
                "expected": _shown(a.expected, unit, fmt),
                "change": f"{a.size:+.1%}",
                "score": f"{a.score:+.1f}",
            }
        )
    emit(rows, fmt, title="Anomalies")
    out = Console()
    for a, row in zip(anomalies, rows, strict=True):
        for driver in a.drivers:
            out.print(f"  {a.day} {row['kpi']}: {driver}", soft_wrap=True, highlight=False)
