"""Offline evaluation with a temporal split: train before a cutoff, test on what was bought after.

1. **Train**: all weighted interactions before ``cutoff`` (engine aggregate -> CSR matrix).
2. **Test**: for customers known at the cutoff, the SKUs they bought in
   ``[cutoff, cutoff + test_days)`` that exist in the training catalogue. With
   ``exclude_bought`` (default) SKUs the customer had already bought before the cutoff are
   neither recommended nor counted as relevant: the task is discovering *new* products.
3. Every model ranks the whole catalogue for each test customer through the same
   :func:`~shopscope.storefront.recommend.rules.select_top_k`, and
   :func:`~shopscope.storefront.recommend.metrics.ranking_metrics` scores the lists.

Customers first seen after the cutoff get the popularity fallback from every model, so they are
counted (``cold_users``) but not scored.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.storefront.recommend.interactions import (
    InteractionMatrix,
    InteractionWeights,
    as_timestamp,
    interaction_table,
    purchase_lines,
)
from shopscope.storefront.recommend.metrics import RankingMetrics, ranking_metrics
from shopscope.storefront.recommend.models import ALS, BPR, ItemKNN, Popularity, Recommender
from shopscope.storefront.recommend.popular import trending_items
from shopscope.storefront.recommend.rules import select_top_k

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "DEFAULT_MODELS",
    "MODEL_NAMES",
    "Evaluation",
    "ModelScore",
    "Split",
    "evaluate",
    "make_model",
    "recommend_rows",
    "score_models",
    "temporal_split",
]

MODEL_NAMES = ("popular", "trending", "item-knn-cosine", "item-knn-bm25", "als", "bpr")
DEFAULT_MODELS = ("popular", "trending", "item-knn-bm25", "als")


@dataclass(frozen=True)
class ModelScore:
    """One model's offline metrics at ``k`` (means over the test customers)."""

    model: str
    recall: float
    precision: float
    ndcg: float
    map: float
    coverage: float
    fit_seconds: float
    recall_vs_popular: float | None
    ndcg_vs_popular: float | None


@dataclass(frozen=True)
class Evaluation:
    """The result of :func:`evaluate`: split sizes and one :class:`ModelScore` per model."""

    cutoff: datetime
    test_end: datetime
    k: int
    exclude_bought: bool
    train_users: int
    train_items: int
    train_interactions: int
    test_users: int
    test_pairs: int
    cold_users: int
    models: tuple[ModelScore, ...]
    seconds: float


@dataclass(frozen=True)
class Split:
    """Training matrix and the relevant test purchases (rows aligned with ``train.users``)."""

    train: InteractionMatrix
    relevant: sp.csr_matrix
    cutoff: datetime
    test_end: datetime
    cold_users: int


def temporal_split(
    wh: Warehouse,
    *,
    cutoff: date | datetime | None = None,
    test_days: int = 90,
    weights: InteractionWeights | None = None,
    exclude_bought: bool = True,
) -> Split:
    """Train before ``cutoff`` (default: last order day − ``test_days``), test after it."""
    if not isinstance(test_days, int) or isinstance(test_days, bool) or test_days < 1:
        raise InvalidInputError(f"test_days={test_days!r}: use a whole number of days >= 1.")
    cut = as_timestamp(cutoff, "cutoff")
    orders = wh.table("orders")
    bounds = orders.aggregate(lo=orders.ordered_at.min(), hi=orders.ordered_at.max()).to_pyarrow()
    lo, hi = bounds.column("lo")[0].as_py(), bounds.column("hi")[0].as_py()
    if lo is None:
        raise NotFoundError("No orders in the warehouse: nothing to evaluate. Load orders first.")
    if cut is None:
        cut = datetime.combine(
            hi.date() + timedelta(days=1) - timedelta(days=test_days), datetime.min.time()
        )
    if not lo < cut <= hi:
        raise InvalidInputError(
            f"cutoff {cut:%Y-%m-%d} leaves no training or no test data: orders run from "
            f"{lo:%Y-%m-%d} to {hi:%Y-%m-%d}. Pick a cutoff inside that range."
        )
    end = cut + timedelta(days=test_days)
    train = InteractionMatrix.from_arrow(
        interaction_table(wh, weights=weights, end=cut).to_pyarrow()
    )
    bought = purchase_lines(wh, start=cut, end=end)
    test = bought.select("customer_id", "sku").distinct().to_pyarrow()
    rows = train.user_positions(test.column("customer_id").to_numpy(zero_copy_only=False))
    cols = train.item_positions(test.column("sku").to_numpy(zero_copy_only=False))
    test_customers = pc.unique(test.column("customer_id"))
    known_customers = pc.is_in(test_customers, value_set=pa.array(list(train.users), pa.string()))
    cold = len(test_customers) - int(pc.sum(known_customers).as_py() or 0)
    keep = (rows >= 0) & (cols >= 0)
    relevant = sp.csr_matrix(
        (np.ones(int(keep.sum()), np.float32), (rows[keep], cols[keep])), shape=train.shape
    )
    relevant.sum_duplicates()
    relevant.data[:] = 1.0
    if exclude_bought:
        relevant = relevant - relevant.multiply(train.bought > 0)
        relevant.eliminate_zeros()
    return Split(train, sp.csr_matrix(relevant), cut, end, cold)


def make_model(
    name: str,
    *,
    seed: int = 42,
    item_scores: np.ndarray | None = None,
    factors: int = 32,
    iterations: int = 15,
) -> Recommender:
    """A model by name (see :data:`MODEL_NAMES`)."""
    if name == "popular":
        return Popularity()
    if name == "trending":
        return Popularity(name="trending", item_scores=item_scores)
    if name == "item-knn-cosine":
        return ItemKNN("cosine")
    if name == "item-knn-bm25":
        return ItemKNN("bm25")
    if name == "als":
        return ALS(factors=factors, iterations=iterations, seed=seed)
    if name == "bpr":
        return BPR(factors=factors, seed=seed)
    raise InvalidInputError(f"Unknown model {name!r}; allowed: {', '.join(MODEL_NAMES)}.")


def recommend_rows(
    model: Recommender,
    rows: np.ndarray,
    history: sp.csr_matrix,
    k: int,
    *,
    exclude: sp.csr_matrix | None = None,
    blocked: np.ndarray | None = None,
    categories: np.ndarray | None = None,
    max_per_category: int | None = None,
    batch: int = 2048,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` positions and scores for ``rows``, in batches (memory stays ~batch × items)."""
    positions = np.full((len(rows), k), -1, np.int64)
    values = np.full((len(rows), k), -np.inf, np.float32)
    for lo in range(0, len(rows), batch):
        part = rows[lo : lo + batch]
        scores = np.array(model.scores(part, history), dtype=np.float32)
        pos, val = select_top_k(
            scores,
            k,
            exclude=None if exclude is None else exclude[part],
            blocked=blocked,
            categories=categories,
            max_per_category=max_per_category,
        )
        positions[lo : lo + len(part)] = pos
        values[lo : lo + len(part)] = val
    return positions, values


def score_models(
    split: Split, models: Sequence[Recommender], *, k: int = 10, exclude_bought: bool = True
) -> tuple[ModelScore, ...]:
    """Fit each model on ``split.train`` and score its top-``k`` lists against the test."""
    rows = np.flatnonzero(np.diff(split.relevant.indptr) > 0)
    exclude = split.train.bought if exclude_bought else None
    measured: list[tuple[str, float, RankingMetrics]] = []
    for model in models:
        start = time.perf_counter()
        model.fit(split.train)
        fit_seconds = time.perf_counter() - start
        positions, _ = recommend_rows(model, rows, split.train.weights, k, exclude=exclude)
        full = np.full((split.relevant.shape[0], k), -1, np.int64)
        full[rows] = positions
        measured.append((model.name, fit_seconds, ranking_metrics(full, split.relevant, k)))
    base = next((m for name, _, m in measured if name == "popular"), None)
    out = []
    for name, fit_seconds, m in measured:
        out.append(
            ModelScore(
                model=name,
                recall=m.recall,
                precision=m.precision,
                ndcg=m.ndcg,
                map=m.map,
                coverage=m.coverage,
                fit_seconds=fit_seconds,
                recall_vs_popular=_ratio(m.recall, base.recall if base else None),
                ndcg_vs_popular=_ratio(m.ndcg, base.ndcg if base else None),
            )
        )
    return tuple(out)


def _ratio(value: float, base: float | None) -> float | None:
    return value / base if base else None


def evaluate(
    wh: Warehouse,
    *,
    cutoff: date | datetime | None = None,
    test_days: int = 90,
    k: int = 10,
    models: Sequence[str] = DEFAULT_MODELS,
    weights: InteractionWeights | None = None,
    exclude_bought: bool = True,
    seed: int = 42,
    factors: int = 32,
    iterations: int = 15,
) -> Evaluation:
    """Temporal-split evaluation of ``models`` (names from :data:`MODEL_NAMES`)."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise InvalidInputError(f"k={k!r}: use an integer >= 1.")
    if not models:
        raise InvalidInputError(f"No models to evaluate; choose from {', '.join(MODEL_NAMES)}.")
    unknown = [m for m in models if m not in MODEL_NAMES]
    if unknown:
        raise InvalidInputError(f"Unknown model(s) {unknown}; allowed: {', '.join(MODEL_NAMES)}.")
    started = time.perf_counter()
    split = temporal_split(
        wh, cutoff=cutoff, test_days=test_days, weights=weights, exclude_bought=exclude_bought
    )
    if split.train.shape[0] == 0 or split.relevant.nnz == 0:
        raise NotFoundError(
            f"No customer known before {split.cutoff:%Y-%m-%d} bought a new catalogue item in "
            f"the {test_days} test days: nothing to score. Move the cutoff or widen test_days."
        )
    trend = None
    if "trending" in models:
        t = trending_items(wh, as_of=split.cutoff - timedelta(microseconds=1), weights=weights)
        table = t.to_pyarrow()
        pos = split.train.item_positions(table.column("sku").to_numpy(zero_copy_only=False))
        trend = np.zeros(split.train.shape[1], np.float32)
        ok = pos >= 0
        trend[pos[ok]] = table.column("score").to_numpy()[ok]
    built = [
        make_model(m, seed=seed, item_scores=trend, factors=factors, iterations=iterations)
        for m in models
    ]
    scores = score_models(split, built, k=k, exclude_bought=exclude_bought)
    return Evaluation(
        cutoff=split.cutoff,
        test_end=split.test_end,
        k=k,
        exclude_bought=exclude_bought,
        train_users=split.train.shape[0],
        train_items=split.train.shape[1],
        train_interactions=split.train.nnz,
        test_users=int((np.diff(split.relevant.indptr) > 0).sum()),
        test_pairs=int(split.relevant.nnz),
        cold_users=split.cold_users,
        models=scores,
        seconds=time.perf_counter() - started,
    )
