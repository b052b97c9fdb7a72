"""Customer-service assistant commands: ``shopscope assist ask|kb load|evaluate|tickets``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from shopscope.cli.insight import _date
from shopscope.cli.main import state
from shopscope.cli.output import Format, console, emit
from shopscope.errors import ConfigurationError
from shopscope.warehouse.connection import connect

__all__ = ["register"]

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]

assist_app = typer.Typer(
    help="Customer-service assistant: answers from live orders and the FAQ, ticket analytics.",
    no_args_is_help=True,
)
kb_app = typer.Typer(help="The FAQ knowledge base (table kb_entries).", no_args_is_help=True)
assist_app.add_typer(kb_app, name="kb")


@assist_app.command("ask")
def ask(
    question: Annotated[str, typer.Argument(help="The customer's message (English or Chinese).")],
    customer: Annotated[
        str | None,
        typer.Option(help="Customer asking (self-service): only their orders are looked up."),
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="Reply language en or zh (default: detected).")
    ] = None,
    min_confidence: Annotated[
        float, typer.Option(help="Lowest FAQ similarity answered without a person.")
    ] = 0.3,
    fmt: FormatOpt = Format.table,
) -> None:
    """Answer a question; shows the reply, intent, escalation and suggested replies."""
    from shopscope.storefront.assistant import Assistant
    from shopscope.storefront.assistant.orders import missing_order_indexes

    with connect(state.warehouse, read_only=True) as wh:
        result = Assistant(wh, min_confidence=min_confidence).ask(
            question, customer_id=customer, language=language
        )
        if result.order_ids and missing_order_indexes(wh):
            console.print(
                "note: orders are not indexed by id yet, so order lookups scan the tables; "
                "`shopscope assist kb load` or `shopscope assist index-orders` indexes them."
            )
    if fmt is Format.table:
        console.print(
            f"intent {result.intent} · language {result.language} · confidence "
            f"{result.confidence:.2f} · {'ESCALATE' if result.escalate else 'answer'} "
            f"({result.reason})"
        )
        for note in result.notes:
            console.print(f"note: {note}")
    rows = [
        {"kind": s.kind, "confidence": s.confidence, "source": s.source, "reply": s.text}
        for s in result.suggestions
    ]
    rows.insert(
        0,
        {"kind": "reply", "confidence": result.confidence, "source": result.reason,
         "reply": result.reply},
    )  # fmt: skip
    emit(rows, fmt, title="Reply and suggestions", document=result)


@kb_app.command("load")
def kb_load(
    path: Annotated[Path, typer.Argument(help="FAQ file: .csv, .md or .json.")],
    mode: Annotated[
        str, typer.Option(help="replace (default) or upsert (keep other entries).")
    ] = "replace",
    fmt: FormatOpt = Format.table,
) -> None:
    """Load FAQ entries into the warehouse (and index orders by id for live order answers);
    a malformed file changes nothing."""
    from shopscope.storefront.assistant import read_kb_file, store_kb

    if mode not in ("replace", "upsert"):
        raise ConfigurationError(f"--mode {mode!r}: use replace or upsert.")
    entries = read_kb_file(path)
    with connect(state.warehouse) as wh:
        result = store_kb(wh, entries, mode="replace" if mode == "replace" else "upsert")
    emit([dataclasses.asdict(result)], fmt, title=f"Knowledge base loaded from {path}")


@kb_app.command("list")
def kb_list(fmt: FormatOpt = Format.table) -> None:
    """List the stored FAQ entries."""
    from shopscope.storefront.assistant import read_kb

    with connect(state.warehouse, read_only=True) as wh:
        entries = read_kb(wh)
    rows = [
        {"entry_id": e.entry_id, "language": e.language, "tags": ";".join(e.tags),
         "question": e.question}
        for e in entries
    ]  # fmt: skip
    emit(rows, fmt, title=f"Knowledge base: {len(rows)} entries")


@assist_app.command("index-orders")
def index_orders() -> None:
    """Index orders and order_items by order id, so live order answers are point reads."""
    from shopscope.storefront.assistant.orders import ensure_order_indexes

    with connect(state.warehouse) as wh:
        created = ensure_order_indexes(wh)
    console.print(
        f"Created {', '.join(created)}." if created else "Order-id indexes already exist."
    )


@assist_app.command("evaluate")
def evaluate(
    pairs: Annotated[
        Path | None,
        typer.Option(help="Paraphrase pairs, JSON Lines with sentence1, sentence2, label."),
    ] = None,
    queries: Annotated[
        Path | None,
        typer.Option(help="CSV of query, expected (entry id or question) against the stored KB."),
    ] = None,
    min_confidence: Annotated[float, typer.Option(help="Answering threshold.")] = 0.3,
    fmt: FormatOpt = Format.table,
) -> None:
    """Retrieval quality: AUC/accuracy on pairs, or top-1/top-3 on labelled queries."""
    from shopscope.storefront.assistant import KnowledgeBase, evaluate_pairs, read_kb
    from shopscope.storefront.assistant.evaluation import (
        evaluate_queries,
        read_pairs,
        read_queries,
    )

    if (pairs is None) == (queries is None):
        raise ConfigurationError("Give exactly one of --pairs FILE or --queries FILE.")
    result: Any
    if pairs is not None:
        result = evaluate_pairs(read_pairs(pairs))
    else:
        assert queries is not None
        with connect(state.warehouse, read_only=True) as wh:
            kb = KnowledgeBase(read_kb(wh))
        if not len(kb):
            raise ConfigurationError("The knowledge base is empty: run `assist kb load` first.")
        result = evaluate_queries(kb, read_queries(queries, kb), min_confidence=min_confidence)
    row = {k: v for k, v in dataclasses.asdict(result).items() if k != "misses"}
    emit([row], fmt, title="Retrieval evaluation", document=result)


@assist_app.command("tickets")
def tickets(
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    grain: Annotated[str, typer.Option(help="Volume buckets: day, week or month.")] = "week",
    top: Annotated[int, typer.Option(help="Topics to list.")] = 10,
    fmt: FormatOpt = Format.table,
) -> None:
    """Ticket volume, resolution time and top topics."""
    from shopscope.storefront.assistant import ticket_stats

    if grain not in ("day", "week", "month"):
        raise ConfigurationError(f"--grain {grain!r}: use day, week or month.")
    with connect(state.warehouse, read_only=True) as wh:
        stats = ticket_stats(
            wh,
            start=_date(start, "--from"),
            end=_date(end, "--to"),
            grain=grain,  # type: ignore[arg-type]
            top=top,
        )
    if fmt is Format.table:
        median = stats.resolution_hours_median
        p90 = stats.resolution_hours_p90
        console.print(
            f"{stats.tickets:,} tickets, {stats.unresolved:,} unresolved; resolution hours "
            f"median {median if median is None else round(median, 1)}, p90 "
            f"{p90 if p90 is None else round(p90, 1)}"
        )
        for note in stats.notes:
            console.print(f"note: {note}")
    emit(stats.topics, fmt, title="Top ticket topics", document=stats)


def register(app: typer.Typer) -> None:
    """Add the ``assist`` command group to ``app``."""
    app.add_typer(assist_app, name="assist")
