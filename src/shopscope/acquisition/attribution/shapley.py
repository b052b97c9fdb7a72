"""Shapley-value attribution over channel coalitions, exact or sampled.

Each path is reduced to its *coalition*: the set of channels it touched (a bit mask, computed
in the engine). With ``w(T)`` the conversions (or value) of paths whose coalition is exactly
``T`` and ``m(T)`` the number of such paths, two characteristic functions are offered:

* ``"conversions"``: ``v(S) = sum_{T ⊆ S} w(T)``, the conversions a set of channels reaches on
  its own (Dalessandro et al. 2012; the game behind Google's data-driven attribution);
* ``"conversion_rate"``: ``v(S) = sum_{T ⊆ S} w(T) / sum_{T ⊆ S} m(T)``, the conversion rate of
  the paths that stay inside ``S`` (needs non-converting paths; Zhao et al. 2018). Values are
  rescaled so the credits sum to the total conversions.

The Shapley value ``phi_i = sum_{S ∌ i} |S|! (n - |S| - 1)! / n! · (v(S ∪ {i}) - v(S))`` is
computed exactly over all ``2^n`` coalitions up to ``max_exact`` channels (a subset-sum
transform gives every ``v(S)`` in ``O(n 2^n)``), and estimated beyond by averaging marginal
contributions over random channel orders, reporting each estimate's standard error.

References
----------
.. [1] Shapley, L. S. (1953). A value for n-person games. *Contributions to the Theory of
   Games* II, 307-317.
.. [2] Dalessandro, B., Perlich, C., Stitelman, O. & Provost, F. (2012). Causally motivated
   attribution for online advertising. *ADKDD '12*.
.. [3] Zhao, K., Mahboobi, S. H. & Bagheri, S. R. (2018). Shapley value methods for attribution
   modeling in online advertising. arXiv:1804.05327.
.. [4] Castro, J., Gómez, D. & Tejada, J. (2009). Polynomial calculation of the Shapley value
   based on sampling. *Computers & Operations Research* 36(5), 1726-1730.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt

from shopscope.errors import InvalidInputError

__all__ = ["MAX_CHANNELS", "ShapleyGame", "ShapleyResult", "coalitions", "shapley_values"]

ShapleyGame = Literal["conversions", "conversion_rate"]
MAX_CHANNELS = 62
"""Coalitions are 64-bit masks."""
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def coalitions(tp: ir.Table, channels: Sequence[str]) -> ir.Table:
    """Per coalition: ``mask, paths, conversions, value`` (an Ibis expression).

    Bit ``i`` of ``mask`` is set when the path touched ``channels[i]``.
    """
    if len(channels) > MAX_CHANNELS:
        raise InvalidInputError(
            f"{len(channels)} channels: Shapley coalitions hold at most {MAX_CHANNELS}; merge "
            "small channels in the grouping table."
        )
    bit = ibis.cases(*((tp.channel == c, 2**i) for i, c in enumerate(channels)), else_=0)
    d = tp.select("path_id", "conversions", "value", b=bit.cast("int64")).distinct()
    per_path = d.group_by("path_id").aggregate(
        mask=d.b.sum(), conversions=d.conversions.max(), value=d.value.max()
    )
    return per_path.group_by("mask").aggregate(
        paths=per_path.count(),
        conversions=per_path.conversions.sum(),
        value=per_path.value.sum(),
    )


@dataclass(frozen=True)
class ShapleyResult:
    """Shapley credits.

    Attributes
    ----------
    values
        Credit per channel (sums to the total of the weights).
    std_errors
        Monte Carlo standard error per channel (zeros when exact).
    exact
        Whether every coalition was enumerated.
    samples
        Channel orders sampled (0 when exact).
    """

    values: FloatArray
    std_errors: FloatArray
    exact: bool
    samples: int


def _check(masks: IntArray, weights: FloatArray, paths: FloatArray, n: int) -> None:
    if not (masks.shape == weights.shape == paths.shape):
        raise InvalidInputError("masks, weights and paths must have the same length.")
    if n < 1 or n > MAX_CHANNELS:
        raise InvalidInputError(f"n_channels={n}: use 1..{MAX_CHANNELS}.")
    if masks.size and (masks.min() < 0 or masks.max() >= 2**n):
        raise InvalidInputError(f"coalition masks must lie in [0, 2**{n}).")


def _zeta(values: FloatArray, n: int) -> FloatArray:
    """``f(S) = sum_{T ⊆ S} values[T]`` for every mask ``S`` (subset-sum transform)."""
    f = values.copy()
    for i in range(n):
        view = f.reshape(-1, 2, 2**i)  # axis 1 is bit i
        view[:, 1, :] += view[:, 0, :]
    return f


def _exact(
    masks: IntArray, weights: FloatArray, paths: FloatArray, n: int, game: ShapleyGame
) -> FloatArray:
    size = 2**n
    w = np.bincount(masks, weights=weights, minlength=size).astype(np.float64)
    v = _zeta(w, n)
    if game == "conversion_rate":
        m = _zeta(np.bincount(masks, weights=paths, minlength=size).astype(np.float64), n)
        v = np.divide(v, m, out=np.zeros(size), where=m > 0)
    all_masks = np.arange(size)
    pop = np.zeros(size, dtype=np.int64)
    for i in range(n):
        pop += (all_masks >> i) & 1
    fact = np.array([math.factorial(k) for k in range(n + 1)], dtype=np.float64)
    weight = fact[pop] * fact[np.maximum(n - pop - 1, 0)] / fact[n]
    phi = np.zeros(n)
    for i in range(n):
        without = all_masks[((all_masks >> i) & 1) == 0]
        phi[i] = float(np.sum(weight[without] * (v[without | (1 << i)] - v[without])))
    return phi


def _value_of(
    prefix: IntArray, masks: IntArray, weights: FloatArray, paths: FloatArray, game: ShapleyGame
) -> FloatArray:
    inside = (masks[None, None, :] & ~prefix[:, :, None]) == 0
    num: FloatArray = (inside * weights).sum(axis=2)
    if game == "conversions":
        return num
    den = (inside * paths).sum(axis=2)
    out: FloatArray = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return out


def _sampled(
    masks: IntArray,
    weights: FloatArray,
    paths: FloatArray,
    n: int,
    game: ShapleyGame,
    samples: int,
    seed: int,
) -> tuple[FloatArray, FloatArray]:
    rng = np.random.default_rng(seed)
    total = np.zeros(n)
    total_sq = np.zeros(n)
    keep = (weights != 0) | (paths != 0)
    masks, weights, paths = masks[keep], weights[keep], paths[keep]
    batch = max(1, min(samples, 2_000_000 // max(1, (n + 1) * max(masks.size, 1))))
    done = 0
    while done < samples:
        b = min(batch, samples - done)
        order = np.argsort(rng.random((b, n)), axis=1)
        bits = np.left_shift(np.int64(1), order.astype(np.int64))
        prefix = np.concatenate([np.zeros((b, 1), np.int64), np.cumsum(bits, axis=1)], axis=1)
        v = _value_of(prefix, masks, weights, paths, game)
        delta = np.diff(v, axis=1)  # delta[:, j] is the contribution of channel order[:, j]
        contrib = np.zeros((b, n))
        np.put_along_axis(contrib, order, delta, axis=1)
        total += contrib.sum(axis=0)
        total_sq += (contrib**2).sum(axis=0)
        done += b
    mean = total / samples
    var = np.maximum(total_sq / samples - mean**2, 0.0)
    se = np.sqrt(var / max(samples - 1, 1))
    return mean, se


def shapley_values(
    masks: npt.ArrayLike,
    weights: npt.ArrayLike,
    n_channels: int,
    *,
    paths: npt.ArrayLike | None = None,
    game: ShapleyGame = "conversions",
    max_exact: int = 15,
    samples: int = 2000,
    seed: int = 0,
) -> ShapleyResult:
    """Shapley values of the coalition game given per-coalition totals.

    Parameters
    ----------
    masks
        Coalition bit masks (one entry per distinct coalition, or repeated: they are summed).
    weights
        Conversions (or value) of the paths with that coalition.
    n_channels
        Number of channels (bits).
    paths
        Number of paths per coalition (needed by ``"conversion_rate"``).
    game
        ``"conversions"`` or ``"conversion_rate"``.
    max_exact
        Enumerate all coalitions up to this many channels (at most 20); sample beyond.
    samples
        Random channel orders when sampling.
    seed
        Seed of the sampler.

    Returns
    -------
    ShapleyResult
        Values summing to ``sum(weights)`` (the rate game is rescaled to it).
    """
    m = np.asarray(masks, dtype=np.int64).ravel()
    w = np.asarray(weights, dtype=np.float64).ravel()
    p = np.ones_like(w) if paths is None else np.asarray(paths, dtype=np.float64).ravel()
    if game not in ("conversions", "conversion_rate"):
        raise InvalidInputError(
            f"Unknown Shapley game {game!r}; use conversions or conversion_rate."
        )
    if game == "conversion_rate" and paths is None:
        raise InvalidInputError("The conversion_rate game needs the number of paths per coalition.")
    _check(m, w, p, n_channels)
    if not 1 <= max_exact <= 20:
        raise InvalidInputError(f"max_exact={max_exact}: use 1..20 (2**20 coalitions).")
    if samples < 2:
        raise InvalidInputError(f"samples={samples}: sample at least 2 channel orders.")
    if n_channels <= max_exact:
        phi = _exact(m, w, p, n_channels, game)
        se = np.zeros(n_channels)
        exact, used = True, 0
    else:
        phi, se = _sampled(m, w, p, n_channels, game, samples, seed)
        exact, used = False, samples
    if game == "conversion_rate":
        full = float(np.sum(phi))
        scale = float(w.sum()) / full if full > 0 else 0.0
        phi, se = phi * scale, se * abs(scale)
    return ShapleyResult(phi, se, exact, used)
