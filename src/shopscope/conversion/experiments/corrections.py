"""Multiple-comparison corrections: Holm (family-wise error) and Benjamini–Hochberg (FDR).

References
----------
.. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
   *Scandinavian Journal of Statistics*, 6(2), 65-70.
.. [2] Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate.
   *Journal of the Royal Statistical Society B*, 57(1), 289-300.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from shopscope.errors import InvalidInputError

__all__ = ["Correction", "adjust_p_values"]

Correction = Literal["holm", "bh", "none"]


def adjust_p_values(p_values: Sequence[float], method: Correction = "holm") -> list[float]:
    """Adjusted p-values (compare each with alpha), in the input order.

    Holm: ``p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j))`` over ascending p.
    BH: ``p̃_(i) = min_{j ≥ i} min(1, m p_(j) / j)``.
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.size and (np.isnan(p).any() or (p < 0).any() or (p > 1).any()):
        raise InvalidInputError(f"p-values must lie in [0, 1], got {list(p_values)}.")
    m = p.size
    if m == 0 or method == "none":
        return [float(v) for v in p]
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        adj = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ranked))
    elif method == "bh":
        adj = np.minimum.accumulate((m * ranked / np.arange(1, m + 1))[::-1])[::-1]
        adj = np.minimum(adj, 1.0)
    else:
        raise InvalidInputError(f"Unknown correction {method!r}; use 'holm', 'bh' or 'none'.")
    out = np.empty(m)
    out[order] = adj
    return [float(v) for v in out]
