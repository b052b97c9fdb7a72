"""Rule-based attribution, computed in the engine from the touchpoint table.

Every model gives each touch ``j`` of a converting path a weight ``w_j >= 0`` with
``sum_j w_j = 1``; a channel's credit is ``sum w_j`` (conversions) and ``sum w_j * value``
(revenue) over its touches. With ``n`` touches, position ``p`` (1 = first) and ``d_j`` days from
the touch to the conversion:

* ``first``: ``w = 1`` at ``p = 1``; ``last``: ``w = 1`` at ``p = n``;
* ``last_non_direct``: ``w = 1`` at the last touch whose channel is not direct (the last touch
  when all are direct; Google Analytics' classic rule);
* ``linear``: ``w = 1 / n``;
* ``time_decay``: ``w ∝ 2^(-d_j / h)`` with half-life ``h`` days;
* ``position`` (U-shaped): ``first`` share at ``p = 1``, ``last`` share at ``p = n`` and the
  rest split evenly between the middle touches; with one touch it takes all, with two they
  split ``first : last``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import ibis
import ibis.expr.types as ir

from shopscope.errors import InvalidInputError

__all__ = ["HEURISTIC_MODELS", "HeuristicModel", "HeuristicParams", "heuristic_credits"]

HeuristicModel = Literal["first", "last", "last_non_direct", "linear", "time_decay", "position"]
HEURISTIC_MODELS: tuple[str, ...] = get_args(HeuristicModel)


@dataclass(frozen=True)
class HeuristicParams:
    """Parameters of the rule-based models.

    Attributes
    ----------
    half_life_days
        Time decay: a touch ``h`` days before the conversion weighs half a touch at it.
    first_share, last_share
        Position-based: shares of the first and last touches (default 40/40, middle 20).
    direct_channel
        Channel name that ``last_non_direct`` skips.
    """

    half_life_days: float = 7.0
    first_share: float = 0.4
    last_share: float = 0.4
    direct_channel: str = "direct"

    def __post_init__(self) -> None:
        if not self.half_life_days > 0:
            raise InvalidInputError(
                f"half_life_days={self.half_life_days}: the time-decay half-life must be > 0."
            )
        shares = (self.first_share, self.last_share)
        if min(shares) < 0 or sum(shares) > 1 or sum(shares) <= 0:
            raise InvalidInputError(
                f"Position-based shares first={self.first_share}, last={self.last_share}: each "
                "must be >= 0 with 0 < first + last <= 1 (default 0.4 and 0.4; the middle "
                "touches share the rest)."
            )


def _weight(t: ir.Table, model: HeuristicModel, params: HeuristicParams) -> ir.FloatingValue:
    path = ibis.window(group_by="path_id")
    n = t.n_touches
    pos = t.position
    if model == "first":
        return ibis.ifelse(pos == 1, 1.0, 0.0)
    if model == "last":
        return ibis.ifelse(pos == n, 1.0, 0.0)
    if model == "last_non_direct":
        nd = ibis.ifelse(t.channel != params.direct_channel, pos, ibis.null("int64"))
        chosen = ibis.coalesce(nd.max().over(path), n)
        return ibis.ifelse(pos == chosen, 1.0, 0.0)
    if model == "linear":
        return 1.0 / n.cast("float64")
    if model == "time_decay":
        raw = (2.0 ** (-t.days_before / params.half_life_days)).cast("float64")
        return raw / raw.sum().over(path)
    if model == "position":
        f, lst = params.first_share, params.last_share
        middle = (1.0 - f - lst) / (n - 2).cast("float64")
        two = ibis.ifelse(pos == 1, f / (f + lst), lst / (f + lst))
        many = ibis.ifelse(pos == 1, f, ibis.ifelse(pos == n, lst, middle))
        return ibis.ifelse(n == 1, 1.0, ibis.ifelse(n == 2, two, many))
    raise InvalidInputError(
        f"Unknown attribution model {model!r}; rule-based models are "
        f"{', '.join(HEURISTIC_MODELS)} (plus markov and shapley)."
    )


def heuristic_credits(
    tp: ir.Table, model: HeuristicModel, params: HeuristicParams | None = None
) -> ir.Table:
    """Credits per channel for a rule-based model (an Ibis expression).

    Parameters
    ----------
    tp
        :func:`~shopscope.acquisition.paths.touchpoints` (non-converting paths are ignored).
    model
        One of :data:`HEURISTIC_MODELS`.
    params
        Half-life, position shares and the direct channel's name.

    Returns
    -------
    ibis.Table
        ``channel, conversions, value`` (float credits), one row per channel on a converting
        path.
    """
    p = params or HeuristicParams()
    conv = tp.filter(tp.converted)
    conv = conv.mutate(w=_weight(conv, model, p))
    return conv.group_by("channel").aggregate(
        conversions=(conv.w * conv.conversions).sum(),
        value=(conv.w * conv.value).sum(),
    )
