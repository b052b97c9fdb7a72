"""Business rules applied to model scores: exclusions, stock, category diversity, top-k.

* **already bought**: items the customer bought are excluded by default (a shop sells them
  again through replenishment reminders, not discovery); pass ``exclude=None`` to keep them.
* **out of stock**: SKUs whose total ``on_hand`` over all locations on their latest inventory
  snapshot is ``<= 0`` are never recommended (:func:`out_of_stock`; no inventory = no block).
* **category diversity**: at most ``max_per_category`` items of one category in a list; when
  too few other candidates exist the list is filled with the best remaining items.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from shopscope.errors import InvalidInputError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from shopscope.warehouse.connection import Warehouse

__all__ = ["catalogue", "out_of_stock", "select_top_k"]


def out_of_stock(wh: Warehouse) -> ir.Table:
    """SKUs whose latest snapshot (summed over locations) has ``on_hand <= 0``: column ``sku``."""
    inv = wh.table("inventory")
    latest = inv.group_by("sku").aggregate(last=inv.date.max())
    snap = inv.join(latest, (inv.sku == latest.sku) & (inv.date == latest["last"]))
    stock = snap.group_by(inv.sku).aggregate(on_hand=snap.on_hand.sum())
    return stock.filter(stock.on_hand <= 0).select("sku")


def catalogue(wh: Warehouse) -> pa.Table:
    """The products dimension's display columns: sku, title, category, price, item_kind."""
    products = wh.table("products")
    out: pa.Table = products.select("sku", "title", "category", "price", "item_kind").to_pyarrow()
    return out


def select_top_k(
    scores: np.ndarray,
    k: int,
    *,
    exclude: sp.csr_matrix | None = None,
    blocked: np.ndarray | None = None,
    categories: np.ndarray | None = None,
    max_per_category: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` columns per row of ``scores`` after the rules: (positions, scores).

    Parameters
    ----------
    scores
        Rows × items model scores (higher is better). Modified in place.
    exclude
        Rows × items matrix; non-zero entries are excluded (already bought).
    blocked
        Boolean per item: never recommend (out of stock, not a product).
    categories
        Integer category code per item (-1 = unknown, never capped).
    max_per_category
        Cap per category in one list; ``None`` = no cap.

    Returns
    -------
    positions, values
        ``(rows, k)`` arrays; empty slots have position -1 and value ``-inf``.
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise InvalidInputError(f"k={k!r}: use an integer >= 1.")
    if max_per_category is not None and (
        not isinstance(max_per_category, int) or max_per_category < 1
    ):
        raise InvalidInputError(f"max_per_category={max_per_category!r}: use an integer >= 1.")
    n_rows, n_items = scores.shape
    if exclude is not None and exclude.nnz:
        coo = exclude.tocoo()
        scores[coo.row, coo.col] = -np.inf
    if blocked is not None:
        scores[:, np.asarray(blocked, dtype=bool)] = -np.inf
    diverse = categories is not None and max_per_category is not None
    pool = min(n_items, k * 4 if diverse else k)
    if pool == 0:
        return np.full((n_rows, k), -1, np.int64), np.full((n_rows, k), -np.inf, np.float32)
    cand = _best_columns(scores, pool)
    cand_scores = np.take_along_axis(scores, cand, axis=1)
    # descending score; ties broken by the lower column (sorted SKU) for determinism
    order = np.lexsort((cand, -cand_scores), axis=1)
    cand = np.take_along_axis(cand, order, axis=1)
    cand_scores = np.take_along_axis(cand_scores, order, axis=1)
    if diverse:
        assert categories is not None and max_per_category is not None
        cats = np.asarray(categories)[cand]
        same_before = np.zeros(cand.shape, dtype=np.int64)
        for j in range(1, pool):
            same_before[:, j] = (cats[:, :j] == cats[:, j : j + 1]).sum(axis=1)
        over = (same_before >= max_per_category) & (cats >= 0)
        # within-cap items first, then over-cap ones, then excluded; score order within each
        key = over.astype(np.int8) + 2 * (~np.isfinite(cand_scores)).astype(np.int8)
        order = np.argsort(key, axis=1, kind="stable")
        cand = np.take_along_axis(cand, order, axis=1)
        cand_scores = np.take_along_axis(cand_scores, order, axis=1)
    positions = np.full((n_rows, k), -1, np.int64)
    values = np.full((n_rows, k), -np.inf, np.float32)
    take = min(k, pool)
    positions[:, :take] = cand[:, :take]
    values[:, :take] = cand_scores[:, :take]
    empty = ~np.isfinite(values)
    positions[empty] = -1
    return positions, values


def _best_columns(scores: np.ndarray, pool: int) -> np.ndarray:
    """The ``pool`` best columns per row (unordered), ties at the boundary to the lower column.

    ``argpartition`` alone would cut a tie group at the boundary arbitrarily; instead take
    every column above the ``pool``-th score and fill up with the lowest tied columns.
    """
    n_rows, n_items = scores.shape
    if pool >= n_items:
        return np.tile(np.arange(n_items), (n_rows, 1))
    part = np.argpartition(-scores, pool - 1, axis=1)[:, :pool]
    threshold = np.take_along_axis(scores, part, axis=1).min(axis=1, keepdims=True)
    above = scores > threshold
    tied = scores == threshold
    need = pool - above.sum(axis=1, keepdims=True)
    chosen = above | (tied & (np.cumsum(tied, axis=1) <= need))
    cols = np.nonzero(chosen)[1]
    return cols.reshape(n_rows, pool)
