"""Markov-chain attribution: removal effects on an absorbing chain of channel states.

Each path is ``(start) -> s_1 -> ... -> s_n -> (conversion | null)``. For order ``k`` the state
``s_i`` is the tuple of the last ``k`` channels up to touch ``i`` (shorter at the start of the
path). Transition probabilities are the observed transition counts normalised per origin
state. The chain's conversion probability is the probability of absorption in
``(conversion)`` from ``(start)``: with ``Q`` the transient-to-transient and ``r`` the
transient-to-conversion probabilities, ``x = (I - Q)^{-1} r`` and ``P = x[start]``.

The *removal effect* of channel ``c`` is ``RE_c = 1 - P_{-c} / P``, where ``P_{-c}`` is the
conversion probability when every state containing ``c`` leads to ``(null)``. Credits are
``RE_c / sum(RE)`` times the total conversions (and, with the same shares, the total value).

References
----------
.. [1] Anderl, E., Becker, I., von Wangenheim, F. & Schumann, J. H. (2016). Mapping the
   customer journey: Lessons learned from graph-based online attribution modeling.
   *International Journal of Research in Marketing* 33(3), 457-474.
.. [2] Altomare, D. & Loris, D. ChannelAttribution (R/Python package): Markov model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from shopscope.errors import InvalidInputError

__all__ = ["CONVERSION", "NULL", "START", "STATE_SEPARATOR", "MarkovAttribution", "transitions"]

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
STATE_SEPARATOR = " > "
FloatArray = npt.NDArray[np.float64]


def transitions(tp: ir.Table, *, order: int = 1) -> ir.Table:
    """Transition counts ``from_state, to_state, count`` of the paths, in the engine.

    Parameters
    ----------
    tp
        :func:`~shopscope.acquisition.paths.touchpoints` (converting and non-converting).
    order
        Markov order ``k >= 1``: a state is the last ``k`` channels, joined by ``' > '``.
    """
    if order < 1:
        raise InvalidInputError(f"Markov order {order}: use 1 (first order) or higher.")
    w = ibis.window(group_by="path_id", order_by="position")
    state = tp.channel
    for lag in range(1, order):
        prev = tp.channel.lag(lag).over(w)
        state = ibis.ifelse(prev.isnull(), state, prev + STATE_SEPARATOR + state)
    t = tp.mutate(state=state)
    t = t.mutate(prev_state=ibis.coalesce(t.state.lag().over(w), START))
    inner = t.select(from_state=t.prev_state, to_state=t.state)
    ends = t.filter(t.position == t.n_touches).select(
        from_state=t.state,
        to_state=ibis.ifelse(t.converted, ibis.literal(CONVERSION), ibis.literal(NULL)),
    )
    both = inner.union(ends)
    return both.group_by("from_state", "to_state").aggregate(count=both.count())


def _channels_of(state: str) -> set[str]:
    return set(state.split(STATE_SEPARATOR))


@dataclass(frozen=True)
class _Chain:
    states: tuple[str, ...]
    q: sp.csr_matrix
    r: FloatArray


class MarkovAttribution:
    """Removal-effect attribution on a Markov chain of order ``k``.

    Fit on transition counts (from :func:`transitions`, or :meth:`fit_paths` for a list of
    paths). Fitted attributes: ``conversion_probability_``, ``removal_effects_`` (channel ->
    RE), ``shares_`` (channel -> RE / sum RE).

    References
    ----------
    .. [1] Anderl et al. (2016), section 3.2 (removal effect).
    """

    def __init__(self, order: int = 1) -> None:
        if order < 1:
            raise InvalidInputError(f"Markov order {order}: use 1 (first order) or higher.")
        self.order = order
        self.conversion_probability_: float = float("nan")
        self.removal_effects_: dict[str, float] = {}
        self.shares_: dict[str, float] = {}
        self.transition_probabilities_: dict[tuple[str, str], float] = {}

    def fit(self, counts: pa.Table | ir.Table) -> Self:
        """Fit from a ``from_state, to_state, count`` table (Arrow or Ibis)."""
        data = counts.to_pyarrow() if isinstance(counts, ir.Table) else counts
        rows = data.to_pylist()
        self._fit_rows(
            [(str(r["from_state"]), str(r["to_state"]), float(r["count"])) for r in rows]
        )
        return self

    def fit_paths(self, paths: Sequence[tuple[Sequence[str], float, float]]) -> Self:
        """Fit from ``(channels, conversions, non_conversions)`` per distinct path (for tests)."""
        counts: dict[tuple[str, str], float] = {}
        for channels, conv, null in paths:
            if not channels:
                continue
            states = [
                STATE_SEPARATOR.join(channels[max(0, i - self.order + 1) : i + 1])
                for i in range(len(channels))
            ]
            total = conv + null
            for a, b in zip([START, *states[:-1]], states, strict=True):
                counts[(a, b)] = counts.get((a, b), 0.0) + total
            for end, n in ((CONVERSION, conv), (NULL, null)):
                if n:
                    counts[(states[-1], end)] = counts.get((states[-1], end), 0.0) + n
        self._fit_rows([(a, b, c) for (a, b), c in counts.items()])
        return self

    def _fit_rows(self, rows: list[tuple[str, str, float]]) -> None:
        states = sorted({a for a, _, _ in rows} | {b for _, b, _ in rows} - {CONVERSION, NULL})
        states = [START, *[s for s in states if s != START]]
        index = {s: i for i, s in enumerate(states)}
        n = len(states)
        out = np.zeros(n)
        for a, _, c in rows:
            out[index[a]] += c
        qi: list[int] = []
        qj: list[int] = []
        qv: list[float] = []
        r = np.zeros(n)
        probs: dict[tuple[str, str], float] = {}
        for a, b, c in rows:
            p = c / out[index[a]]
            probs[(a, b)] = p
            if b == CONVERSION:
                r[index[a]] += p
            elif b != NULL:
                qi.append(index[a])
                qj.append(index[b])
                qv.append(p)
        q = sp.csr_matrix((qv, (qi, qj)), shape=(n, n))
        chain = _Chain(tuple(states), q, r)
        self.transition_probabilities_ = probs
        base = _absorption(chain, np.ones(n, dtype=bool))
        self.conversion_probability_ = base
        channels = sorted(set().union(*(_channels_of(s) for s in states[1:])) if n > 1 else set())
        effects: dict[str, float] = {}
        for ch in channels:
            keep = np.array([i == 0 or ch not in _channels_of(s) for i, s in enumerate(states)])
            without = _absorption(chain, keep)
            effects[ch] = 1.0 - without / base if base > 0 else 0.0
        self.removal_effects_ = effects
        total = sum(effects.values())
        self.shares_ = {c: (e / total if total > 0 else 0.0) for c, e in effects.items()}

    def credits(self, conversions: float, value: float) -> dict[str, tuple[float, float]]:
        """Channel -> (conversion credit, value credit): the shares times the totals."""
        if not self.shares_:
            raise InvalidInputError("MarkovAttribution is not fitted: call fit() first.")
        return {c: (s * conversions, s * value) for c, s in self.shares_.items()}


def _absorption(chain: _Chain, keep: npt.NDArray[np.bool_]) -> float:
    """P(absorbed in conversion from start) when states with ``keep = False`` lead to null."""
    mask = sp.diags(keep.astype(float))
    q = mask @ chain.q @ mask  # rows and columns of removed states vanish (-> null)
    r = chain.r * keep
    n = len(chain.states)
    a = sp.identity(n, format="csc") - q.tocsc()
    x = spla.spsolve(a, r)
    return float(np.atleast_1d(x)[0])
