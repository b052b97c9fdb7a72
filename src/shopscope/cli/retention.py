"""Retention commands: ``shopscope rfm`` and ``shopscope clv``."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from shopscope.cli.insight import _date
from shopscope.cli.main import state
from shopscope.cli.output import Format, emit
from shopscope.errors import ConfigurationError
from shopscope.warehouse.connection import connect

__all__ = ["register"]

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]

clv_app = typer.Typer(help="Customer lifetime value: BG/NBD + Gamma-Gamma.", no_args_is_help=True)


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


@clv_app.command("fit")
def clv_fit(
    calibration_end: Annotated[
        str | None, typer.Option(help="Last day of the calibration period (default: last order).")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Fit BG/NBD and Gamma-Gamma; print parameters with standard errors."""
    import pyarrow.compute as pc

    from shopscope.retention.clv import BGNBD, GammaGamma, rfm_summary
    from shopscope.warehouse.status import shop_summary

    with connect(state.warehouse, read_only=True) as wh:
        end = _date(calibration_end, "--calibration-end")
        if end is None:
            last = shop_summary(wh).last_order
            if last is None:
                raise ConfigurationError("No orders: nothing to fit.")
            end = last.date()
        data = rfm_summary(wh, calibration_end=end)
    # customers first seen on the calibration end have not been observed for any time yet
    observed = data.filter(pc.greater(data.column("T"), 0))
    x = observed.column("x").to_numpy()
    t_x = observed.column("t_x").to_numpy()
    big_t = observed.column("T").to_numpy()
    monetary = observed.column("monetary").to_numpy()
    bgnbd = BGNBD().fit(x, t_x, big_t)
    rows = [{"model": "BG/NBD", **row} for row in _rows(bgnbd.summary)]
    repeat = x > 0
    if repeat.any():
        gg = GammaGamma().fit(x[repeat], monetary[repeat])
        rows += [{"model": "Gamma-Gamma", **row} for row in _rows(gg.summary)]
    emit(rows, fmt, title=f"CLV models, calibration to {end} ({len(x):,} customers)")


def _rows(summary: Any) -> list[dict[str, Any]]:
    """A model summary (Arrow table or list of dicts) as rows."""
    rows = summary.to_pylist() if hasattr(summary, "to_pylist") else summary
    return [dict(r) for r in rows]


def register(app: typer.Typer) -> None:
    """Add the retention commands to ``app``."""
    app.command()(rfm)
    app.add_typer(clv_app, name="clv")
