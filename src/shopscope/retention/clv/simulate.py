"""Simulate ``(x, t_x)`` and mean spend from fitted or given CLV model parameters.

Used by the parametric bootstrap (:mod:`~shopscope.retention.clv.uncertainty`), parameter
recovery tests and benchmarks. Each customer keeps their observed age ``T``.
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005); kept as is.
# ruff: noqa: N803, N806

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt

from shopscope.errors import InvalidInputError
from shopscope.retention.clv._mle import FloatArray

__all__ = ["PurchaseProcess", "simulate_purchases", "simulate_spend"]

PurchaseProcess = Literal["bgnbd", "mbgnbd", "paretonbd"]
"""Which model's process to simulate."""

_NAMES: dict[str, tuple[str, ...]] = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "paretonbd": ("r", "alpha", "s", "beta"),
}


def _params(process: str, params: Mapping[str, float]) -> list[float]:
    if process not in _NAMES:
        raise InvalidInputError(
            f"Unknown purchase process {process!r}; use one of {', '.join(_NAMES)}."
        )
    missing = [n for n in _NAMES[process] if n not in params]
    if missing:
        raise InvalidInputError(f"{process} needs parameters {_NAMES[process]}; missing {missing}.")
    values = [float(params[n]) for n in _NAMES[process]]
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise InvalidInputError(f"{process} parameters must be positive and finite: {params}.")
    return values


def simulate_purchases(
    process: PurchaseProcess,
    params: Mapping[str, float],
    T: npt.ArrayLike,
    *,
    seed: int,
) -> tuple[FloatArray, FloatArray]:
    """Repeat purchases ``x`` and last-purchase time ``t_x`` for customers of ages ``T``.

    While alive, purchases are Poisson with rate ``λ ~ Gamma(r, α)``. BG/NBD: after each repeat
    purchase the customer drops out with probability ``p ~ Beta(a, b)``, so at most
    ``Geometric(p)`` repeats; MBG/NBD: also after the first purchase (``Geometric(p) − 1``);
    Pareto/NBD: the lifetime is ``Exponential(μ)``, ``μ ~ Gamma(s, β)``. With ``n`` Poisson
    purchases over the window and ``x ≤ n`` of them made, ``t_x`` is the ``x``-th of ``n``
    uniform order statistics, ``T_alive · Beta(x, n − x + 1)``.
    """
    Ta = np.asarray(T, dtype=np.float64)
    if Ta.ndim != 1 or not np.all(np.isfinite(Ta)) or np.any(Ta <= 0):
        raise InvalidInputError("T must be a 1-d array of positive, finite ages.")
    rng = np.random.default_rng(seed)
    n = Ta.size
    p1, p2, p3, p4 = _params(process, params)
    lam = rng.gamma(p1, 1.0 / p2, n)
    if process == "paretonbd":
        mu = rng.gamma(p3, 1.0 / p4, n)
        window = np.minimum(rng.exponential(1.0, n) / mu, Ta)
        count = rng.poisson(lam * window)
        x = count
    else:
        window = Ta
        count = rng.poisson(lam * window)
        p = np.clip(rng.beta(p3, p4, n), 1e-12, 1.0)
        made = rng.geometric(p) - (1 if process == "mbgnbd" else 0)
        x = np.minimum(count, made)
    t_x = np.zeros(n)
    buyers = x > 0
    t_x[buyers] = window[buyers] * rng.beta(x[buyers], count[buyers] - x[buyers] + 1)
    return x.astype(np.float64), t_x


def simulate_spend(params: Mapping[str, float], x: npt.ArrayLike, *, seed: int) -> FloatArray:
    """Mean repeat-purchase value ``z̄`` for customers with ``x > 0`` (0 where ``x = 0``).

    ``ν ~ Gamma(q, γ)`` per customer and ``x z̄ ~ Gamma(p x, ν)`` (Fader & Hardie 2013).
    """
    p, q, g = (float(params[n]) for n in ("p", "q", "gamma"))
    xa = np.asarray(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    nu = rng.gamma(q, 1.0 / g, xa.size)
    out = np.zeros(xa.size)
    buyers = xa > 0
    out[buyers] = rng.gamma(p * xa[buyers], 1.0 / nu[buyers]) / xa[buyers]
    return out
