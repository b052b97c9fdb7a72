"""Ranking metrics against a plain-Python implementation; top-k rules; models on planted data."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp

from shopscope.errors import InvalidInputError
from shopscope.storefront.recommend.evaluate import Split, score_models
from shopscope.storefront.recommend.interactions import InteractionMatrix, InteractionWeights
from shopscope.storefront.recommend.metrics import ranking_metrics
from shopscope.storefront.recommend.models import ALS, BPR, ItemKNN, Popularity
from shopscope.storefront.recommend.rules import select_top_k


def plain_metrics(lists: list[list[int]], relevant: list[set[int]], k: int, n_items: int):
    """The textbook definitions, one user at a time, no NumPy."""
    recall = precision = ndcg = ap = 0.0
    users = 0
    shown: set[int] = set()
    for rec, rel in zip(lists, relevant, strict=True):
        top = [i for i in rec[:k]]
        shown.update(i for i in top if i >= 0)
        if not rel:
            continue
        users += 1
        hits = [1 if i in rel else 0 for i in top]
        recall += sum(hits) / len(rel)
        precision += sum(hits) / k
        dcg = sum(h / math.log2(pos + 2) for pos, h in enumerate(hits))
        idcg = sum(1 / math.log2(pos + 2) for pos in range(min(k, len(rel))))
        ndcg += dcg / idcg
        running = 0
        total = 0.0
        for pos, h in enumerate(hits):
            if h:
                running += 1
                total += running / (pos + 1)
        ap += total / min(k, len(rel))
    return {
        "users": users,
        "recall": recall / users,
        "precision": precision / users,
        "ndcg": ndcg / users,
        "map": ap / users,
        "coverage": len(shown) / n_items,
    }


def _relevant_matrix(relevant: list[set[int]], n_items: int) -> sp.csr_matrix:
    rows = [u for u, rel in enumerate(relevant) for _ in rel]
    cols = [i for rel in relevant for i in sorted(rel)]
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(relevant), n_items))


def test_metrics_on_a_hand_built_case():
    """Three users, five items; the figures are also worked out by hand below."""
    lists = [[0, 1, 2], [3, 4, -1], [1, 0, 4]]
    relevant = [{1, 3}, {0}, set()]
    got = ranking_metrics(np.array(lists), _relevant_matrix(relevant, 5), 3)
    want = plain_metrics(lists, relevant, 3, 5)
    assert got.users == want["users"] == 2
    for name in ("recall", "precision", "ndcg", "map", "coverage"):
        assert getattr(got, name) == pytest.approx(want[name], abs=1e-12), name
    # by hand: user 0 hits item 1 at rank 2 of 2 relevant, user 1 has no hit
    assert got.recall == pytest.approx((1 / 2 + 0) / 2)
    ndcg_0 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert got.ndcg == pytest.approx(ndcg_0 / 2)
    assert got.map == pytest.approx((1 / 2) / 2 / 2)
    assert got.coverage == pytest.approx(5 / 5)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_metrics_equal_the_plain_implementation_on_random_cases(seed):
    rng = np.random.default_rng(seed)
    n_users, n_items, k = 40, 25, int(rng.integers(1, 8))
    lists = [list(rng.permutation(n_items)[:k]) for _ in range(n_users)]
    for rec in lists[:5]:  # some short lists
        rec[-1] = -1
    relevant = [set(rng.choice(n_items, int(rng.integers(0, 6)), replace=False)) for _ in lists]
    got = ranking_metrics(np.array(lists), _relevant_matrix(relevant, n_items), k)
    want = plain_metrics(lists, relevant, k, n_items)
    for name in ("users", "recall", "precision", "ndcg", "map", "coverage"):
        assert getattr(got, name) == pytest.approx(want[name], abs=1e-12), name


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 0}, r"k=0: use an integer in 1\.\.3"),
        ({"k": 4}, r"k=4: use an integer in 1\.\.3"),
    ],
)
def test_metrics_reject_bad_k(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        ranking_metrics(np.zeros((2, 3), np.int64), sp.csr_matrix((2, 5)), **kwargs)


def test_metrics_reject_misaligned_lists():
    with pytest.raises(InvalidInputError, match="one row per relevant row"):
        ranking_metrics(np.zeros((3, 3), np.int64), sp.csr_matrix((2, 5)), 2)
    with pytest.raises(InvalidInputError, match=r"outside -1\.\.4"):
        ranking_metrics(np.full((2, 3), 9), sp.csr_matrix((2, 5)), 2)


def test_top_k_breaks_ties_by_lower_column_like_a_full_sort():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, (30, 50)).astype(np.float32)
    pos, _ = select_top_k(scores.copy(), 6)
    for r in range(30):
        assert list(pos[r]) == sorted(range(50), key=lambda j: (-scores[r, j], j))[:6]


def test_top_k_rules_exclusion_stock_and_diversity():
    scores = np.array([[9, 8, 7, 6, 5, 4, 3]], dtype=np.float32)
    exclude = sp.csr_matrix(np.array([[1, 0, 0, 0, 0, 0, 0]]))
    blocked = np.array([False, False, True, False, False, False, False])
    cats = np.array([0, 0, 0, 0, 1, 1, -1])
    pos, val = select_top_k(
        scores.copy(),
        5,
        exclude=exclude,
        blocked=blocked,
        categories=cats,
        max_per_category=1,
    )
    # 0 bought, 2 out of stock; one of category 0 (item 1), one of 1 (item 4), item 6 uncapped,
    # then the list is filled with the best over-cap items (3, then 5)
    assert list(pos[0]) == [1, 4, 6, 3, 5]
    assert np.all(np.diff(val[0][:3]) < 0)
    pos, _ = select_top_k(scores.copy(), 7, exclude=exclude, blocked=blocked)
    assert list(pos[0]) == [1, 3, 4, 5, 6, -1, -1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"k": 0}, "k=0"), ({"k": 2, "max_per_category": 0}, "max_per_category=0")],
)
def test_top_k_bad_input(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        select_top_k(np.zeros((1, 3), np.float32), **kwargs)


def _planted(seed: int) -> Split:
    """Customers in 6 taste groups buying within their group's 20 items (parameter recovery)."""
    rng = np.random.default_rng(seed)
    groups, per_group, users_per = 6, 20, 80
    rows, cols, test_rows, test_cols = [], [], [], []
    popularity = rng.dirichlet(np.ones(per_group) * 2)
    for u in range(groups * users_per):
        g = u % groups
        items = g * per_group + rng.choice(per_group, 8, replace=False, p=popularity)
        rows += [u] * 6
        cols += list(items[:6])
        test_rows += [u] * 2
        test_cols += list(items[6:])
    table = pa.table(
        {
            "customer_id": [f"u{r:04d}" for r in rows],
            "sku": [f"i{c:04d}" for c in cols],
            "weight": [5.0] * len(rows),
            "purchases": [1] * len(rows),
        }
    )
    train = InteractionMatrix.from_arrow(table)
    relevant = sp.csr_matrix((np.ones(len(test_rows)), (test_rows, test_cols)), shape=train.shape)
    return Split(train, relevant, datetime(2026, 1, 1), datetime(2026, 2, 1), 0)


def test_personal_models_recover_planted_tastes_and_beat_popularity():
    split = _planted(3)
    scores = {
        s.model: s
        for s in score_models(
            split, [Popularity(), ALS(factors=8, iterations=10), ItemKNN("bm25")], k=10
        )
    }
    assert scores["als"].recall > 2 * scores["popular"].recall
    assert scores["item-knn-bm25"].recall > 2 * scores["popular"].recall
    assert scores["als"].coverage > scores["popular"].coverage


def test_als_is_reproducible_with_a_seed():
    split = _planted(5)
    a = ALS(factors=8, iterations=5, seed=7).fit(split.train)
    b = ALS(factors=8, iterations=5, seed=7).fit(split.train)
    np.testing.assert_array_equal(a.item_factors_, b.item_factors_)
    c = BPR(factors=8, iterations=5, seed=7).fit(split.train)
    d = BPR(factors=8, iterations=5, seed=7).fit(split.train)
    np.testing.assert_array_equal(c.item_factors_, d.item_factors_)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: ALS(factors=0), "factors=0"),
        (lambda: ALS(regularization=-1.0), "regularization=-1.0"),
        (lambda: BPR(learning_rate=0.0), "learning_rate=0.0"),
        (lambda: ItemKNN("jaccard"), "use 'cosine' or 'bm25'"),  # type: ignore[arg-type]
        (lambda: InteractionWeights(product_view=-1.0), "product_view=-1.0"),
        (lambda: InteractionWeights(purchase=0.0), "purchase=0.0 must be > 0"),
    ],
)
def test_model_parameters_are_validated(factory, match):
    with pytest.raises(InvalidInputError, match=match):
        factory()


def test_popularity_scores_must_align_with_the_catalogue():
    split = _planted(1)
    with pytest.raises(InvalidInputError, match=r"Align the scores with matrix\.items"):
        Popularity(item_scores=np.ones(3)).fit(split.train)
