"""Targets commands: ``shopscope targets set|list|import|progress`` (docs/methods/targets.md)."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from shopscope.cli.main import state
from shopscope.cli.output import Format, emit
from shopscope.warehouse.connection import connect

__all__ = ["register"]

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
MonthOpt = Annotated[
    str | None, typer.Option("--month", "-m", help="Month YYYY-MM (default: as of's month).")
]

targets_app = typer.Typer(
    help="Monthly KPI targets and channel budgets, and progress against them.",
    no_args_is_help=True,
)


def _rows(items: list[Any]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(x) for x in items]


@targets_app.command("set")
def set_cmd(
    metric: Annotated[
        str,
        typer.Argument(
            help="net_revenue, orders, new_customers, aov, conversion_rate or ad_spend."
        ),
    ],
    month: Annotated[str, typer.Argument(help="Month YYYY-MM.")],
    value: Annotated[str, typer.Argument(help="Target for the whole month (>= 0).")],
    channel: Annotated[
        str | None, typer.Option("--channel", "-c", help="ad_spend only: the channel's budget.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why this target.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Set one monthly target (replaces the one with the same metric, channel and month)."""
    from shopscope.team.targets import set_target

    with connect(state.warehouse) as wh:
        target = set_target(wh, metric, month, value, channel=channel, note=note)
    emit(_rows([target]), fmt, title="Target set")


@targets_app.command("list")
def list_cmd(month: MonthOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Targets, of one month or all."""
    from shopscope.team.targets import list_targets

    with connect(state.warehouse, read_only=True) as wh:
        rows = list_targets(wh, month)
    emit(_rows(rows), fmt, title="Targets")


@targets_app.command("import")
def import_cmd(
    path: Annotated[
        Path, typer.Argument(help="CSV with the header metric,channel,month,value[,note].")
    ],
    fmt: FormatOpt = Format.table,
) -> None:
    """Set every target of a CSV file (all rows are checked before any is written)."""
    from shopscope.team.targets import import_targets

    with connect(state.warehouse) as wh:
        rows = import_targets(wh, path)
    emit(_rows(rows), fmt, title=f"{len(rows)} targets imported")


@targets_app.command("progress")
def progress_cmd(
    month: MonthOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last day counted (default: last order day).")
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="Relative gap still on track (0.1 = ±10%).")
    ] = 0.10,
    fmt: FormatOpt = Format.table,
) -> None:
    """Month to date against the pro-rated target, run-rate month end and pace status."""
    from shopscope.errors import InvalidInputError
    from shopscope.team.targets import target_progress

    day = None
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise InvalidInputError(f"--as-of {as_of!r}: use YYYY-MM-DD.") from None
    with connect(state.warehouse, read_only=True) as wh:
        rows = target_progress(wh, month, day, tolerance=tolerance)
    compact = [
        {
            "metric": r.metric,
            "channel": r.channel,
            "month": f"{r.month:%Y-%m}",
            "as_of": r.as_of,
            "target": round(r.target, 2),
            "to_date": round(r.target_to_date, 2),
            "actual": None if r.actual is None else round(r.actual, 2),
            "projected": None if r.projected is None else round(r.projected, 2),
            "gap": None if r.gap_rel is None else f"{r.gap_rel:+.1%}",
            "status": r.status,
        }
        for r in rows
    ]
    emit(compact, fmt, title="Progress against targets", document=_rows(rows))


def register(app: typer.Typer) -> None:
    """Add ``shopscope targets``."""
    app.add_typer(targets_app, name="targets")
