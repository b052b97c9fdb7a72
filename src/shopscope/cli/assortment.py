"""Category commands: ``shopscope assortment abc|slow|basket|together|elasticity``."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer

from shopscope.cli.insight import _date
from shopscope.cli.main import state
from shopscope.cli.output import Format, console, emit
from shopscope.errors import NotFoundError
from shopscope.warehouse.connection import connect

__all__ = ["FormatOpt", "FromOpt", "ToOpt", "history_period", "register"]

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="First day of history, YYYY-MM-DD (default: all).")
]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day of history, YYYY-MM-DD.")]

assortment_app = typer.Typer(
    help="Category ops: ABC-XYZ, slow movers, basket rules, elasticity.", no_args_is_help=True
)


def history_period(wh: Any, start: str | None, end: str | None) -> Any:
    """The ``--from``/``--to`` range (open ends filled from the data), or None for all."""
    from shopscope.insight.periods import DateRange, data_range

    a, b = _date(start, "--from"), _date(end, "--to")
    if a is None and b is None:
        return None
    found = data_range(wh)
    if found is None:
        raise NotFoundError("The warehouse has no orders; load data first (shopscope ingest).")
    return DateRange(a or found.start, b or found.end)


@assortment_app.command("abc")
def abc(
    start: FromOpt = None,
    end: ToOpt = None,
    items: Annotated[bool, typer.Option("--items", help="List SKUs, not the matrix.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """ABC (revenue, margin) × XYZ (weekly demand CV) with a stock policy per cell."""
    from shopscope.supply.assortment import abc_xyz

    with connect(state.warehouse, read_only=True) as wh:
        result = abc_xyz(wh, history_period(wh, start, end))
    if items:
        emit(result.items.to_pylist(), fmt, title=f"ABC-XYZ per SKU, {result.period}")
        return
    emit(
        [dataclasses.asdict(c) for c in result.matrix],
        fmt,
        title=f"ABC-XYZ matrix, {result.period} ({result.weeks} weeks)",
        document=result,
    )


@assortment_app.command("slow")
def slow(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Day to assess, YYYY-MM-DD (default: last).")
    ] = None,
    dead_days: Annotated[int, typer.Option(help="No sale for this long: dead stock.")] = 180,
    slow_days: Annotated[int, typer.Option(help="No sale for this long: slow mover.")] = 90,
    all_skus: Annotated[bool, typer.Option("--all", help="Include SKUs with status ok.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Slow movers and dead stock: value tied up, days without sale, days of cover."""
    from shopscope.supply.assortment import slow_movers

    with connect(state.warehouse, read_only=True) as wh:
        result = slow_movers(wh, _date(as_of, "--as-of"), dead_days=dead_days, slow_days=slow_days)
    rows = [r for r in result.items.to_pylist() if all_skus or r["status"] != "ok"]
    for t in result.totals:
        console.print(
            f"{t.status}: {t.skus:,} SKUs, {t.units:,} units, {t.value_tied_up:,.2f} tied up"
        )
    emit(rows, fmt, title=f"Slow movers and dead stock as of {result.as_of}", document=result)


@assortment_app.command("basket")
def basket(
    start: FromOpt = None,
    end: ToOpt = None,
    min_support: Annotated[float, typer.Option(help="Smallest share of orders.")] = 0.001,
    min_confidence: Annotated[float, typer.Option(help="Smallest P(B | A).")] = 0.05,
    limit: Annotated[int, typer.Option(help="Strongest rules to show (by lift).")] = 50,
    fmt: FormatOpt = Format.table,
) -> None:
    """Association rules A ⇒ B with support, confidence and lift (pair counting in-engine)."""
    from shopscope.supply.assortment import association_rules

    with connect(state.warehouse, read_only=True) as wh:
        result = association_rules(
            wh,
            history_period(wh, start, end),
            min_support=min_support,
            min_confidence=min_confidence,
            limit=limit,
        )
    emit(
        result.rules.to_pylist(),
        fmt,
        title=f"Basket rules over {result.orders:,} orders (pairs in >= {result.min_count})",
        document=result,
    )


@assortment_app.command("together")
def together(
    sku: Annotated[str | None, typer.Option(help="One SKU (default: every SKU).")] = None,
    top: Annotated[int, typer.Option(help="SKUs per list.")] = 5,
    start: FromOpt = None,
    end: ToOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Frequently-bought-together lists (by confidence, lift > 1)."""
    from shopscope.supply.assortment import frequently_bought_together

    with connect(state.warehouse, read_only=True) as wh:
        table = frequently_bought_together(wh, history_period(wh, start, end), sku=sku, top=top)
    emit(table.to_pylist(), fmt, title="Frequently bought together")


@assortment_app.command("elasticity")
def elasticity(start: FromOpt = None, end: ToOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Discount elasticity of daily units per category, with a 95 % interval."""
    from shopscope.supply.assortment import discount_elasticity

    with connect(state.warehouse, read_only=True) as wh:
        result = discount_elasticity(wh, history_period(wh, start, end))
    emit([dataclasses.asdict(e) for e in result], fmt, title="Discount elasticity by category")


def register(app: typer.Typer) -> None:
    """Add ``assortment`` to ``app``."""
    app.add_typer(assortment_app, name="assortment")
