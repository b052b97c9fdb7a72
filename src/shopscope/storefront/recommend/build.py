"""Precompute recommendation lists into warehouse tables, so serving is a lookup.

Tables (replaced on every build, written through the warehouse's Ibis backend):

``reco_user_topk``
    customer_id, rank, sku, score, model, built_at: each known customer's personal top-k after
    the business rules (already bought excluded, out of stock excluded, category diversity).
``reco_item_topk``
    sku, list, rank, related_sku, score, built_at, where ``list`` is ``bought_together``
    (same order), ``also_viewed`` (same session) or ``similar`` (item-kNN, BM25-weighted).
``reco_popular``
    list, rank, sku, score, category, built_at: the whole in-stock catalogue ranked by
    ``popular`` (distinct buyers) and ``trending`` (recency-weighted); the cold-start fallback.
``reco_build``
    build_id, built_at, model: one row naming the build, so serving processes notice a new one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.storefront.recommend.cache import forget
from shopscope.storefront.recommend.cooccurrence import also_viewed, bought_together
from shopscope.storefront.recommend.evaluate import evaluate, recommend_rows
from shopscope.storefront.recommend.interactions import (
    InteractionMatrix,
    InteractionWeights,
    interaction_table,
)
from shopscope.storefront.recommend.models import ALS, BPR, ItemKNN, Popularity, Recommender
from shopscope.storefront.recommend.popular import item_popularity, trending_items
from shopscope.storefront.recommend.rules import catalogue, out_of_stock
from shopscope.storefront.recommend.store import (
    BUILD_TABLE,
    RECO_TABLES,
    build_row,
    ranked_compact,
    with_display,
    write_tables,
)

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "AUTO_CANDIDATES",
    "RECO_TABLES",
    "BuildSummary",
    "build_recommendations",
]

PersonalModel = Literal["auto", "als", "bpr", "item-knn-bm25", "item-knn-cosine", "popular"]
AUTO_CANDIDATES = ("popular", "item-knn-bm25", "als")


@dataclass(frozen=True)
class BuildSummary:
    """What :func:`build_recommendations` wrote."""

    model: str
    chosen_by: str
    k: int
    users: int
    items: int
    interactions: int
    out_of_stock: int
    user_rows: int
    item_rows: int
    popular_rows: int
    built_at: datetime
    seconds: float


def _model(name: str, *, seed: int, factors: int, iterations: int) -> Recommender:
    if name == "popular":
        return Popularity()
    if name == "als":
        return ALS(factors=factors, iterations=iterations, seed=seed)
    if name == "bpr":
        return BPR(factors=factors, seed=seed)
    if name in ("item-knn-bm25", "item-knn-cosine"):
        return ItemKNN("bm25" if name == "item-knn-bm25" else "cosine")
    raise InvalidInputError(
        f"Unknown personal model {name!r}; use auto, als, bpr, item-knn-bm25, item-knn-cosine "
        "or popular."
    )


def build_recommendations(
    wh: Warehouse,
    *,
    k: int = 20,
    model: PersonalModel = "auto",
    weights: InteractionWeights | None = None,
    max_per_category: int | None = 3,
    exclude_bought: bool = True,
    seed: int = 42,
    factors: int = 32,
    iterations: int = 15,
    item_k: int = 10,
) -> BuildSummary:
    """Fit ``model`` on all interactions and write :data:`RECO_TABLES` (see module docstring).

    ``model="auto"`` first runs the offline evaluation (:func:`~.evaluate.evaluate`, default
    temporal split) on :data:`AUTO_CANDIDATES` and uses the one with the best NDCG@10: a shop
    whose purchases carry no personal signal gets popularity lists (with the same exclusions
    and diversity) rather than a model that loses to them. Without enough history to split,
    it uses ALS.
    """
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 200:
        raise InvalidInputError(f"k={k!r}: use an integer in 1..200.")
    if max_per_category is not None and (
        not isinstance(max_per_category, int) or max_per_category < 1
    ):
        raise InvalidInputError(
            f"max_per_category={max_per_category!r}: use an integer >= 1, or None for no cap."
        )
    started = time.perf_counter()
    built_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    chosen, chosen_by = _choose(
        wh, model, weights, seed=seed, factors=factors, iterations=iterations
    )
    recommender = _model(chosen, seed=seed, factors=factors, iterations=iterations)
    matrix = InteractionMatrix.from_arrow(interaction_table(wh, weights=weights).to_pyarrow())
    if matrix.nnz == 0:
        raise NotFoundError(
            "No interactions (sale orders of known customers, product views, carts): nothing "
            "to recommend from. Load orders or events first (`shopscope ingest`)."
        )
    products = catalogue(wh)
    pos = matrix.item_positions(products.column("sku").to_numpy(zero_copy_only=False))
    cats = np.full(matrix.shape[1], -1, np.int64)
    codes = pc.dictionary_encode(products.column("category")).combine_chunks()
    code_values = codes.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    cats[pos[pos >= 0]] = code_values[pos >= 0]
    gone = out_of_stock(wh).to_pyarrow().column("sku").to_numpy(zero_copy_only=False)
    blocked = np.zeros(matrix.shape[1], bool)
    gone_pos = matrix.item_positions(gone)
    blocked[gone_pos[gone_pos >= 0]] = True

    recommender.fit(matrix)
    rows = np.arange(matrix.shape[0])
    positions, values = recommend_rows(
        recommender,
        rows,
        matrix.weights,
        k,
        exclude=matrix.bought if exclude_bought else None,
        blocked=blocked,
        categories=cats,
        max_per_category=max_per_category,
    )
    user_rows = _user_rows(matrix, positions, values, recommender.name, products, built_at)
    item_rows = _item_lists(wh, matrix, item_k, blocked)
    popular = _popular_lists(wh, gone, weights)
    display = products.select(["sku", "title", "category", "price"])
    write_tables(
        wh,
        {
            "reco_user_topk": user_rows,
            "reco_item_topk": with_display(item_rows, display, "related_sku", built_at),
            "reco_popular": with_display(popular, display, "sku", built_at),
            BUILD_TABLE: build_row(recommender.name, built_at),
        },
    )
    forget(wh)  # this process's lookups load the new lists at once; others notice the build id
    return BuildSummary(
        model=recommender.name,
        chosen_by=chosen_by,
        k=k,
        users=matrix.shape[0],
        items=matrix.shape[1],
        interactions=matrix.nnz,
        out_of_stock=int(blocked.sum()),
        user_rows=user_rows.num_rows,
        item_rows=item_rows.num_rows,
        popular_rows=popular.num_rows,
        built_at=built_at,
        seconds=time.perf_counter() - started,
    )


def _user_rows(
    matrix: InteractionMatrix,
    positions: np.ndarray,
    values: np.ndarray,
    model: str,
    products: pa.Table,
    built_at: datetime,
) -> pa.Table:
    """The ``reco_user_topk`` rows, already in (customer, rank) order.

    Millions of rows: display columns are gathered by item position, not joined, and empty
    slots only ever trail a list, so the ranks 1..n stay contiguous without renumbering.
    """
    k = positions.shape[1]
    ok = (positions >= 0).ravel()
    at = matrix.item_positions(products.column("sku").to_numpy(zero_copy_only=False))
    source = np.full(matrix.shape[1], -1, np.int64)
    source[at[at >= 0]] = np.flatnonzero(at >= 0)
    picked = source[positions.ravel()[ok]]
    rows = pa.array(np.where(picked >= 0, picked, 0))
    missing = pa.array(picked < 0)

    def shown(name: str) -> pa.Array:
        col = products.column(name).combine_chunks().take(rows)
        return pc.if_else(missing, pa.scalar(None, col.type), col)

    n = int(ok.sum())
    return pa.table(
        {
            "customer_id": pa.array(np.repeat(matrix.users, k)[ok], pa.string()),
            "rank": pa.array(np.tile(np.arange(1, k + 1), matrix.shape[0])[ok], pa.int64()),
            "sku": pa.array(matrix.items[positions.ravel()[ok]], pa.string()),
            "score": pa.array(values.ravel()[ok].astype(np.float64), pa.float64()),
            "model": pa.array([model] * n, pa.string()),
            "title": shown("title"),
            "category": shown("category"),
            "price": shown("price"),
            "built_at": pa.array([built_at] * n, pa.timestamp("us")),
        }
    )


def _choose(
    wh: Warehouse,
    model: str,
    weights: InteractionWeights | None,
    *,
    seed: int,
    factors: int,
    iterations: int,
) -> tuple[str, str]:
    """The model to fit and why."""
    if model != "auto":
        return model, "requested"
    try:
        result = evaluate(
            wh,
            models=AUTO_CANDIDATES,
            k=10,
            weights=weights,
            seed=seed,
            factors=factors,
            iterations=iterations,
        )
    except (InvalidInputError, NotFoundError) as exc:
        return "als", f"auto: no offline evaluation possible ({exc}); using ALS"
    best = max(result.models, key=lambda m: (m.ndcg, m.model != "popular"))
    scores = ", ".join(f"{m.model} {m.ndcg:.4f}" for m in result.models)
    return best.model, f"auto: best NDCG@10 on the temporal split ({scores})"


def _item_lists(wh: Warehouse, matrix: InteractionMatrix, k: int, blocked: np.ndarray) -> pa.Table:
    parts = []
    in_stock = pa.array(list(matrix.items[~blocked]), pa.string())
    for name, expr in (
        ("bought_together", bought_together(wh, k=k)),
        ("also_viewed", also_viewed(wh, k=k)),
    ):
        t = expr.to_pyarrow()
        t = t.filter(pc.is_in(t.column("related_sku"), value_set=in_stock))
        parts.append(
            pa.table(
                {
                    "sku": t.column("sku"),
                    "list": pa.array([name] * t.num_rows, pa.string()),
                    "rank": t.column("rank"),
                    "related_sku": t.column("related_sku"),
                    "score": t.column("score"),
                }
            )
        )
    knn = ItemKNN("bm25", neighbours=k + 1).fit(matrix)
    sim = knn.similarity_.tocoo()
    keep = (sim.row != sim.col) & ~blocked[sim.col]
    similar = pa.table(
        {
            "sku": pa.array(matrix.items[sim.row[keep]], pa.string()),
            "list": pa.array(["similar"] * int(keep.sum()), pa.string()),
            "rank": pa.array(np.zeros(int(keep.sum()), np.int64)),
            "related_sku": pa.array(matrix.items[sim.col[keep]], pa.string()),
            "score": pa.array(sim.data[keep].astype(np.float64)),
        }
    )
    similar = similar.sort_by(
        [("sku", "ascending"), ("score", "descending"), ("related_sku", "ascending")]
    )
    similar = ranked_compact(similar, "sku")
    similar = similar.filter(pc.less_equal(similar.column("rank"), k))
    parts.append(similar)
    out = pa.concat_tables([p.cast(parts[0].schema) for p in parts])
    return out.sort_by([("sku", "ascending"), ("list", "ascending"), ("rank", "ascending")])


def _popular_lists(wh: Warehouse, gone: np.ndarray, weights: InteractionWeights | None) -> pa.Table:
    products = wh.table("products").select("sku", "category")
    parts = []
    for name, expr in (
        ("popular", item_popularity(wh)),
        ("trending", trending_items(wh, weights=weights)),
    ):
        joined = expr.left_join(products, "sku").select("sku", "score", "category")
        t = joined.to_pyarrow().sort_by([("score", "descending"), ("sku", "ascending")])
        t = t.filter(
            pc.invert(pc.is_in(t.column("sku"), value_set=pa.array(list(gone), pa.string())))
        )
        parts.append(
            pa.table(
                {
                    "list": pa.array([name] * t.num_rows, pa.string()),
                    "rank": pa.array(np.arange(1, t.num_rows + 1), pa.int64()),
                    "sku": t.column("sku"),
                    "score": t.column("score").cast(pa.float64()),
                    "category": t.column("category"),
                }
            )
        )
    return pa.concat_tables(parts)
