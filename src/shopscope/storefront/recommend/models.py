"""Scoring models: popularity, item-kNN, implicit ALS and BPR (one factor-model base).

Every model follows the estimator shape: ``fit(matrix) -> Self`` on an
:class:`~shopscope.storefront.recommend.interactions.InteractionMatrix`, fitted attributes end in
``_``, and ``scores(rows, history)`` returns a dense ``(len(rows), n_items)`` float32 block
(higher = better) for the given matrix rows and their interaction history (CSR, same columns).
Ranking, exclusions and business rules are applied afterwards (:mod:`.rules`), identically for
every model, so offline comparisons are fair.

References
----------
.. [1] Hu, Y., Koren, Y., & Volinsky, C. (2008). Collaborative filtering for implicit feedback
   datasets. *ICDM 2008*, 263-272. (ALS with confidence weights.)
.. [2] Rendle, S., Freudenthaler, C., Gantner, Z., & Schmidt-Thieme, L. (2009). BPR: Bayesian
   personalized ranking from implicit feedback. *UAI 2009*, 452-461.
.. [3] Sarwar, B., Karypis, G., Konstan, J., & Riedl, J. (2001). Item-based collaborative
   filtering recommendation algorithms. *WWW 2001*, 285-295.
.. [4] Robertson, S., & Zaragoza, H. (2009). The probabilistic relevance framework: BM25 and
   beyond. *Foundations and Trends in IR*, 3(4), 333-389.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Self

import numpy as np
import scipy.sparse as sp

from shopscope.errors import InvalidInputError
from shopscope.storefront.recommend.interactions import InteractionMatrix

__all__ = [
    "ALS",
    "BPR",
    "FactorModel",
    "ItemKNN",
    "Popularity",
    "Recommender",
    "confidence",
]


class Recommender(Protocol):
    """What every model offers."""

    name: str

    def fit(self, matrix: InteractionMatrix) -> Self: ...

    def scores(self, rows: np.ndarray, history: sp.csr_matrix) -> np.ndarray: ...


def confidence(weights: sp.csr_matrix) -> sp.csr_matrix:
    """``log1p(weight)``: repeated views and purchases count, with diminishing returns."""
    out = weights.astype(np.float32, copy=True)
    out.data = np.log1p(out.data)
    return out


def _check_positive_int(name: str, value: object, *, low: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise InvalidInputError(f"{name}={value!r}: use an integer >= {low}.")
    return value


def _check_positive_float(name: str, value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise InvalidInputError(f"{name}={value!r}: use a number > 0.")
    return float(value)


@dataclass
class Popularity:
    """The same ranking for everyone: ``item_scores_`` per column.

    By default the score is the number of distinct customers who bought the item in the
    training data. Pass ``item_scores`` (one per column, e.g. recency-weighted counts from
    :func:`~shopscope.storefront.recommend.popular.item_popularity`) for *trending*.
    """

    name: str = "popular"
    item_scores: np.ndarray | None = None
    item_scores_: np.ndarray = field(init=False, repr=False)

    def fit(self, matrix: InteractionMatrix) -> Self:
        if self.item_scores is not None:
            scores = np.asarray(self.item_scores, dtype=np.float32)
            if scores.shape != (matrix.shape[1],):
                raise InvalidInputError(
                    f"Popularity item_scores has shape {scores.shape}; the matrix has "
                    f"{matrix.shape[1]} items. Align the scores with matrix.items."
                )
        else:
            scores = np.asarray(matrix.bought.getnnz(axis=0), dtype=np.float32)
        self.item_scores_ = scores  # ties go to the lower column (sorted SKU), see select_top_k
        return self

    def scores(self, rows: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.item_scores_, (len(rows), len(self.item_scores_))).copy()


@dataclass
class ItemKNN:
    """Item-based neighbourhood model: ``score(u, j) = Σ_i x_ui · sim(i, j)`` over the K nearest.

    ``weighting="cosine"`` uses cosine similarity of the items' confidence columns;
    ``"bm25"`` first BM25-weights them (down-weighting very active customers), as in ``implicit``.
    """

    weighting: Literal["cosine", "bm25"] = "bm25"
    neighbours: int = 50
    name: str = ""
    similarity_: sp.csr_matrix = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.weighting not in ("cosine", "bm25"):
            raise InvalidInputError(
                f"ItemKNN weighting {self.weighting!r} is not known; use 'cosine' or 'bm25'."
            )
        _check_positive_int("neighbours", self.neighbours)
        self.name = self.name or f"item-knn-{self.weighting}"

    def fit(self, matrix: InteractionMatrix) -> Self:
        from implicit.nearest_neighbours import ItemItemRecommender, bm25_weight

        conf = confidence(matrix.weights).astype(np.float64)  # all_pairs_knn wants doubles
        if self.weighting == "bm25":
            # BM25 over each item's column of customers (items are the "documents")
            weighted = sp.csr_matrix(bm25_weight(conf.T, K1=1.2, B=0.75).T, dtype=np.float64)
        else:
            norms = np.sqrt(np.asarray(conf.multiply(conf).sum(axis=0)).ravel())
            scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
            weighted = sp.csr_matrix(conf @ sp.diags(scale))
        model = ItemItemRecommender(K=self.neighbours, num_threads=1)
        model.fit(weighted, show_progress=False)
        self.similarity_ = sp.csr_matrix(model.similarity, dtype=np.float32)
        return self

    def scores(self, rows: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        out = (confidence(history[rows]) @ self.similarity_).toarray()
        return np.asarray(out, dtype=np.float32)


@dataclass(kw_only=True)
class FactorModel:
    """Latent-factor model: ``score(u, i) = x_u · y_i``, fitted with an ``implicit`` solver.

    Subclasses say only what differs: the solver (:meth:`_solver`), what it is fitted on
    (:meth:`_training_matrix`) and their own hyper-parameters. Fitting (one thread, fixed
    ``seed``, so results are reproducible), scoring, a customer's top-k and the items most
    similar to an item are shared.
    """

    factors: int = 32
    regularization: float = 1.0
    iterations: int = 15
    seed: int = 42
    name: str = ""
    user_factors_: np.ndarray = field(init=False, repr=False)
    item_factors_: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_positive_int("factors", self.factors)
        _check_positive_int("iterations", self.iterations)
        _check_positive_int("seed", self.seed, low=0)
        _check_positive_float("regularization", self.regularization)

    def _solver(self) -> Any:
        """The unfitted ``implicit`` model."""
        raise NotImplementedError

    def _training_matrix(self, matrix: InteractionMatrix) -> sp.csr_matrix:
        """What the solver is fitted on (customers × items)."""
        raise NotImplementedError

    def fit(self, matrix: InteractionMatrix) -> Self:
        import implicit.cpu.als
        import implicit.cpu.bpr  # noqa: F401  (loaded before the limit below, so it covers them)
        from threadpoolctl import threadpool_limits

        # implicit warns (and slows down) when BLAS runs its own threads next to its own
        with threadpool_limits(1, "blas"):
            model = self._solver()
            model.fit(self._training_matrix(matrix), show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        return self

    def scores(self, rows: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        out: np.ndarray = self.user_factors_[rows] @ self.item_factors_.T
        return out

    def recommend(
        self, row: int, history: sp.csr_matrix, k: int = 10, *, exclude_seen: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Best ``k`` item positions and scores for one customer row (seen items excluded)."""
        from shopscope.storefront.recommend.rules import select_top_k

        rows = np.asarray([row])
        exclude = history[rows] if exclude_seen else None
        positions, values = select_top_k(self.scores(rows, history), k, exclude=exclude)
        keep = positions[0] >= 0
        return positions[0][keep], values[0][keep]

    def similar_items(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items whose factors have the highest cosine with ``item``'s (not itself)."""
        norms = np.linalg.norm(self.item_factors_, axis=1)
        safe = np.where(norms > 0, norms, 1.0)
        cosine = (self.item_factors_ @ self.item_factors_[item]) / (safe * safe[item])
        cosine[item] = -np.inf
        cosine[norms == 0] = -np.inf
        top = min(k, int(np.isfinite(cosine).sum()))
        order = np.lexsort((np.arange(len(cosine)), -cosine))[:top]  # ties: lower position
        return order, cosine[order].astype(np.float32)


@dataclass(kw_only=True)
class ALS(FactorModel):
    """Implicit-feedback matrix factorisation by alternating least squares (Hu et al., 2008).

    Fitted on ``confidence(weights)`` with ``implicit``'s CPU solver (conjugate gradient).
    """

    alpha: float = 1.0
    name: str = "als"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_positive_float("alpha", self.alpha)

    def _solver(self) -> Any:
        from implicit.cpu.als import AlternatingLeastSquares

        return AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            random_state=self.seed,
            num_threads=1,
        )

    def _training_matrix(self, matrix: InteractionMatrix) -> sp.csr_matrix:
        return confidence(matrix.weights)


@dataclass(kw_only=True)
class BPR(FactorModel):
    """Bayesian personalised ranking (Rendle et al., 2009), SGD from ``implicit``.

    Fitted on the raw weights: BPR only uses which entries are non-zero.
    """

    regularization: float = 0.01
    iterations: int = 100
    learning_rate: float = 0.05
    name: str = "bpr"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_positive_float("learning_rate", self.learning_rate)

    def _solver(self) -> Any:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking(
            factors=self.factors,
            learning_rate=self.learning_rate,
            regularization=self.regularization,
            iterations=self.iterations,
            random_state=self.seed,
            num_threads=1,
        )

    def _training_matrix(self, matrix: InteractionMatrix) -> sp.csr_matrix:
        return matrix.weights
