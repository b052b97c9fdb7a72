"""Data platform commands: demo, ingest, status, quarantine, sync, docs."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shopscope.cli.main import state
from shopscope.cli.output import Format, console, emit
from shopscope.errors import ConfigurationError
from shopscope.warehouse.connection import Warehouse, connect

__all__ = ["register"]

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def _open(*, read_only: bool = False) -> Warehouse:
    return connect(state.warehouse, read_only=read_only)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def demo(
    size: Annotated[str, typer.Option(help="small, medium, large, or a number of order lines.")] = (
        "small"
    ),
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same shop).")] = 42,
    end_date: Annotated[
        str | None, typer.Option(help="Last day of history, YYYY-MM-DD (default today).")
    ] = None,
    accounts: Annotated[
        bool,
        typer.Option(help="Also create one web user per role and print their passwords."),
    ] = True,
    fmt: FormatOpt = Format.table,
) -> None:
    """Build the demo store (replaces the warehouse's shop data), then print status and summary.

    With ``--accounts`` (the default) it also creates one user per role in the application
    database and prints their credentials (to stderr), for ``shopscope serve``.
    """
    from shopscope.warehouse.demo import generate_demo

    try:
        end = date.fromisoformat(end_date) if end_date else None
    except ValueError:
        raise ConfigurationError(
            f"--end-date {end_date!r} is not a date; use YYYY-MM-DD, e.g. 2026-06-30."
        ) from None
    size_arg: str | int = int(size) if size.isdigit() else size
    with _open() as wh, _progress() as bar:
        task = bar.add_task("Generating demo store", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = generate_demo(wh, size=size_arg, seed=seed, end_date=end, progress=tick)
    console.print(f"Demo store ready in {wh.url} ({result.seconds:.1f} s).")
    _print_status_and_summary(fmt)
    if accounts and wh.url.path is not None:
        _print_demo_accounts(str(wh.url))


def _print_demo_accounts(warehouse_url: str) -> None:
    from rich.table import Table

    from shopscope.cli.server import create_demo_accounts

    made = create_demo_accounts(None, warehouse_url)
    table = Table(title="Demo accounts for `shopscope serve` (new passwords each run)")
    # Never cut a name or password (they are typed in to sign in); each username names its role.
    for column in ("username", "password", "tier"):
        table.add_column(column, no_wrap=True, overflow="fold")
    for a in made:
        table.add_row(a.username, a.password, a.tier)
    console.print(table)


def _print_status_and_summary(fmt: Format) -> None:
    from shopscope.warehouse.status import shop_summary, warehouse_status

    with _open(read_only=True) as wh:
        st = warehouse_status(wh)
        summary = shop_summary(wh)
    if fmt is Format.json:
        emit([], fmt, document={"status": st, "summary": summary})
        return
    emit(_status_rows(st), fmt, title=f"Warehouse {st.url}")
    emit(
        [
            {"measure": k.replace("_", " "), "value": v}
            for k, v in dataclasses.asdict(summary).items()
        ],
        fmt,
        title="Shop summary",
    )


def _status_rows(st: Any) -> list[dict[str, Any]]:
    return [{"table": t.name, "rows": t.rows, "from": t.first, "to": t.last} for t in st.tables]


def status(fmt: FormatOpt = Format.table) -> None:
    """Tables, row counts, date ranges and quarantine counts by reason."""
    from shopscope.warehouse.status import warehouse_status

    with _open(read_only=True) as wh:
        st = warehouse_status(wh)
    if fmt is Format.json:
        emit([], fmt, document=st)
        return
    emit(_status_rows(st), fmt, title=f"Warehouse {st.url} ({st.batches} ingest batches)")
    if st.quarantine:
        emit(
            [{"table": t, "reason": r, "rows": n} for t, r, n in st.quarantine],
            fmt,
            title="Quarantine by reason",
        )


def ingest(
    path: Annotated[Path, typer.Argument(help="A file, or a directory of files.")],
    source: Annotated[
        str, typer.Option(help="Source adapter: auto, online-retail, cdnow, olist, shopify, csv.")
    ] = "auto",
    mapping: Annotated[
        Path | None, typer.Option(help="TOML column mapping (implies --source csv).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Re-read a file already ingested.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Load shop data: validate every record, quarantine bad ones, all or nothing per file."""
    from shopscope.warehouse.ingest import ingest_path
    from shopscope.warehouse.sources.resolve import resolve_adapter

    adapter = resolve_adapter(source, mapping)
    with _open() as wh, _progress() as bar:
        task = bar.add_task("Ingesting", total=None)

        def tick(done: int, total: int, file: Path) -> None:
            bar.update(task, completed=done, total=total, description=f"Ingesting {file.name}")

        reports = ingest_path(wh, path, adapter, force=force, progress=tick)
    rows = []
    for r in reports:
        rows.append(
            {
                "batch": r.batch_id,
                "file": Path(r.path).name,
                "source": r.source,
                "status": r.status,
                "read": r.records,
                "loaded": r.loaded,
                "unchanged": r.unchanged,
                "quarantined": r.quarantined,
                "seconds": round(r.seconds, 2),
            }
        )
    if fmt is Format.json:
        emit([], fmt, document=reports)
        return
    emit(rows, fmt, title="Ingest")
    per_table = [
        {"file": Path(r.path).name, **{k: v for k, v in dataclasses.asdict(t).items()}}
        for r in reports
        for t in r.tables
    ]
    if per_table and fmt is Format.table:
        emit(per_table, fmt, title="Per table")
    for r in reports:
        for code, n in r.reasons.items():
            console.print(f"  {Path(r.path).name}: {n:,} quarantined ({code})")


def quarantine(
    batch: Annotated[int | None, typer.Option(help="Only this ingest batch.")] = None,
    table: Annotated[str | None, typer.Option(help="Only rows meant for this table.")] = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason code.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show (0 = all).")] = 50,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Export all matching rows to this CSV.")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List quarantined rows (reason and raw record), or export them with --output."""
    from shopscope.warehouse.quarantine import quarantine_rows

    with _open(read_only=True) as wh:
        rows = quarantine_rows(wh, batch=batch, table=table, reason=reason)
        if output is not None:
            rows.to_pyarrow().to_pandas().to_csv(output, index=False)
            console.print(f"Wrote {rows.count().execute():,} rows to {output}.")
            return
        shown = rows.limit(limit) if limit else rows
        records = shown.to_pyarrow().to_pylist()
    emit(records, fmt, title="Quarantine")


def docs(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option(help="Exit 1 if a generated doc is stale.")] = False,
    root: Annotated[Path, typer.Option(help="The docs folder.")] = Path("docs"),
) -> None:
    """Regenerate docs/data-model.md, docs/reference/cli.md and api.md (or --check them)."""
    from shopscope.cli.reference import cli_reference_markdown
    from shopscope.server import ServerSettings, create_app
    from shopscope.server.apidoc import api_markdown
    from shopscope.warehouse.schema import data_model_markdown

    app = create_app(ServerSettings(warehouse="duckdb://:memory:", appdb="sqlite://"))
    generated = {
        root / "data-model.md": data_model_markdown() + "\n",
        root / "reference" / "cli.md": cli_reference_markdown(ctx.find_root().command) + "\n",
        root / "reference" / "api.md": api_markdown(app.openapi()),
    }
    stale = [
        path
        for path, text in generated.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if check:
        if stale:
            raise ConfigurationError(
                f"stale: {', '.join(map(str, stale))}; run `shopscope docs` and commit."
            )
        console.print("Generated docs are up to date.")
        return
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generated[path], encoding="utf-8")
        console.print(f"Wrote {path}.")


def sync(
    to: Annotated[str, typer.Option("--to", help="Target warehouse URL, e.g. spark:///data/wh.")],
    table: Annotated[
        list[str] | None, typer.Option("--table", help="Only these tables (repeatable).")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Copy the warehouse's tables to another warehouse (e.g. DuckDB to Spark), replacing them."""
    from shopscope.warehouse.sync import copy_warehouse

    with _open(read_only=True) as source:
        target = connect(to)
        try:
            counts = copy_warehouse(source, target, tables=table or None)
        finally:
            target.close()
    emit([{"table": k, "rows": v} for k, v in counts.items()], fmt, title=f"Copied to {to}")


def register(app: typer.Typer) -> None:
    """Add the data platform commands to ``app``."""
    app.command()(demo)
    app.command()(ingest)
    app.command()(status)
    app.command()(quarantine)
    app.command()(sync)
    app.command()(docs)
