"""Recommendation commands: ``shopscope recommend user|item|evaluate|build|export``."""

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
KOpt = Annotated[int, typer.Option("--k", "-k", help="How many items (1-200).")]

recommend_app = typer.Typer(
    help="Product recommendations: build the lists, look them up, evaluate, export.",
    no_args_is_help=True,
)


def _emit_list(reco: Any, fmt: Format) -> None:
    rows = [dataclasses.asdict(i) for i in reco.items]
    title = f"{reco.list} for {reco.subject_kind} {reco.subject} (source: {reco.source})"
    emit(rows, fmt, title=title, document=reco)


@recommend_app.command("user")
def user(
    customer_id: Annotated[str, typer.Argument(help="Customer id.")],
    k: KOpt = 10,
    fmt: FormatOpt = Format.table,
) -> None:
    """A customer's personal list (unknown customers get trending items)."""
    from shopscope.storefront.recommend import recommend_for_user
    from shopscope.storefront.recommend.index import ServingIndex

    with connect(state.warehouse, read_only=True) as wh:
        # one lookup per process: load only this customer's list (plus the fallback lists)
        index = ServingIndex.load(wh, customers=[customer_id])
        _emit_list(recommend_for_user(wh, customer_id, k=k, index=index), fmt)


@recommend_app.command("item")
def item(
    sku: Annotated[str, typer.Argument(help="SKU.")],
    kind: Annotated[
        str,
        typer.Option("--list", help="bought_together, also_viewed or similar."),
    ] = "bought_together",
    k: KOpt = 10,
    fmt: FormatOpt = Format.table,
) -> None:
    """Items related to a SKU (unknown or new SKUs get their category's trending items)."""
    from shopscope.storefront.recommend import recommend_for_item
    from shopscope.storefront.recommend.index import ServingIndex
    from shopscope.storefront.recommend.serve import ItemList

    allowed = ("bought_together", "also_viewed", "similar")
    if kind not in allowed:
        raise ConfigurationError(f"--list {kind!r}: use one of {', '.join(allowed)}.")
    chosen: ItemList = kind  # type: ignore[assignment]
    with connect(state.warehouse, read_only=True) as wh:
        index = ServingIndex.load(wh, skus=[sku])
        _emit_list(recommend_for_item(wh, sku, kind=chosen, k=k, index=index), fmt)


@recommend_app.command("evaluate")
def evaluate_cmd(
    cutoff: Annotated[
        str | None,
        typer.Option(help="Train before this day, YYYY-MM-DD (default: last day − test days)."),
    ] = None,
    test_days: Annotated[int, typer.Option(help="Length of the test period in days.")] = 90,
    k: KOpt = 10,
    models: Annotated[
        str,
        typer.Option(
            help="Comma-separated: popular, trending, item-knn-cosine, item-knn-bm25, als, bpr."
        ),
    ] = "popular,trending,item-knn-bm25,als",
    include_bought: Annotated[
        bool,
        typer.Option("--include-bought", help="Also recommend and count repeat purchases."),
    ] = False,
    factors: Annotated[int, typer.Option(help="ALS/BPR latent factors.")] = 32,
    iterations: Annotated[int, typer.Option(help="ALS iterations.")] = 15,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
    fmt: FormatOpt = Format.table,
) -> None:
    """Offline evaluation with a temporal split: recall, NDCG, MAP@k and coverage per model."""
    from shopscope.storefront.recommend import evaluate

    names = [m.strip() for m in models.split(",") if m.strip()]
    with connect(state.warehouse, read_only=True) as wh:
        result = evaluate(
            wh,
            cutoff=_date(cutoff, "--cutoff"),
            test_days=test_days,
            k=k,
            models=names,
            exclude_bought=not include_bought,
            seed=seed,
            factors=factors,
            iterations=iterations,
        )
    rows = [dataclasses.asdict(m) for m in result.models]
    if fmt is Format.table:  # the main columns, four decimals (metrics are small numbers)
        keep = ("model", "recall", "ndcg", "map", "coverage", "recall_vs_popular")
        rows = [{c: f"{r[c]:.4f}" if isinstance(r[c], float) else r[c] for c in keep} for r in rows]
    title = (
        f"@{result.k}, train < {result.cutoff:%Y-%m-%d}, test to {result.test_end:%Y-%m-%d}: "
        f"{result.test_users:,} customers, {result.test_pairs:,} new purchases "
        f"({result.cold_users:,} new customers not scored)"
    )
    emit(rows, fmt, title=title, document=result)


@recommend_app.command("build")
def build(
    k: KOpt = 20,
    model: Annotated[
        str,
        typer.Option(
            help="auto (best offline NDCG of popular, item-knn-bm25, als), als, bpr, "
            "item-knn-bm25, item-knn-cosine or popular."
        ),
    ] = "auto",
    max_per_category: Annotated[
        int, typer.Option(help="At most this many items of one category per list (0 = no cap).")
    ] = 3,
    include_bought: Annotated[
        bool, typer.Option("--include-bought", help="Allow items the customer already bought.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
    fmt: FormatOpt = Format.table,
) -> None:
    """Fit the model and write reco_user_topk, reco_item_topk and reco_popular."""
    from shopscope.storefront.recommend import build_recommendations

    allowed = ("auto", "als", "bpr", "item-knn-bm25", "item-knn-cosine", "popular")
    if model not in allowed:
        raise ConfigurationError(f"--model {model!r}: use one of {', '.join(allowed)}.")
    if max_per_category < 0:
        raise ConfigurationError(f"--max-per-category {max_per_category}: use 0 (no cap) or more.")
    with connect(state.warehouse) as wh, console.status("Building recommendations..."):
        summary = build_recommendations(
            wh,
            k=k,
            model=model,  # type: ignore[arg-type]
            max_per_category=max_per_category or None,
            exclude_bought=not include_bought,
            seed=seed,
        )
    emit([dataclasses.asdict(summary)], fmt, title="Recommendations built", document=summary)


@recommend_app.command("export")
def export(
    path: Annotated[Path, typer.Argument(help="CSV file to write.")],
    k: KOpt = 5,
    all_customers: Annotated[
        bool, typer.Option("--all-customers", help="Include customers without e-mail opt-in.")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Write each customer's top-k (trending for customers without a list) as CSV for e-mail."""
    from shopscope.storefront.recommend import export_campaign

    with connect(state.warehouse, read_only=True) as wh:
        result = export_campaign(wh, path, k=k, opt_in_only=not all_customers)
    emit([dataclasses.asdict(result)], fmt, title="Campaign export", document=result)


def register(app: typer.Typer) -> None:
    """Add the ``recommend`` command group to ``app``."""
    app.add_typer(recommend_app, name="recommend")
