"""The in-process serving index notices new builds; the factor models share one base."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import numpy as np
import pytest

from shopscope.storefront.recommend import (
    ALS,
    BPR,
    InteractionMatrix,
    build_recommendations,
    interaction_table,
    recommend_for_user,
)
from shopscope.storefront.recommend.cache import IndexCache, serving_index
from shopscope.storefront.recommend.models import FactorModel, confidence
from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.demo import generate_demo


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("reco") / "shop.duckdb"
    with connect(f"duckdb:///{path}") as wh:
        generate_demo(wh, size=3000, seed=5, end_date=date(2026, 6, 30))
        build_recommendations(wh, k=5, model="popular")
    return f"duckdb:///{path}"


def _sql_list(wh: Warehouse, customer: str) -> list[tuple[str, float]]:
    rows = wh.duckdb.execute(
        "SELECT sku, score FROM reco_user_topk WHERE customer_id = ? ORDER BY rank", [customer]
    ).fetchall()
    return [(s, float(v)) for s, v in rows]


def test_a_build_in_another_connection_is_noticed_and_reloaded(shop_file: str) -> None:
    opened = []

    @contextmanager
    def opener():  # what a server request does: open read-only, read, close
        opened.append(1)
        with connect(shop_file, read_only=True) as wh:
            yield wh

    cache = IndexCache(check_seconds=0.0)
    first = cache.get("shop", opener, path=shop_file.removeprefix("duckdb:///"))
    assert len(opened) == 1
    for _ in range(5):  # file unchanged: served without opening the warehouse
        assert cache.get("shop", opener, path=shop_file.removeprefix("duckdb:///")) is first
    assert len(opened) == 1
    with connect(shop_file) as wh:  # a new build (another process, as far as the cache knows)
        build_recommendations(wh, k=7, model="item-knn-bm25")
        customer = wh.duckdb.execute("SELECT min(customer_id) FROM reco_user_topk").fetchone()[0]
        want = _sql_list(wh, customer)
    second = cache.get("shop", opener, path=shop_file.removeprefix("duckdb:///"))
    assert second is not first and second.version[0] != first.version[0]
    got = recommend_for_user(None, customer, k=7, index=second)
    assert [(i.sku, i.score) for i in got.items] == want


def test_an_unavailable_warehouse_during_a_check_keeps_the_old_lists(shop_file: str) -> None:
    calls = []

    @contextmanager
    def opener():
        calls.append(1)
        if len(calls) > 1:
            raise OSError("warehouse file is locked")
        with connect(shop_file, read_only=True) as wh:
            yield wh

    cache = IndexCache(check_seconds=0.0)
    first = cache.get("x", opener)  # no path: checked on every call (check_seconds=0)
    assert cache.get("x", opener) is first and len(calls) == 2


def test_a_build_in_this_process_replaces_the_shared_index(shop_file: str) -> None:
    with connect(shop_file) as wh:
        before = serving_index(wh)
        assert serving_index(wh) is before
        build_recommendations(wh, k=4, model="popular")
        after = serving_index(wh)
        assert after is not before
        customer = wh.duckdb.execute("SELECT min(customer_id) FROM reco_user_topk").fetchone()[0]
        got = recommend_for_user(wh, customer, k=4)
        assert [(i.sku, i.score) for i in got.items] == _sql_list(wh, customer)


def test_index_memory_is_a_few_bytes_per_row(shop_file: str) -> None:
    with connect(shop_file, read_only=True) as wh:
        rows = wh.duckdb.execute("SELECT count(*) FROM reco_user_topk").fetchone()[0]
        idx = serving_index(wh)
    assert idx.users.codes.dtype == np.int32
    assert idx.users.scores.dtype == np.float32  # popularity counts survive float32 exactly
    assert idx.users.nbytes <= 8 * rows + 8 * (len(idx.users.where) + 1)


@pytest.fixture(scope="module")
def matrix(shop_file: str) -> InteractionMatrix:
    with connect(shop_file, read_only=True) as wh:
        return InteractionMatrix.from_arrow(interaction_table(wh).to_pyarrow())


@pytest.mark.parametrize("model", [ALS(factors=8, iterations=4, seed=3), BPR(factors=8, seed=3)])
def test_factor_models_share_fit_recommend_and_similar_items(
    model: FactorModel, matrix: InteractionMatrix
) -> None:
    model.fit(matrix)
    n_users, n_items = matrix.shape
    d = model.user_factors_.shape[1]  # BPR adds a bias column
    assert d in (8, 9) and model.item_factors_.shape == (n_items, d)
    assert model.user_factors_.shape == (n_users, d)
    # recommend: the best unseen items by the dot product, written out independently
    row = int(np.argmax(np.diff(matrix.weights.indptr)))
    positions, scores = model.recommend(row, matrix.weights, k=5)
    dots = model.item_factors_ @ model.user_factors_[row]
    dots[matrix.weights[row].indices] = -np.inf
    assert list(positions) == list(np.argsort(-dots, kind="stable")[:5])
    np.testing.assert_allclose(scores, dots[positions], rtol=1e-5)
    # similar items: cosine of item factors, the item itself left out
    item = int(np.argmax(np.diff(matrix.weights.tocsc().indptr)))
    similar, sims = model.similar_items(item, k=4)
    unit = model.item_factors_ / np.linalg.norm(model.item_factors_, axis=1, keepdims=True)
    cos = unit @ unit[item]
    cos[item] = -np.inf
    assert item not in similar
    np.testing.assert_allclose(sims, np.sort(cos)[::-1][:4], rtol=1e-4)


def test_als_equals_the_raw_implicit_model(matrix: InteractionMatrix) -> None:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    ours = ALS(factors=8, iterations=4, seed=3).fit(matrix)
    with threadpool_limits(1, "blas"):
        raw = AlternatingLeastSquares(
            factors=8, regularization=1.0, alpha=1.0, iterations=4, random_state=3, num_threads=1
        )
        raw.fit(confidence(matrix.weights), show_progress=False)
    np.testing.assert_array_equal(ours.item_factors_, raw.item_factors)


def test_the_package_exports_exactly_its_public_api() -> None:
    import shopscope.storefront.recommend as recommend

    assert sorted(recommend.__all__) == sorted(
        ["ALS", "BPR", "MODEL_NAMES", "BuildSummary", "CampaignExport", "Evaluation",
         "FactorModel", "InteractionMatrix", "InteractionWeights", "ItemKNN", "ModelScore",
         "Popularity", "RankingMetrics", "Recommendations", "RecommendedItem", "ServingIndex",
         "also_viewed", "bought_together", "build_recommendations", "evaluate",
         "export_campaign", "interaction_table", "item_popularity", "ranking_metrics",
         "recommend_for_item", "recommend_for_user", "serving_index", "temporal_split",
         "trending_items", "trending_list"]
    )  # fmt: skip
