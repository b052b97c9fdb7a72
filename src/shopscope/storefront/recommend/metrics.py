"""Top-k ranking metrics for offline evaluation (binary relevance).

For one user with relevant set ``R`` (``|R| >= 1``) and recommended list ``r_1..r_k``
(``hit_i = 1`` when ``r_i ∈ R``):

* ``recall@k  = Σ hit_i / |R|``
* ``precision@k = Σ hit_i / k``
* ``NDCG@k = DCG / IDCG`` with ``DCG = Σ hit_i / log2(i + 1)`` and
  ``IDCG = Σ_{i=1..min(k, |R|)} 1 / log2(i + 1)`` (Järvelin & Kekäläinen, 2002)
* ``AP@k = Σ_i hit_i · precision@i / min(k, |R|)``, and ``MAP@k`` is its mean over users

Each metric is averaged over users with at least one relevant item. *Catalogue coverage* is the
share of catalogue items that appear in at least one user's list.

References
----------
.. [1] Järvelin, K., & Kekäläinen, J. (2002). Cumulated gain-based evaluation of IR techniques.
   *ACM TOIS*, 20(4), 422-446.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from shopscope.errors import InvalidInputError

__all__ = ["RankingMetrics", "ranking_metrics"]


@dataclass(frozen=True)
class RankingMetrics:
    """Means over ``users`` evaluated users; ``coverage`` over ``catalogue`` items."""

    k: int
    users: int
    recall: float
    precision: float
    ndcg: float
    map: float
    coverage: float
    catalogue: int


def ranking_metrics(recommended: np.ndarray, relevant: sp.csr_matrix, k: int) -> RankingMetrics:
    """Metrics of ``recommended`` (users × ≥k columns, -1 = empty slot) against ``relevant``.

    ``relevant`` is a users × items CSR matrix whose non-zero entries are the relevant items;
    rows without any are skipped (they carry no information about ranking quality).
    """
    rec = np.asarray(recommended)
    if rec.ndim != 2 or rec.shape[0] != relevant.shape[0]:
        raise InvalidInputError(
            f"recommended has shape {rec.shape}; it needs one row per relevant row "
            f"({relevant.shape[0]})."
        )
    if not isinstance(k, int) or k < 1 or k > rec.shape[1]:
        raise InvalidInputError(f"k={k!r}: use an integer in 1..{rec.shape[1]} (list length).")
    rec = rec[:, :k].astype(np.int64)
    n_items = relevant.shape[1]
    if rec.size and (rec.max() >= n_items or rec.min() < -1):
        raise InvalidInputError(f"recommended holds item positions outside -1..{n_items - 1}.")
    rel = sp.csr_matrix(relevant)
    rel.data = np.ones_like(rel.data)
    rel.eliminate_zeros()
    sizes = np.diff(rel.indptr)
    rows = np.flatnonzero(sizes > 0)
    coverage_items = np.unique(rec[rec >= 0])
    if len(rows) == 0:
        return RankingMetrics(
            k, 0, 0.0, 0.0, 0.0, 0.0, len(coverage_items) / max(n_items, 1), n_items
        )
    sub = rec[rows]
    valid = sub >= 0
    lookup = rel[np.repeat(rows, k), np.where(valid, sub, 0).ravel()]
    hits = (np.asarray(lookup).reshape(len(rows), k) > 0) & valid
    n_rel = sizes[rows].astype(np.float64)
    positions = np.arange(1, k + 1, dtype=np.float64)
    discount = 1.0 / np.log2(positions + 1.0)
    dcg = (hits * discount).sum(axis=1)
    ideal_len = np.minimum(n_rel, k).astype(np.int64)
    idcg = np.cumsum(discount)[ideal_len - 1]
    precision_at_i = np.cumsum(hits, axis=1) / positions
    ap = (precision_at_i * hits).sum(axis=1) / ideal_len
    n_hits = hits.sum(axis=1)
    return RankingMetrics(
        k=k,
        users=len(rows),
        recall=float(np.mean(n_hits / n_rel)),
        precision=float(np.mean(n_hits / k)),
        ndcg=float(np.mean(dcg / idcg)),
        map=float(np.mean(ap)),
        coverage=len(coverage_items) / max(n_items, 1),
        catalogue=n_items,
    )
